package goalkeeper.jenkins

import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

// JsonSlurperClassic answers plain (serializable) HashMaps and ArrayLists, which a CPS Pipeline can
// keep across a restart; the lazy maps of JsonSlurper cannot be. No pipeline-utility-steps needed.
class Json implements Serializable {
  @NonCPS
  static Object parse(String text) {
    return new JsonSlurperClassic().parseText(text)
  }

  // null for text that is no JSON object or list (a hand-edited build parameter, say).
  @NonCPS
  static Object parseOrNull(String text) {
    try {
      return parse(text)
    } catch (groovy.json.JsonException ignored) {
      return null
    }
  }

  @NonCPS
  static String write(Object value) {
    return JsonOutput.toJson(value)
  }
}
