import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock

// One build of one job: its workspace, env, parameters, currentBuild and CPS lock; its steps.
class Build {
  final PipelineDouble jenkins
  final String job
  final int number
  final File workspace
  final Map params
  final Map buildVariables = [:].asSynchronized()  // what `env.X = v` set, as RunWrapper shows it
  final Map currentBuild = [result: null, displayName: null].asSynchronized()
  final ReentrantLock cps = new ReentrantLock()
  final ThreadLocal<List<String>> overlay = ThreadLocal.withInitial { [] }  // withEnv, per branch
  private final Binding binding = new Binding()
  private final Map<String, Script> loaded = [:]

  Build(PipelineDouble jenkins, String job, int number, File workspace, Map params) {
    this.jenkins = jenkins
    this.job = job
    this.number = number
    this.workspace = workspace
    this.params = params
    binding.setVariable('params', params)
    binding.setVariable('currentBuild', currentBuild)
    binding.setVariable('env', new EnvDouble(this))
    for (String step in ['sh', 'build', 'parallel', 'input', 'sleep', 'echo', 'error', 'withEnv',
                         'writeFile', 'readFile', 'fileExists', 'pwd', 'string', 'text', 'choice'])
      binding.setVariable(step, this.&"${step}Step")
    for (String name in ['goalkeeperGoal', 'goalkeeperSession'])
      binding.setVariable(name, new LazyVar(this, name))
  }

  Object var(String name) {
    synchronized (loaded) {
      return loaded.computeIfAbsent(name) { jenkins.instantiate(name, binding) }
    }
  }

  String getName() { "${job} #${number}" }

  // The environment a step sees: the machine's, the build's, then each withEnv around it.
  Map<String, String> environment() {
    Map<String, String> env = new HashMap<>(System.getenv())
    env.putAll([BUILD_NUMBER: "${number}", JOB_NAME: job, WORKSPACE: workspace.path,
                BUILD_URL   : "https://jenkins.example/job/${job}/${number}/"].collectEntries { k, v -> [k, v.toString()] })
    params.each { k, v -> env[k as String] = v as String }
    buildVariables.each { k, v -> env[k as String] = v as String }
    for (String line in overlay.get()) {
      int eq = line.indexOf('=')
      String name = line.substring(0, eq), value = line.substring(eq + 1)
      if (name.contains('+')) env[name.substring(0, name.indexOf('+'))] = value + ':' + env[name.substring(0, name.indexOf('+'))]
      else env[name] = value
    }
    return env
  }

  // A step that waits (a process, a child build, a sleep) lets the other branches run, as CPS does.
  private Object waiting(Closure work) {
    boolean held = cps.heldByCurrentThread
    if (held) cps.unlock()
    try {
      return work()
    } finally {
      if (held) cps.lock()
    }
  }

  private File file(String path) {
    File f = new File(path)
    return f.absolute ? f : new File(workspace, path)
  }

  def shStep(Object arg) {
    Map a = arg instanceof Map ? arg : [script: arg]
    Map<String, String> env = environment()
    Map call = [step: 'sh', build: name, script: a.script as String,
                gk: env.findAll { k, v -> k.startsWith('GK_') }, path: env.PATH,
                branch: Thread.currentThread().name, t0: System.currentTimeMillis()]
    jenkins.record(call)
    File err = File.createTempFile('sh-', '.err', jenkins.root)
    Process p = waiting {
      ProcessBuilder pb = new ProcessBuilder('/bin/sh', '-xe', '-c', a.script as String)
      pb.directory(workspace).redirectErrorStream(false).redirectError(err)
      pb.environment().clear()
      pb.environment().putAll(env)
      Process started = pb.start()
      started.outputStream.close()
      call.stdout = started.inputStream.getText('UTF-8')
      if (!started.waitFor(180, TimeUnit.SECONDS)) {
        started.destroyForcibly()
        throw new PipelineError("sh did not end within 180 s: ${a.script}")
      }
      call.t1 = System.currentTimeMillis()  // [t0, t1]: the process on a timeline
      return started
    }
    call.stderr = err.getText('UTF-8')
    call.rc = p.exitValue()
    err.delete()
    if (a.returnStatus) return call.rc
    if (call.rc != 0) throw new PipelineError("script returned exit code ${call.rc}")
    return a.returnStdout ? call.stdout : null
  }

  def buildStep(Map a) {
    Map params = (a.parameters ?: []).collectEntries { [it.name, it.value] }
    // t0 and t1 (ms) place the child build on a timeline; branch is the parallel branch it ran in.
    Map call = [step: 'build', build: name, job: a.job, params: params, wait: a.wait, propagate: a.propagate,
                branch: Thread.currentThread().name, t0: System.currentTimeMillis()]
    jenkins.record(call)
    Closure body = jenkins.jobs[a.job]
    if (!body) throw new PipelineError("No item named ${a.job} found")
    Build child = jenkins.newBuild(a.job as String, params)
    String result = waiting {
      child.cps.lock()
      try {
        body(child)
        return child.currentBuild.result ?: 'SUCCESS'
      } catch (PipelineError e) {
        child.echoStep("ERROR: ${e.message}")
        return 'FAILURE'
      } finally {
        child.cps.unlock()
        call.t1 = System.currentTimeMillis()
      }
    }
    if (a.propagate != false && result != 'SUCCESS') throw new PipelineError("${child.name} ended ${result}")
    return [result: result, number: child.number, buildVariables: new HashMap(child.buildVariables),
            workspace: child.workspace]
  }

  def parallelStep(Map branches) {
    jenkins.record([step: 'parallel', build: name, branches: branches.keySet() as List])
    List<String> around = new ArrayList<>(overlay.get())
    List errors = [].asSynchronized()
    List<Thread> threads = branches.collect { name, Closure body ->
      new Thread({
        overlay.set(new ArrayList<>(around))
        cps.lock()
        try {
          body()
        } catch (Throwable t) {
          errors << t
        } finally {
          cps.unlock()
        }
      }, "branch ${name}")
    }
    waiting {
      threads*.start()
      threads.each { it.join(200000) }
    }
    if (threads.any { it.alive }) throw new PipelineError('a parallel branch did not end within 200 s')
    if (errors) throw errors[0]
  }

  def inputStep(Map a) {
    jenkins.record([step: 'input', build: name, id: a.id, message: a.message, ok: a.ok,
                    parameters: a.parameters.collect { it.name }])
    def answer = jenkins.inputAnswer(a)
    if (answer instanceof Throwable) throw answer
    return answer
  }

  def sleepStep(Object a) {
    Map args = a instanceof Map ? a : [time: a]
    jenkins.record([step: 'sleep', build: name, time: args.time, unit: args.unit ?: 'SECONDS'])
    long ms = (args.unit == 'MILLISECONDS') ? args.time as long : (args.time as long) * 1000
    waiting { Thread.sleep(ms) }
  }

  def echoStep(Object message) {
    jenkins.record([step: 'echo', build: name, message: message as String])
    println "[${name}] ${message}"
  }

  def errorStep(Object message) {
    jenkins.record([step: 'error', build: name, message: message as String])
    throw new PipelineError(message as String)
  }

  def withEnvStep(List lines, Closure body) {
    jenkins.record([step: 'withEnv', build: name, names: lines.collect { (it as String).split('=', 2)[0] }])
    List<String> before = overlay.get()
    overlay.set(before + lines.collect { it as String })
    try {
      return body()
    } finally {
      overlay.set(before)
    }
  }

  def writeFileStep(Map a) {
    jenkins.record([step: 'writeFile', build: name, file: a.file])
    File f = file(a.file as String)
    f.parentFile.mkdirs()  // as Jenkins' FilePath.write does
    f.setText(a.text as String, 'UTF-8')
  }

  def readFileStep(Object a) {
    String path = a instanceof Map ? a.file : a
    jenkins.record([step: 'readFile', build: name, file: path])
    return file(path).getText('UTF-8')
  }

  def fileExistsStep(Object a) {
    String path = a instanceof Map ? a.file : a
    return file(path).exists()
  }

  def pwdStep(Map a = [:]) {
    return a.tmp ? workspace.path + '@tmp' : workspace.path
  }

  def stringStep(Map a) { [type: 'string'] + a }

  def textStep(Map a) { [type: 'text'] + a }

  def choiceStep(Map a) { [type: 'choice'] + a }
}

// `env.X` reads what a step would see; `env.X = v` sets a build variable.
class EnvDouble {
  final Build build

  EnvDouble(Build build) { this.build = build }

  Object getProperty(String name) { build.environment()[name] }

  void setProperty(String name, Object value) { build.buildVariables[name] = value as String }
}

// A global var seen from another one (goalkeeperGoal calls goalkeeperSession.runJob).
class LazyVar {
  final Build build
  final String name

  LazyVar(Build build, String name) {
    this.build = build
    this.name = name
  }

  Object invokeMethod(String method, Object args) {
    return build.var(name).invokeMethod(method, args)
  }
}
