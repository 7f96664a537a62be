// The Jenkins shared library (adapters/jenkins) under Debian's groovy, in one JVM: every file
// compiles, and the vars drive the real goalkeeper through PipelineDouble (Pipeline steps that
// record their calls; `sh` runs real processes, `build` runs goalkeeperSession for real).
//   GK_COMMAND=build/dev/bin/goalkeeper groovy tests/adapters/jenkins/run_tests.groovy [NAME...]
import groovy.json.JsonSlurperClassic
import java.nio.file.Files

File here = new File(getClass().protectionDomain.codeSource.location.toURI()).parentFile
File source = here.parentFile.parentFile.parentFile
File library = new File(source, 'adapters/jenkins')
File examples = new File(source, 'pipelines/examples')
String gk = new File(System.getenv('GK_COMMAND') ?: new File(source, 'build/dev/bin/goalkeeper').path).absolutePath
assert new File(gk).canExecute(): "no goalkeeper at ${gk} (set GK_COMMAND)"

File root = Files.createTempDirectory('gk-jenkins-').toFile()

// --- helpers -----------------------------------------------------------------------------------

def fresh = { -> new PipelineDouble(library, new File(here, 'stubs'), new File(root, "t${System.nanoTime()}")) }

// The session job's Jenkinsfile: its body is the library's goalkeeperSession.
def withSessionJob = { PipelineDouble jenkins ->
  jenkins.jobs['gk-session'] = { Build b -> jenkins.run(b, 'goalkeeperSession', [goalkeeper: gk]) }
  jenkins
}

def json = { String text -> new JsonSlurperClassic().parseText(text) }

def runGk = { List args ->
  Process p = ([gk] + args).execute()
  String out = p.inputStream.getText('UTF-8')
  p.waitFor()
  [rc: p.exitValue(), out: out]
}

def statusOf = { String state -> json(runGk(['status', '--state', state, '--json']).out).goals }

def events = { String state ->
  runGk(['events', '--state', state, '--json']).out.readLines().findAll { it.startsWith('{') }.collect { json(it) }
}

// The keys a build reported with `goalkeeper job WORD KEY`, in order.
def reported = { PipelineDouble jenkins, String word ->
  jenkins.of('sh').collect { (it.script =~ /'job' '${word}' '([^']+)'/) }.findAll { it.find() }.collect { it.group(1) }
}

// The pinned jobs a build ran with sh (a job's sh has GK_JOB_KEY in its env), in order.
def pinnedRuns = { PipelineDouble jenkins, String buildName ->
  jenkins.of('sh').findAll { it.build == buildName && it.gk.GK_JOB_KEY && it.script.contains('exec ') }
}

// The most of these calls ([t0, t1] in ms, as the double records build and sh) that ran at one
// time: how many jobs ran at once.
def atOnce = { List calls ->
  List edges = calls.collectMany { [[it.t0 as long, 1], [it.t1 as long, -1]] }
      .sort { a, b -> a[0] <=> b[0] ?: a[1] <=> b[1] }  // an end before a start at the same ms
  int now = 0, most = 0
  edges.each { now += it[1]; most = Math.max(most, now) }
  most
}

// A call made in one of goalkeeperGoal's slot branches.
def inSlot = { Map call -> call.branch ==~ /branch goalkeeper slot \d+/ }

def copyGoal = { Build b, String name, String text = null ->
  new File(b.workspace, name).text = text ?: new File(examples, name).text
}

def runGoal = { PipelineDouble jenkins, Build b, Map args ->
  jenkins.run(b, 'goalkeeperGoal', [sessionJob: 'gk-session', goalkeeper: gk, heartbeatS: 1] + args)
}

def expectError = { Closure body ->
  try {
    body()
  } catch (PipelineError e) {
    return e.message
  }
  assert false: 'expected the build to stop with error()'
}

// --- tests -------------------------------------------------------------------------------------

Map tests = [:]

tests.compiles = {
  PipelineDouble jenkins = fresh()
  List files = []
  library.eachFileRecurse { if (it.name.endsWith('.groovy') || it.name.contains('Jenkinsfile')) files << it }
  assert files.collect { it.name }.containsAll(['goalkeeperGoal.groovy', 'goalkeeperSession.groovy',
                                                'Argv.groovy', 'Json.groovy', 'Jenkinsfile.example'])
  files.each { jenkins.compile(it) }
  ['goalkeeperGoal', 'goalkeeperSession'].each { assert new File(library, "vars/${it}.txt").text.contains(it) }
}

tests.argvQuoting = {
  Class argv = fresh().loader.loadClass('goalkeeper.jenkins.Argv')
  List words = ['a b', "it's", '$HOME', 'a;b', '"q"', 'line\nbreak', '', '`id`', '\\']
  Process p = ['sh', '-c', 'printf "[%s]" "$@"'.replace('"$@"', argv.line(words))].execute()
  assert p.inputStream.text == words.collect { "[${it}]" }.join('')
  assert argv.fileName('hello/greet-en#1') == 'hello_greet-en_1'
}

tests.hello = {
  PipelineDouble jenkins = withSessionJob(fresh())
  int asked = 0
  jenkins.inputAnswer = { Map a -> ++asked == 1 ? [decision: 'reject', feedback: 'say it louder'] : null }
  Build parent = jenkins.newBuild('goals')
  copyGoal(parent, 'hello.yaml')
  String state = "${root}/hello.db"
  List result = runGoal(jenkins, parent, [file: 'hello.yaml', state: state, jobs: 4])

  // Every spawned task became one build of the session job, with the action as parameters.
  List builds = jenkins.of('build')
  assert builds.collect { it.params.GK_JOB_KEY }.sort() == ['hello/greet-de#1', 'hello/greet-en#1', 'hello/greet-fr#1']
  Map words = ['greet-en': 'hello', 'greet-fr': 'bonjour', 'greet-de': 'hallo']
  builds.each { Map b ->
    String task = b.params.GK_JOB_KEY.replaceAll(/^hello\/|#1$/, '')
    assert b.job == 'gk-session' && b.wait == true && b.propagate == false
    List command = json(b.params.GK_COMMAND)
    assert command[0..1] == ['sh', '-c'] && command[2].contains("echo ${words[task]} > greeting.txt")
    assert json(b.params.GK_ENV).GK_TASK_ID == task
    assert b.params.GK_PROMPT.startsWith('# Say hello in') && b.params.GK_TIMEOUT_S == '120'
  }
  // The three ran at once, in slots of the parallel, each in a workspace of its own.
  assert builds.every(inSlot) && atOnce(builds) == 3
  List greetings = new File(jenkins.root, '.').listFiles().findAll { it.name ==~ /gk-session-\d+/ }
      .collect { new File(it, 'greeting.txt').text.trim() }.sort()
  assert greetings == ['bonjour', 'hallo', 'hello']

  // Pinned tasks ran with sh in this build's workspace, in order; the rejected review ran collect
  // again. collect printing the three words proves the children's results reached the state.
  List pinned = pinnedRuns(jenkins, parent.name)
  assert pinned.collect { it.gk.GK_JOB_KEY } == ['hello/prepare#1', 'hello/collect#1', 'hello/collect#2']
  assert pinned[0].stdout.contains("pinned session in ${parent.workspace.path}")
  assert pinned[0].stdout.contains('# Read the prompt in the pinned session')
  assert pinned[1].stdout.trim() == 'hello bonjour hallo'

  // The review became an input with id = the task, asked twice (rejected, then approved).
  assert jenkins.of('input').collect { it.id } == ['review', 'review']
  assert jenkins.of('sh').any { it.script.contains("'reject' 'hello/review' '--feedback' 'say it louder'") }

  // No key started twice, each reported finished, and the goal is done in the real state.
  List started = reported(jenkins, 'started')
  assert started.size() == 6 && started.unique(false) == started
  assert reported(jenkins, 'finished').sort() == started.sort()
  assert events(state).findAll { it.kind == 'job_started' }.collect { it.data.job_key }.sort() == started.sort()
  assert statusOf(state).collect { [it.goal_id, it.status, it.progress.done] } == [['hello', 'done', 6]]
  assert result.collect { it.status } == ['done']
}

tests.fanout = {
  PipelineDouble jenkins = withSessionJob(fresh())
  Build parent = jenkins.newBuild('goals')
  copyGoal(parent, 'fanout.yaml')
  String state = "${root}/fanout.db"
  runGoal(jenkins, parent, [file: 'fanout.yaml', state: state, jobs: 3])

  List keys = jenkins.of('build').collect { it.params.GK_JOB_KEY }
  assert keys.sort() == (1..8).collect { "fanout/shard-${it}#1" }.sort()
  // jobs: 3 is three slots (and the heartbeat branch) in each parallel, and at most 3 at once;
  // every job ran in a slot.
  assert jenkins.of('parallel').every { it.branches == ['goalkeeper slot 1', 'goalkeeper slot 2',
                                                        'goalkeeper slot 3', 'goalkeeper heartbeat'] }
  List pinned = pinnedRuns(jenkins, parent.name)
  List jobs = jenkins.of('build') + pinned
  assert jobs.every(inSlot) && atOnce(jobs) == 3
  // merge ran pinned, after every shard.
  assert pinned.collect { it.gk.GK_JOB_KEY } == ['fanout/merge#1']
  assert pinned[0].t0 >= jenkins.of('build').collect { it.t1 }.max()
  assert jenkins.calls.indexOf(pinned[0]) > jenkins.calls.findLastIndexOf { it.step == 'build' }
  List started = reported(jenkins, 'started')
  assert started.unique(false) == started && started.size() == 9
  assert statusOf(state).collect { [it.goal_id, it.status] } == [['fanout', 'done']]
}

// Slots refill as jobs end: with jobs: 2 and six parallel tasks, one slow, the other slot runs
// the fast ones one after the other while the slow one runs. (Batches would wait for the slow
// one before stepping again.)
tests.refill = {
  PipelineDouble jenkins = withSessionJob(fresh())
  Build parent = jenkins.newBuild('goals')
  List fastIds = (1..5).collect { "fast-${it}" }
  copyGoal(parent, 'refill.yaml', """version: 1
defaults: {session_policy: spawn, max_retries: 0, timeout: 1m}
goals:
  - id: refill
    max_parallel: 6
    tasks:
      - id: fan
        parallel: true
        tasks:
          - {id: slow, run: [sh, -c, 'sleep 3']}
${fastIds.collect { "          - {id: ${it}, run: [sh, -c, 'sleep 0.2']}" }.join('\n')}
""")
  String state = "${root}/refill.db"
  List result = runGoal(jenkins, parent, [file: 'refill.yaml', state: state, jobs: 2])

  List builds = jenkins.of('build')
  assert builds.collect { it.params.GK_JOB_KEY }.sort() == (['slow'] + fastIds).collect { "refill/${it}#1" }.sort()
  Map slow = builds.find { it.params.GK_JOB_KEY == 'refill/slow#1' }
  List fast = builds.findAll { !it.is(slow) }.sort { it.t0 }
  // The first step offered slow and fast-1; the next fast one started in the slot fast-1 freed,
  // while slow still ran.
  assert slow.t0 < fast[0].t1
  assert fast[1].t0 >= fast[0].t1 && fast[1].t0 < slow.t1 : 'no slot was refilled while the slow job ran'
  int during = fast.count { it.t1 <= slow.t1 }
  println "refill: ${during} of 5 fast jobs ran while the slow one did (${slow.t1 - slow.t0} ms)"
  assert during >= 2
  // Never more than jobs: 2 at once, every job in a slot.
  assert builds.every(inSlot) && atOnce(builds) == 2
  assert jenkins.of('parallel').every { it.branches == ['goalkeeper slot 1', 'goalkeeper slot 2', 'goalkeeper heartbeat'] }

  // Every key started once, every end reported, the goal done in the real state.
  List started = reported(jenkins, 'started')
  assert started.size() == 6 && started.unique(false) == started
  assert reported(jenkins, 'finished').sort() == started.sort()
  assert events(state).findAll { it.kind == 'job_started' }.collect { it.data.job_key }.sort() == started.sort()
  assert statusOf(state).collect { [it.goal_id, it.status, it.progress.done] } == [['refill', 'done', 6]]
  assert result.collect { it.status } == ['done']
}

// Every argument reaches the program unchanged, in a child build and pinned; a job running
// past heartbeatS is kept alive.
tests.argvAndHeartbeat = {
  PipelineDouble jenkins = withSessionJob(fresh())
  Build parent = jenkins.newBuild('goals')
  List words = ['a b', "it's", '$HOME', 'a;b', '"q"', 'line\nbreak', '', '*']
  String run = groovy.json.JsonOutput.toJson(['sh', '-c', 'printf "[%s]" "$@" > args.txt; sleep 3', 'argv0'] + words)
  copyGoal(parent, 'quoting.yaml', """version: 1
defaults: {session_policy: spawn, max_retries: 0}
goals:
  - id: quoting
    tasks:
      - id: spawned
        run: ${run}
      - id: pinned
        session_policy: reuse
        run: ${run}
""")
  String state = "${root}/quoting.db"
  runGoal(jenkins, parent, [file: 'quoting.yaml', state: state])
  String expected = words.collect { "[${it}]" }.join('')
  File child = new File(jenkins.root, '.').listFiles().find { it.name ==~ /gk-session-\d+/ }
  assert new File(child, 'args.txt').text == expected
  assert new File(parent.workspace, 'args.txt').text == expected
  List beats = jenkins.of('sh').findAll { it.script.contains("'heartbeat' 'quoting/spawned#1'") }
  assert beats && beats.every { it.stdout.contains('quoting/spawned#1') && !it.stderr.contains('refused') }
  assert statusOf(state).collect { it.status } == ['done']
}

// A failing child and a pinned job past its timeout (two goals, so that one failing does not
// cancel the other): both ends reach the state with their exit codes, and the build stops.
tests.failure = {
  PipelineDouble jenkins = withSessionJob(fresh())
  Build parent = jenkins.newBuild('goals')
  copyGoal(parent, 'failing.yaml', '''version: 1
defaults: {max_retries: 0}
goals:
  - id: child
    tasks:
      - {id: exits, session_policy: spawn, run: [sh, -c, 'exit 7']}
  - id: pinned
    tasks:
      - {id: sleeps, session_policy: reuse, timeout: 1s, run: [sh, -c, 'sleep 30']}
''')
  String state = "${root}/failing.db"
  long t0 = System.currentTimeMillis()
  String message = expectError { runGoal(jenkins, parent, [file: 'failing.yaml', state: state]) }
  assert message.contains('a goal of failing.yaml failed: ')
  assert System.currentTimeMillis() - t0 < 25000  // the timeout ended the sleep
  Map codes = events(state).findAll { it.kind == 'job_finished' }.collectEntries { [it.data.job_key, it.data.exit_code] }
  assert codes == ['child/exits#1': 7, 'pinned/sleeps#1': 124]
  assert jenkins.calls.find { it.step == 'echo' && it.build.startsWith('gk-session') }.message.contains('exited 7')
  assert statusOf(state).collect { it.status } == ['failed', 'failed']
}

// A build that stopped at the review (aborted input) leaves it pending; the next build of the
// same state asks it again and finishes, starting nothing again.
tests.reviewAfterRestart = {
  PipelineDouble first = withSessionJob(fresh())
  first.inputAnswer = { Map a -> new PipelineError('Aborted by a person') }
  Build parent = first.newBuild('goals')
  copyGoal(parent, 'hello.yaml')
  String state = "${root}/restart.db"
  assert expectError { runGoal(first, parent, [file: 'hello.yaml', state: state]) } == 'Aborted by a person'
  assert statusOf(state).collect { it.status } == ['pending_review']

  PipelineDouble second = withSessionJob(fresh())
  Build again = second.newBuild('goals')
  copyGoal(again, 'hello.yaml')
  List result = runGoal(second, again, [file: 'hello.yaml', state: state])
  assert second.of('input').collect { it.id } == ['review'] : 'asked once, about the task only'
  assert second.of('build').isEmpty() && reported(second, 'started').isEmpty()
  assert result.collect { it.status } == ['done']
}

tests.refusals = {
  PipelineDouble jenkins = fresh()
  Build b = jenkins.newBuild('goals')
  assert expectError { runGoal(jenkins, b, [:]) }.contains('give the goal file')
  assert expectError { runGoal(jenkins, b, [file: 'x.yaml', jobs: 0]) }.contains('jobs must be 1 or more')
  assert expectError { runGoal(jenkins, b, [file: 'missing.yaml', state: "${root}/m.db"]) }.contains('exited 2')
  Build session = jenkins.newBuild('gk-session', [GK_JOB_KEY: 'g/t#1', GK_COMMAND: '"sh"'])
  assert expectError { jenkins.run(session, 'goalkeeperSession', [:]) }.contains('not a JSON list')
}

// --- runner ------------------------------------------------------------------------------------

List chosen = args ? args as List : tests.keySet() as List
int failed = 0
try {
  for (String name in chosen) {
    long t0 = System.currentTimeMillis()
    try {
      tests[name]()
      println "ok   ${name} (${System.currentTimeMillis() - t0} ms)"
    } catch (Throwable t) {
      failed++
      println "FAIL ${name}: ${t}"
      org.codehaus.groovy.runtime.StackTraceUtils.deepSanitize(t).printStackTrace()
    }
  }
} finally {
  root.deleteDir()
}
println failed ? "${failed} of ${chosen.size()} failed" : "all ${chosen.size()} passed"
System.exit(failed ? 1 : 0)
