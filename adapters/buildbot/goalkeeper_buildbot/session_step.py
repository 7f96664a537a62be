"""GoalkeeperSessionStep: the session builder's one step, a spawned session on its worker."""

import json

from twisted.internet import defer

from buildbot.process import buildstep
from buildbot.process.results import CANCELLED, FAILURE, SUCCESS

from . import names
from .worker_job import WorkerJob


class GoalkeeperSessionStep(buildstep.BuildStep):
    """Runs the triggering goal build's job (the ``gk_*`` properties) in this build's workdir.

    The workdir is this build's own (``session-<build number>`` in the builder's folder), so
    two sessions never share a workspace even on one worker. Given ``workdir=``, the session
    runs there instead: the checkout an earlier step of the session builder made (a ``Git``
    step of the goal file's repository with ``mode="full", method="clobber"``), which Buildbot
    gives one build of the builder at a time on a worker. The command's exit status is the
    step's (and the job's); the result file is uploaded to the master and its path kept in the
    build's ``gk_result_file`` property, the exit code in ``gk_exit_code``.
    """

    name = "goalkeeper session"
    haltOnFailure = True
    flunkOnFailure = True  # the job's exit status is the build's

    def __init__(self, **kwargs):
        self.checkout = kwargs.get("workdir")  # given: run in that checkout
        super().__init__(**kwargs)
        self.job = None

    @defer.inlineCallbacks
    def run(self):
        key = self.getProperty(names.JOB_KEY)
        log = yield self.addLog("stdio")
        if not key:
            yield log.addStderr("no gk_job_key: this builder runs builds a GoalkeeperStep triggers\n")
            return FAILURE
        # Buildbot runs a request again when the build of it was cut off (a master or worker
        # that went away). The job key already ran once then; the goal build starts a new
        # attempt instead, so this build refuses to run it a second time.
        if (yield self._ran_before()):
            self.descriptionDone = [f"{key} ran in an earlier build; not run again"]
            yield log.addHeader(self.descriptionDone[0] + "\n")
            return CANCELLED
        command = json.loads(self.getProperty(names.COMMAND))
        env = json.loads(self.getProperty(names.ENV) or "{}")
        timeout_s = int(self.getProperty(names.TIMEOUT_S) or 0)
        workdir = self.checkout or f"session-{self.getProperty('buildnumber')}"
        self.job = WorkerJob(self, workdir, command, env, self.getProperty(names.PROMPT) or "",
                             timeout_s, names.result_path(self.master.basedir, key), log)
        self.descriptionDone = [key]
        exit_code, result_file = yield self.job.run()
        self.setProperty(names.EXIT_CODE, exit_code, names.SOURCE)
        if result_file:
            self.setProperty(names.RESULT_FILE, result_file, names.SOURCE)
        self.descriptionDone = [f"{key} exit {exit_code}"]
        return SUCCESS if exit_code == 0 else FAILURE

    @defer.inlineCallbacks
    def _ran_before(self):
        brids = [r.id for r in self.build.requests]
        for brid in brids:
            builds = yield self.master.db.builds.getBuilds(buildrequestid=brid)
            if any(b["id"] != self.build.buildid for b in builds):
                return True
        return False

    @defer.inlineCallbacks
    def interrupt(self, reason):
        yield super().interrupt(reason)
        if self.job is not None:
            yield self.job.interrupt(reason)
