import goalkeeper.jenkins.Argv
import goalkeeper.jenkins.Json

// Runs the goals of one file inside a Pipeline: the plugin decides (`goalkeeper step --no-start
// --json`), Jenkins runs. Spawned sessions become builds of the session job, pinned ones run here
// with `sh`, reviews become `input`, and every end is reported to the same state. Jobs run in
// `jobs` slots that refill as jobs end: a slot whose job ended reports the end and steps the
// plugin again at once, for as many jobs as slots are free. See vars/goalkeeperGoal.txt.
def call(Map args = [:]) {
  Map cfg = settings(args)
  // What the loop, the slots and the heartbeat share. CPS runs one branch at a time between
  // steps, so plain maps and lists are safe while no step sits inside a read-modify-write.
  Map run = [started   : new HashSet(),  // keys this build started or is starting: never start one twice
             queue     : [],             // offered run_job actions that no slot took yet
             running   : [],             // keys reported started whose end is not reported yet
             reporting : 0,              // slots whose `started` or `finished` report is under way
             stepping  : false,          // a slot is stepping the plugin (one at a time)
             dirty     : false,          // a job ended since the last step began: step again at once
             nextStepAt: 0L,             // when an idle slot steps again (next_step_ms, bounded)
             changedAt : 0L,             // the last start or end: idle slots poll slower as it ages
             steps     : 0,              // every step of this build, for maxSteps
             slots     : 0,              // slot branches still running
             longestS  : 0,              // the longest timeout started, to bound the heartbeat
             reviews   : [],             // await_review actions not asked yet (each is printed once)
             stop      : null,           // why no slot takes or steps anything more (a limit, an error)
             failed    : false,          // a step exited 1: a goal failed
             drained   : false,          // a step offered nothing and nothing runs: the slots end
             deadline  : System.currentTimeMillis() + cfg.maxMinutes * 60000L,
             ref       : (env.BUILD_URL ?: "${env.JOB_NAME ?: 'jenkins'}#${env.BUILD_NUMBER ?: '?'}") as String]
  while (true) {
    String over = overLimit(cfg, run)
    if (over) error(over)
    Map step = stepOnce(cfg, run, cfg.jobs)
    int offered = absorb(cfg, run, step)
    if (run.failed) error("goalkeeperGoal: a goal of ${cfg.file} failed: ${failures(cfg)}")
    if (offered > 0) {
      runSlots(cfg, run, step)
      if (run.stop) error(run.stop as String)
      if (run.failed) error("goalkeeperGoal: a goal of ${cfg.file} failed: ${failures(cfg)}")
      continue  // every end was reported: step again at once
    }
    List reviews = takeReviews(run)
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
    sleep(time: idleMs(step), unit: 'MILLISECONDS')
  }
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
Map stepOnce(Map cfg, Map run, int jobs) {
  run.steps = (run.steps as int) + 1
  List argv = command(cfg, ['step', cfg.file, '--no-start', '--json', '--jobs', "${jobs}"])
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

// Why the build must stop stepping (maxMinutes, maxSteps), or null.
String overLimit(Map cfg, Map run) {
  if (System.currentTimeMillis() > (run.deadline as long))
    return "goalkeeperGoal: the goals of ${cfg.file} still run after ${cfg.maxMinutes} minutes (maxMinutes)".toString()
  if ((run.steps as int) >= cfg.maxSteps)
    return "goalkeeperGoal: the goals of ${cfg.file} did not finish within ${cfg.maxSteps} steps (maxSteps)".toString()
  return null
}

// How long to wait before stepping again when a step offered nothing: next_step_ms, bounded.
long idleMs(Map step) {
  return Math.max(200L, Math.min(60000L, (step.answer.next_step_ms ?: 1000) as long))
}

// Sorts one step's answer into the shared state: new run_job actions join the queue (a key
// started, starting or queued already is skipped: every step offers a job again until it is
// reported started), reviews wait to be asked, the rest is echoed. Answers how many joined.
int absorb(Map cfg, Map run, Map step) {
  if (!(step.rc in [0, 1, 3]))
    error("goalkeeperGoal: goalkeeper step ${cfg.file} exited ${step.rc} (see the log above)")
  int offered = 0
  for (Map action in step.answer.actions) {
    if (action.type == 'run_job') {
      if (!run.started.contains(action.job_key) && !queued(run.queue, action.job_key as String)) {
        run.queue << action
        offered++
      }
    } else if (action.type == 'await_review') addReview(run.reviews, action)
    else if (action.type == 'goal_finished') echo "goalkeeper: goal ${action.goal_id} ${action.status}"
    else if (action.type == 'cancel_job')
      echo "goalkeeper: ${action.job_key} is to be cancelled (${action.reason}); it does not run in this build"
  }
  if (step.rc == 1) run.failed = true
  return offered
}

@NonCPS
boolean queued(List queue, String key) {
  return queue.any { it.job_key == key }
}

@NonCPS
void addReview(List reviews, Map review) {
  if (!reviews.any { it.goal_id == review.goal_id && it.task_id == review.task_id && it.kind == review.kind })
    reviews << review
}

List takeReviews(Map run) {
  List out = new ArrayList(run.reviews)
  run.reviews.clear()
  return out
}

// Runs the queue in `jobs` slot branches plus a heartbeat, in one parallel, until a step offers
// nothing while nothing runs (or a goal failed, a limit was reached): each slot takes the next
// queued action, runs it, reports its end, and steps the plugin when the queue is empty.
void runSlots(Map cfg, Map run, Map step) {
  run.stop = null
  run.drained = false
  run.dirty = false
  run.changedAt = System.currentTimeMillis()
  run.nextStepAt = System.currentTimeMillis() + idleMs(step)  // that step was just made
  run.slots = cfg.jobs
  Map branches = [:]
  for (int i = 1; i <= (cfg.jobs as int); i++)
    branches["goalkeeper slot ${i}".toString()] = { slot(cfg, run) }
  branches['goalkeeper heartbeat'] = { heartbeat(cfg, run) }
  parallel(branches)
}

// One slot: runs queued actions one after the other; with none queued, steps the plugin (unless
// another slot is stepping), at once after a job ended, else when next_step_ms is due; polls
// the queue in short sleeps in between. Ends once the slots drained, a goal failed, or a limit
// stopped them; a job it runs is always run to its end and reported.
void slot(Map cfg, Map run) {
  try {
    while (!run.stop && !run.failed && !run.drained) {
      if (!run.queue.isEmpty()) {
        Map action = run.queue.remove(0)
        run.started << action.job_key  // taken: no later step queues it again
        runOne(cfg, run, action)
        continue
      }
      long now = System.currentTimeMillis()
      if (!run.stepping && (run.dirty || now >= (run.nextStepAt as long))) {
        stepInSlot(cfg, run)
        continue
      }
      if (now > (run.deadline as long)) {  // another slot is stepping or asleep past the limit
        run.stop = overLimit(cfg, run)
        continue
      }
      // Poll soon after a start or an end (another slot's step may queue more), slower later.
      long nap = Math.min(3000L, Math.max(200L, (now - (run.changedAt as long)).intdiv(2) as long))
      if (!run.stepping) nap = Math.min(nap, Math.max(200L, (run.nextStepAt as long) - now))
      sleep(time: nap, unit: 'MILLISECONDS')
    }
  } catch (Throwable e) {
    if (!run.stop) run.stop = "goalkeeperGoal: a slot stopped: ${e}".toString()  // the others drain
    throw e
  } finally {
    run.slots = (run.slots as int) - 1
  }
}

// A step made by a slot, for the slots that are free (not running, reporting, or queued for).
void stepInSlot(Map cfg, Map run) {
  String over = overLimit(cfg, run)
  if (over) {
    run.stop = over
    return
  }
  int free = (cfg.jobs as int) - run.running.size() - (run.reporting as int) - run.queue.size()
  run.stepping = true
  run.dirty = false
  try {
    Map step = stepOnce(cfg, run, Math.max(0, free))
    int offered = absorb(cfg, run, step)
    if (offered > 0) run.changedAt = System.currentTimeMillis()
    else if (run.running.isEmpty() && (run.reporting as int) == 0 && run.queue.isEmpty() && !run.dirty)
      run.drained = true  // nothing runs and nothing more to start: back to the loop
    else run.nextStepAt = System.currentTimeMillis() + idleMs(step)
  } finally {
    run.stepping = false
  }
}

// Starts one action and waits for its end. The key is reported started before it starts: no
// later step offers it again, and a crash in between loses the job to its lease instead of
// running it twice. Its end is reported whatever happens, and the slot steps again at once.
void runOne(Map cfg, Map run, Map action) {
  String key = action.job_key
  run.reporting = (run.reporting as int) + 1
  int rc = 1
  try {
    rc = report(cfg, ['started', key, '--host-ref', run.ref])
  } finally {
    run.reporting = (run.reporting as int) - 1
  }
  if (rc != 0) {
    echo "goalkeeper refused to start ${key}; it is not run"
    return
  }
  run.running << key
  run.longestS = Math.max(run.longestS as int, (action.timeout_s ?: 0) as int)
  run.changedAt = System.currentTimeMillis()
  Map ended = [exitCode: 1, resultFile: null]  // what the state hears if the run throws
  try {
    ended = action.session?.policy == 'spawn' ? runSpawned(cfg, action) : runPinned(cfg, action)
  } finally {
    run.running.remove(key)  // no more heartbeats; the slot stays busy until the end is reported
    run.reporting = (run.reporting as int) + 1
    try {
      finished(cfg, key, ended.exitCode as int, ended.resultFile as String)
    } finally {
      run.reporting = (run.reporting as int) - 1
      run.dirty = true  // after the report, so that the next step knows of the end
      run.changedAt = System.currentTimeMillis()
    }
  }
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

// Keeps the running jobs alive in the state while they run longer than limits.lease_s: a
// heartbeat every heartbeatS seconds. Polls in short sleeps so that it ends soon after the last
// slot; bounded by maxMinutes plus the longest timeout started.
void heartbeat(Map cfg, Map run) {
  int tickS = Math.max(1, Math.min(10, cfg.heartbeatS as int))
  long lastBeat = System.currentTimeMillis()
  while ((run.slots as int) > 0) {
    if (System.currentTimeMillis() > (run.deadline as long) + ((run.longestS as long) + 600L) * 1000L) break
    sleep(time: tickS, unit: 'SECONDS')
    if (run.running.isEmpty() || System.currentTimeMillis() - lastBeat < (cfg.heartbeatS as long) * 1000L) continue
    lastBeat = System.currentTimeMillis()
    List lines = []
    for (String key in run.running) lines << "${Argv.line(command(cfg, ['job', 'heartbeat', key]))} || true"
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
