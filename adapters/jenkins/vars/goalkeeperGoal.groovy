import goalkeeper.jenkins.Argv
import goalkeeper.jenkins.Json

// Runs the goals of one file inside a Pipeline: the plugin decides (`goalkeeper step --no-start
// --json`), Jenkins runs. Spawned sessions become builds of the session job, pinned ones run here
// with `sh`, reviews become `input`, and every end is reported to the same state. One batch at a
// time: start what one step offers, wait for all of it (reporting each end as it comes), step
// again. See vars/goalkeeperGoal.txt for the options.
def call(Map args = [:]) {
  Map cfg = settings(args)
  Set started = new HashSet()  // keys this build started: never start one twice
  long deadline = System.currentTimeMillis() + cfg.maxMinutes * 60000L
  for (int n = 0; n < cfg.maxSteps; n++) {
    if (System.currentTimeMillis() > deadline)
      error("goalkeeperGoal: the goals of ${cfg.file} still run after ${cfg.maxMinutes} minutes (maxMinutes)")
    Map step = stepOnce(cfg)
    if (!(step.rc in [0, 1, 3]))
      error("goalkeeperGoal: goalkeeper step ${cfg.file} exited ${step.rc} (see the log above)")

    List runs = []
    List reviews = []
    for (Map action in step.answer.actions) {
      if (action.type == 'run_job' && !started.contains(action.job_key)) runs << action
      else if (action.type == 'await_review') reviews << action
      else if (action.type == 'goal_finished') echo "goalkeeper: goal ${action.goal_id} ${action.status}"
      else if (action.type == 'cancel_job')
        echo "goalkeeper: ${action.job_key} is to be cancelled (${action.reason}); it does not run in this build"
    }
    if (step.rc == 1) error("goalkeeperGoal: a goal of ${cfg.file} failed: ${failures(cfg)}")
    if (!runs.isEmpty()) {
      runBatch(cfg, runs, started)
      continue  // ends were just reported: step again at once
    }
    if (step.rc == 3 && reviews.isEmpty()) reviews = pendingReviews(cfg)  // asked by an earlier build
    if (!reviews.isEmpty()) {
      for (Map review in reviews) askReview(cfg, review)
      continue
    }
    if (allFinished(step.answer.goals)) return goals(cfg)
    if (step.rc == 3) {
      echo "goalkeeper: the goals of ${cfg.file} wait on a person (goalkeeper status --state ${cfg.state})"
      return goals(cfg)
    }
    // Idle: what the plugin waits for (a backoff, a gate) is not due yet.
    sleep(time: Math.max(200L, Math.min(60000L, (step.answer.next_step_ms ?: 1000) as long)), unit: 'MILLISECONDS')
  }
  error("goalkeeperGoal: the goals of ${cfg.file} did not finish within ${cfg.maxSteps} steps (maxSteps)")
}

Map settings(Map args) {
  if (!args.file) error('goalkeeperGoal: give the goal file, e.g. goalkeeperGoal(file: "goals.yaml")')
  int jobs = (args.jobs == null ? 4 : args.jobs) as int
  if (jobs < 1) error("goalkeeperGoal: jobs must be 1 or more, not ${args.jobs}")
  String file = args.file
  return [file      : file,
          state     : args.state ?: "${pwd()}/.goalkeeper/state.db",
          sessionJob: args.sessionJob ?: 'gk-session',
          jobs      : jobs,
          goal      : args.goal,
          spec      : args.spec == true,
          config    : args.config,
          goalkeeper: args.goalkeeper ?: 'goalkeeper',
          goalDir   : file.contains('/') ? file.substring(0, file.lastIndexOf('/')) : pwd(),
          heartbeatS: (args.heartbeatS ?: 60) as int,
          maxSteps  : (args.maxSteps ?: 10000) as int,
          maxMinutes: (args.maxMinutes ?: 24 * 60) as int]
}

// One `goalkeeper step`: its exit status and its one line of JSON. returnStdout alone would throw
// on exit 1 and 3, so the status comes as a last line of its own.
Map stepOnce(Map cfg) {
  List argv = command(cfg, ['step', cfg.file, '--no-start', '--json', '--jobs', "${cfg.jobs}"])
  if (cfg.goal) argv += ['--goal', cfg.goal]
  if (cfg.spec) argv << '--spec'
  String out = sh(returnStdout: true, script: "${Argv.line(argv)} && rc=0 || rc=\$?\necho \"goalkeeper-exit \$rc\"")
  return parseStep(out)
}

@NonCPS
Map parseStep(String out) {
  List lines = out.readLines().findAll { it.trim() }
  int rc = lines ? (lines[-1] - 'goalkeeper-exit ').trim() as int : 2
  String line = lines.find { it.startsWith('{') }
  Map answer = line ? Json.parse(line) : [:]
  return [rc: rc, answer: [actions: answer.actions ?: [], goals: answer.goals ?: [],
                           next_step_ms: answer.next_step_ms]]
}

// The argv of one goalkeeper call against this state.
List command(Map cfg, List words) {
  List argv = [cfg.goalkeeper] + words + ['--state', cfg.state]
  if (cfg.config) argv += ['--config', cfg.config]
  return argv
}

int report(Map cfg, List words) {
  return sh(returnStatus: true, script: Argv.line(command(cfg, ['job'] + words)))
}

// Starts what one step offered and waits for all of it. Each key is reported started before it
// starts: no later step offers it again, and a crash in between loses the job to its lease
// instead of running it twice.
void runBatch(Map cfg, List runs, Set started) {
  Map branches = [:]
  Map live = [running: [], longestS: 0]  // CPS runs branches one at a time between steps
  String ref = env.BUILD_URL ?: "${env.JOB_NAME ?: 'jenkins'}#${env.BUILD_NUMBER ?: '?'}"
  for (Map offered in runs) {
    Map action = offered  // each branch keeps its own
    String key = action.job_key
    started << key
    if (report(cfg, ['started', key, '--host-ref', ref]) != 0) {
      echo "goalkeeper refused to start ${key}; it is not run"
      continue
    }
    live.running << key
    live.longestS = Math.max(live.longestS as int, (action.timeout_s ?: 0) as int)
    branches[key] = {
      Map ended = [exitCode: 1, resultFile: null]  // what the state hears if the run throws
      try {
        ended = action.session?.policy == 'spawn' ? runSpawned(cfg, action) : runPinned(cfg, action)
      } finally {
        live.running.remove(key)
        finished(cfg, key, ended.exitCode as int, ended.resultFile as String)
      }
    }
  }
  if (branches.isEmpty()) return
  branches['goalkeeper heartbeat'] = { heartbeat(cfg, live) }
  parallel(branches)
}

// A pinned job runs here, in this build's workspace (the goal's own session).
Map runPinned(Map cfg, Map action) {
  return goalkeeperSession.runJob(key: action.job_key, command: action.command, env: action.env ?: [:],
                                  prompt: action.prompt ?: '', timeoutS: action.timeout_s ?: 0,
                                  goalkeeper: cfg.goalkeeper, goalDir: cfg.goalDir)
}

// A spawned job is one build of the session job, named after its key there; its exit code and
// result come back as buildVariables (set by goalkeeperSession).
Map runSpawned(Map cfg, Map action) {
  String key = action.job_key
  def run = build(job: cfg.sessionJob, wait: true, propagate: false, parameters: [
      string(name: 'GK_JOB_KEY', value: key),
      text(name: 'GK_COMMAND', value: Json.write(action.command)),
      text(name: 'GK_ENV', value: Json.write(action.env ?: [:])),
      text(name: 'GK_PROMPT', value: action.prompt ?: ''),
      string(name: 'GK_TIMEOUT_S', value: "${action.timeout_s ?: 0}")])
  Map vars = run.buildVariables ?: [:]
  Map ended = [exitCode: 1, resultFile: null]
  if (vars.GK_EXIT_CODE) ended.exitCode = vars.GK_EXIT_CODE as int
  else echo "goalkeeper: the ${cfg.sessionJob} build of ${key} ended ${run.result} before its command did"
  if (vars.GK_RESULT) {
    ended.resultFile = "${pwd(tmp: true)}/goalkeeper/${Argv.fileName(key)}/result.json"
    writeFile(file: ended.resultFile, text: vars.GK_RESULT)
  }
  return ended
}

void finished(Map cfg, String key, int rc, String resultFile) {
  List words = ['finished', key, '--exit-code', "${rc}"]
  if (resultFile) words += ['--result-file', resultFile]
  if (report(cfg, words) != 0) echo "goalkeeper refused the end of ${key}"
}

// Keeps the batch's jobs alive in the state while they run longer than limits.lease_s. Polls in
// short sleeps so that it ends soon after the last job; bounded by the longest timeout.
void heartbeat(Map cfg, Map live) {
  int tickS = Math.max(1, Math.min(10, cfg.heartbeatS as int))
  int ticks = ((live.longestS as int) + 600) / tickS
  int sinceBeat = 0
  for (int i = 0; i < ticks && !live.running.isEmpty(); i++) {
    sleep(time: tickS, unit: 'SECONDS')
    sinceBeat += tickS
    if (sinceBeat < cfg.heartbeatS || live.running.isEmpty()) continue
    sinceBeat = 0
    List lines = []
    for (String key in live.running) lines << "${Argv.line(command(cfg, ['job', 'heartbeat', key]))} || true"
    sh(script: lines.join('\n'))
  }
}

// A review becomes an `input` whose id is the task, so a tool can answer it at
// $BUILD_URL/input/<Task>/ (Jenkins capitalizes the id). Proceeding without parameters
// (proceedEmpty) approves.
void askReview(Map cfg, Map review) {
  // A plan review (spec mode) is decided on the goal, a task's on GOAL/TASK.
  String target = review.kind == 'plan' ? review.goal_id : "${review.goal_id}/${review.task_id}"
  def answer = input(id: review.task_id, message: "goalkeeper: review ${target}: ${review.title ?: ''}",
                     ok: 'Decide', parameters: [
      choice(name: 'decision', choices: ['approve', 'reject'], description: 'approve, or reject with feedback'),
      text(name: 'feedback', defaultValue: '', description: 'what to change (reject)')])
  Map decided = answer instanceof Map ? answer : [decision: 'approve']
  List words = decided.decision == 'reject'
      ? ['reject', target, '--feedback', (decided.feedback ?: 'rejected in Jenkins') as String]
      : ['approve', target]
  // Refused (decided elsewhere meanwhile, or no longer waiting): the next step says what is left.
  if (sh(returnStatus: true, script: Argv.line(command(cfg, words))) != 0)
    echo "goalkeeper refused to ${words[0]} ${target}"
}

// The reviews the state still waits for, which an earlier build was asked and did not answer.
List pendingReviews(Map cfg) {
  List out = []
  for (Map goal in statusGoals(cfg))
    for (Map task in (goal.pending_review ?: []))
      out << [goal_id: goal.goal_id, task_id: task.task_id, title: task.title]
  return out
}

List statusGoals(Map cfg) {
  String out = sh(returnStdout: true, script: Argv.line(command(cfg, ['status', '--json'])))
  return goalsOf(out)
}

@NonCPS
List goalsOf(String out) {
  String line = out.readLines().find { it.startsWith('{') }
  return line ? (Json.parse(line).goals ?: []) : []
}

@NonCPS
boolean allFinished(List goals) {
  return goals.every { it.state == 'finished' }
}

// What the build returns: each goal's id, status and progress, read from the state.
List goals(Map cfg) {
  return summary(statusGoals(cfg))
}

@NonCPS
List summary(List goals) {
  return goals.collect { [goal_id: it.goal_id, status: it.status, progress: it.progress] }
}

String failures(Map cfg) {
  return failed(statusGoals(cfg))
}

@NonCPS
String failed(List goals) {
  return goals.findAll { it.status == 'failed' }.collect { it.goal_id }.join(', ')
}
