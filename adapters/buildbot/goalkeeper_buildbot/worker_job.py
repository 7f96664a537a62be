"""One job's command on a build's worker: the prompt file, the command, the result upload.

Used by the session builder's step (a spawned session, in that build's own workdir) and by the
goal step for a pinned session (in the goal build's workdir). The commands are run directly on
the step's connection, not through BuildStep.runCommand, so that a goal step can run a pinned
job while it keeps stepping the plugin.
"""

import os

from twisted.internet import defer

from buildbot.process import remotecommand, remotetransfer

from . import names


class WorkerJob:
    """Runs ``command`` with ``env`` (plus the GK_* files) in ``workdir`` of ``step``'s build."""

    def __init__(self, step, workdir, command, env, prompt, timeout_s, result_dest, log):
        self.step = step
        self.workdir = workdir  # relative to the builder's folder on the worker
        self.command = command
        self.env = env
        self.prompt = prompt
        self.timeout_s = timeout_s
        self.result_dest = result_dest  # absolute path on the master
        self.log = log
        self.cmd = None
        self.interrupted = False

    @property
    def workspace(self):
        build = self.step.build
        return build.path_module.join(self.step.getProperty("builddir"), self.workdir)

    def _run(self, cmd):
        self.cmd = cmd
        cmd.worker = self.step.worker
        cmd.useLog(self.log, False)
        return cmd.run(self.step, self.step.remote, self.step.build.builder.name)

    @defer.inlineCallbacks
    def run(self):
        """Returns (exit_code, result_file or None). Raises if the worker connection is lost."""
        join = self.step.build.path_module.join
        gk_dir = join(self.workdir, os.path.dirname(names.PROMPT_NAME))
        # A result left by an earlier job in the same workspace (a pinned session) is not ours.
        yield self._run(remotecommand.RemoteCommand("rmdir", {"dir": gk_dir}))
        reader = remotetransfer.StringFileReader(self.prompt.encode("utf-8"))
        yield self._run(remotecommand.RemoteCommand("downloadFile", {
            "workdir": self.workdir, "workerdest": names.PROMPT_NAME, "reader": reader,
            "maxsize": None, "blocksize": 64 * 1024, "mode": 0o600}))
        env = dict(self.env)
        env["GK_WORKSPACE"] = self.workspace
        env["GK_PROMPT_FILE"] = join(self.workspace, names.PROMPT_NAME)
        env["GK_RESULT_FILE"] = join(self.workspace, names.RESULT_NAME)
        # GK_STATE names the master's state file: no use on a worker, and not its business.
        env.pop("GK_STATE", None)
        shell = remotecommand.RemoteShellCommand(
            workdir=self.workdir, command=list(self.command), env=env,
            # No silence timeout: an agent may think quietly; the task's timeout bounds it.
            timeout=None, maxTime=self.timeout_s or None,
            # The environment holds the whole prompt; keep the log readable.
            logEnviron=False, interruptSignal="KILL", decodeRC={0: 0})
        if self.interrupted:
            return (130, None)
        yield self._run(shell)
        exit_code = shell.rc if isinstance(shell.rc, int) else 1
        result = yield self._upload()
        return (exit_code, result)

    @defer.inlineCallbacks
    def _upload(self):
        os.makedirs(os.path.dirname(self.result_dest), exist_ok=True)
        if os.path.exists(self.result_dest):
            os.unlink(self.result_dest)
        writer = remotetransfer.FileWriter(self.result_dest, names.MAX_RESULT_BYTES, None)
        cmd = remotecommand.RemoteCommand("uploadFile", {
            "workdir": self.workdir, "workersrc": names.RESULT_NAME, "writer": writer,
            "maxsize": names.MAX_RESULT_BYTES, "blocksize": 64 * 1024, "keepstamp": False})
        try:
            yield self._run(cmd)
        finally:
            writer.cancel()
        # No result file is a normal outcome: the exit code then says done or failed.
        if cmd.didFail() or not os.path.exists(self.result_dest):
            return None
        return self.result_dest

    @defer.inlineCallbacks
    def interrupt(self, reason):
        self.interrupted = True
        if self.cmd is not None:
            yield self.cmd.interrupt(reason)
