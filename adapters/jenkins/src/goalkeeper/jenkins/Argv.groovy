package goalkeeper.jenkins

// Jenkins' `sh` takes a script, goalkeeper hands us an argv. Each argument becomes one shell word
// in single quotes, where sh gives every byte back unchanged ($, ;, ", spaces, newlines); a single
// quote inside one is closed, escaped and reopened.
class Argv implements Serializable {
  @NonCPS
  static String quote(Object arg) {
    return "'" + String.valueOf(arg).replace("'", "'\\''") + "'"
  }

  @NonCPS
  static String line(List args) {
    return args.collect { quote(it) }.join(' ')
  }

  // A job key (`goal/task#2`) as one folder name.
  @NonCPS
  static String fileName(String key) {
    return key.replaceAll(/[^A-Za-z0-9._-]/, '_')
  }
}
