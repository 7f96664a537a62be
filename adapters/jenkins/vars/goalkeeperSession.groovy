import goalkeeper.jenkins.Argv
import goalkeeper.jenkins.Json

// The body of the session job: one spawned goalkeeper job per build. goalkeeperGoal passes the
// run_job action as parameters; this build runs the command in its own workspace and hands the
// exit code and the result file back to the parent through env (the parent reads them as
// `buildVariables` of its `build` step), so the session needs neither the state nor a plugin.
def call(Map args = [:]) {
  String key = params.GK_JOB_KEY
  if (!key) error('goalkeeperSession: no GK_JOB_KEY parameter (start this job from goalkeeperGoal)')
  Object command = Json.parseOrNull(params.GK_COMMAND ?: '')
  if (!(command instanceof List) || command.isEmpty())
    error("goalkeeperSession: GK_COMMAND of ${key} is not a JSON list of arguments")
  Object jobEnv = Json.parseOrNull(params.GK_ENV ?: '{}')
  if (!(jobEnv instanceof Map)) error("goalkeeperSession: GK_ENV of ${key} is not a JSON object")
  currentBuild.displayName = "#${env.BUILD_NUMBER} ${key}"

  Map ended = runJob(key: key, command: command, env: jobEnv, prompt: params.GK_PROMPT ?: '',
                     timeoutS: (params.GK_TIMEOUT_S ?: '0') as int,
                     goalkeeper: args.goalkeeper ?: 'goalkeeper')
  env.GK_EXIT_CODE = "${ended.exitCode}"
  env.GK_RESULT = ended.resultFile ? readFile(file: ended.resultFile) : ''
  echo "goalkeeper job ${key} exited ${ended.exitCode}"
  if (ended.exitCode != 0) currentBuild.result = 'FAILURE'
  return ended
}

// Runs one job in the current workspace, as the reference runner does: the prompt in a file,
// the action's env plus GK_PROMPT_FILE, GK_RESULT_FILE and GK_WORKSPACE, the argv unchanged.
// Also used by goalkeeperGoal for pinned jobs. Answers [exitCode: N, resultFile: path or null].
Map runJob(Map job) {
  String workspace = pwd()
  // Beside the workspace, not in it: the job's files stay out of the session's git tree.
  String files = "${pwd(tmp: true)}/goalkeeper/${Argv.fileName(job.key)}"
  String resultFile = "${files}/result.json"
  writeFile(file: "${files}/prompt.md", text: job.prompt)

  List vars = envLines(job.env)
  vars << "GK_PROMPT_FILE=${files}/prompt.md"
  vars << "GK_RESULT_FILE=${resultFile}"
  vars << "GK_WORKSPACE=${workspace}"
  // A job may call `goalkeeper task complete`: the command this library was given must be found.
  String goalkeeper = job.goalkeeper ?: 'goalkeeper'
  if (goalkeeper.contains('/')) vars << "PATH+GOALKEEPER=${goalkeeper.substring(0, goalkeeper.lastIndexOf('/'))}"

  List argv = new ArrayList(job.command)
  argv[0] = locate(argv[0] as String, workspace, job.goalDir as String)
  // coreutils' timeout ends the job with 124 like the reference runner's timeout, and the
  // exit code still reaches goalkeeper (a Pipeline `timeout` would abort the build instead).
  if ((job.timeoutS ?: 0) > 0) argv = ['timeout', '--kill-after=10', "${job.timeoutS}"] + argv

  int rc = 1
  withEnv(vars) {
    // rm: a result left by an earlier build in this workspace must not count for this one.
    rc = sh(returnStatus: true, script: "rm -f ${Argv.quote(resultFile)}\nexec ${Argv.line(argv)}")
  }
  return [exitCode: rc, resultFile: fileExists(resultFile) ? resultFile : null]
}

// A relative program (`./agent.sh`, `bin/x`) is looked for in the workspace, then beside the goal
// file, the reference runner's order; a bare name is left to PATH.
String locate(String program, String workspace, String goalDir) {
  if (!program.contains('/') || program.startsWith('/') || program.contains('{{')) return program
  if (fileExists("${workspace}/${program}") || !goalDir) return program
  return fileExists("${goalDir}/${program}") ? "${goalDir}/${program}" : program
}

// withEnv's "NAME=value" lines; @NonCPS because a map's entries cannot be kept across a restart.
@NonCPS
List envLines(Map env) {
  return env.collect { name, value -> "${name}=${value}".toString() }
}
