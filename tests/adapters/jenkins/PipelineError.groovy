// What error() and a failing step throw, as Jenkins' AbortException does.
class PipelineError extends RuntimeException {
  PipelineError(String message) { super(message) }
}
