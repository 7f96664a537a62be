import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.customizers.ImportCustomizer

// A recording stand-in for the Jenkins Pipeline steps the library uses, the way a fake GitHub
// stands in for GitHub: `sh` runs real processes (the real goalkeeper), `build` runs the session
// job's body for real in a workspace of its own, `parallel` runs branches on threads but one at
// a time between steps, as CPS does. Every step call is recorded, in order, in `calls`; `build`
// and `sh` also record when they ran ([t0, t1], ms) and in which thread (`branch NAME` in a
// parallel branch), a timeline of the jobs.
class PipelineDouble {
  final File library          // adapters/jenkins
  final File root             // temp folder for workspaces, removed by the test
  final List calls = Collections.synchronizedList([])
  final Map<String, Closure> jobs = [:]   // job name -> { Build b -> ... } (the job's Jenkinsfile)
  Closure inputAnswer = { Map args -> null }  // what a person answers; a Throwable is thrown
  final GroovyClassLoader loader
  private final Map<String, Class> vars = [:]
  private int builds = 0

  PipelineDouble(File library, File stubs, File root) {
    this.library = library
    this.root = root
    // Jenkins imports these into every Pipeline script and library; stubs/ holds stand-ins.
    CompilerConfiguration config = new CompilerConfiguration()
    config.addCompilationCustomizers(new ImportCustomizer().addImports(
        'com.cloudbees.groovy.cps.NonCPS', 'org.jenkinsci.plugins.workflow.libs.Library'))
    loader = new GroovyClassLoader(getClass().classLoader, config)
    loader.addClasspath(new File(library, 'src').path)
    loader.addClasspath(stubs.path)
  }

  // Compiles one file of the library the way Jenkins would load it; throws on a compile error.
  Class compile(File file) {
    return loader.parseClass(file)
  }

  private synchronized int nextNumber() { ++builds }

  Build newBuild(String job, Map params = [:]) {
    int number = nextNumber()
    File ws = new File(root, "${job}-${number}")
    ws.mkdirs()
    return new Build(this, job, number, ws, params)
  }

  // Runs a global var of the library (`goalkeeperGoal(...)`) in build b, holding b's CPS lock.
  Object run(Build b, String var, Map args) {
    b.cps.lock()
    try {
      return b.var(var).call(args)
    } finally {
      b.cps.unlock()
    }
  }

  Script instantiate(String name, Binding binding) {
    Class cls
    synchronized (vars) {
      cls = vars.computeIfAbsent(name) { compile(new File(library, "vars/${name}.groovy")) }
    }
    Script s = (Script) cls.newInstance()
    s.binding = binding
    return s
  }

  void record(Map call) {
    calls << call
  }

  List of(String step) {
    synchronized (calls) { return calls.findAll { it.step == step } }
  }
}
