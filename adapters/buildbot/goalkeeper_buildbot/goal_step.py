"""GoalkeeperStep: a goal build that drives the plugin on the master, sessions as builds."""

import os
import time

from twisted.internet import defer, reactor, task
from twisted.internet.threads import deferToThread
from twisted.python import log

from buildbot.process import buildstep
from buildbot.process.results import CANCELLED, EXCEPTION
from buildbot.reporters.utils import getURLForBuild

import goalkeeper

from . import names, sessions, status
from .worker_job import WorkerJob

CANCELLED_EXIT = 130  # what a cancelled job that never reported reports


class GoalkeeperStep(buildstep.BuildStep):
    """Steps the goals of ``goal_file`` (a path on the master) in the state ``state``.

    Spawned sessions run as builds of the Triggerable scheduler ``session_scheduler`` (at most
    ``jobs`` sessions at once); pinned ones as commands of this build, on its worker. The step
    ends SUCCESS when every goal is done, FAILURE when one failed, WARNINGS when what is left
    waits on a person; the next build of the goal builder carries on from the state.
    ``config`` adds keys of gk_open (limits, github, ...); ``goal`` steps only that goal of the
    file; ``spec`` starts goals in spec mode. Relative paths are the master's basedir's.
    """

    name = "goalkeeper"
    # The step's result is the build's: a failed goal fails it, a wait on a person warns.
    flunkOnFailure = True
    warnOnWarnings = True
    renderables = ["goal_file", "state"]

    def __init__(self, goal_file, state, session_scheduler, jobs=4, config=None, goal=None,
                 spec=False, poll_s=1.0, heartbeat_s=60.0, **kwargs):
        super().__init__(**kwargs)
        self.goal_file, self.state, self.session_scheduler = goal_file, state, session_scheduler
        self.jobs, self.config, self.goal, self.spec = jobs, dict(config or {}), goal, spec
        self.poll_s, self.heartbeat_s = poll_s, heartbeat_s
        self.spawned = {}  # job key -> build request id of its session build
        self.pinned = {}  # job key -> WorkerJob running in this build
        self.ended = []  # (job key, exit code, result file) of pinned jobs, to report
        self.cancelling = set()
        self.gone = set()  # keys the next gk_step hears are gone (job_alive 0)
        self.text = "starting"
        self.woken = False  # a session build ended since the loop last slept
        self.wakeup = None  # the loop's sleep, while it sleeps

    # -- plugin calls: each in a thread, so the reactor never waits for the plugin ----------

    @defer.inlineCallbacks
    def _call(self, fn, *args):
        for attempt in range(5):
            try:
                return (yield deferToThread(fn, *args))
            except goalkeeper.Error as e:
                if e.name != "GK_ERR_BUSY" or attempt == 4:
                    raise
            yield task.deferLater(reactor, 0.2 * (attempt + 1), lambda: None)

    def _job_alive(self, key):
        # Called on the plugin's thread during gk_step: reads only sets the loop prepared.
        if key in self.gone:
            return 0
        return 1 if key in self.spawned or key in self.pinned else -1

    @defer.inlineCallbacks
    def _event(self, key, event):
        try:
            yield self._call(self.gk.job_event, key, event)
        except goalkeeper.Error as e:
            yield self.log.addStderr(f"{key}: {event['type']} refused: {e.message}\n")

    # -- the step ---------------------------------------------------------------------------

    @defer.inlineCallbacks
    def run(self):
        basedir = self.master.basedir
        self.state_path = os.path.join(basedir, self.state)
        goal_path = os.path.join(basedir, self.goal_file)
        self.log = yield self.addLog("goalkeeper")
        config = dict(self.config, state_path=self.state_path)
        problem = sessions.check_scheduler(self.master, self.session_scheduler)
        if problem:
            yield self.log.addStderr(problem + "\n")
            self.text = problem
            return EXCEPTION
        self.gk = yield deferToThread(goalkeeper.Plugin, config, job_alive=self._job_alive)
        try:
            text = yield deferToThread(lambda: open(goal_path, encoding="utf-8").read())
            loaded = yield self._call(self.gk.load, text, self.goal_file)
            self.goal_ids = [g["goal_id"] for g in loaded["goals"]
                             if self.goal is None or g["goal_id"] == self.goal]
            if not self.goal_ids:
                raise ValueError(f"{self.goal_file} has no goal {self.goal!r}")
            for g in (yield self._status()):
                if g["state"] == "loaded":  # never restart a goal a person stopped
                    yield self._call(self.gk.start, g["goal_id"], {"spec": True} if self.spec else None)
            yield self._adopt()
            result = yield self._loop()
        except goalkeeper.Error as e:
            yield self.log.addStderr(f"goalkeeper: {e.name}: {e.message}\n")
            self.text = f"goalkeeper: {e.message.splitlines()[0]}"
            result = EXCEPTION
        finally:
            yield self._drain_pinned()
            yield deferToThread(self.gk.close)
        self.updateSummary()
        return result

    @defer.inlineCallbacks
    def _status(self):
        answer = yield self._call(self.gk.query, {"what": "status"})
        return [g for g in answer["goals"] if g["goal_id"] in self.goal_ids]

    @defer.inlineCallbacks
    def _adopt(self):
        """After a restart: find the session build of every job the state says runs."""
        for g in (yield self._status()):
            for a in g.get("active", []):
                key = a.get("job_key")
                if not key or a.get("job") != "running":
                    continue
                brids = yield sessions.find_requests(self.master, key)
                if brids:
                    self.spawned[key] = brids[-1]
                else:  # a pinned job of an earlier goal build: that build is over
                    self.gone.add(key)
                yield self.log.addStdout(f"{key}: {'adopted' if brids else 'gone'}\n")

    @defer.inlineCallbacks
    def _loop(self):
        # A session build that ends wakes the loop at once; poll_s bounds the sleep otherwise
        # (a pinned job's end, a missed message, the plugin's own timers).
        consumer = yield self.master.mq.startConsuming(
            self._request_complete, ("buildrequests", None, "complete"))
        try:
            return (yield self._steps())
        finally:
            consumer.stopConsuming()

    def _request_complete(self, key, msg):
        if msg.get("buildrequestid") in self.spawned.values():
            self.woken = True
            if self.wakeup is not None:
                reactor.callLater(0, self._wake)

    def _wake(self):
        wakeup, self.wakeup = self.wakeup, None
        if wakeup is not None and not wakeup.called:
            wakeup.callback(None)

    def _sleep(self, seconds):
        if self.woken:
            self.woken = False
            return defer.succeed(None)
        wakeup = self.wakeup = defer.Deferred()
        timer = reactor.callLater(seconds, self._wake)

        def woke(x):
            self.woken = False
            if timer.active():
                timer.cancel()
            return x
        return wakeup.addBoth(woke)

    @defer.inlineCallbacks
    def _steps(self):
        next_heartbeat = time.monotonic() + self.heartbeat_s
        while not self.stopped:
            yield self._collect()
            if time.monotonic() >= next_heartbeat:
                next_heartbeat = time.monotonic() + self.heartbeat_s
                for key in list(self.spawned) + list(self.pinned):
                    yield self._event(key, {"type": "heartbeat"})
            wait_ms = yield self._step()
            goals = yield self._status()
            running = len(self.spawned) + len(self.pinned)
            self.text = status.text(goals, running)
            self.updateSummary()
            result = status.verdict(goals)
            if result is not None and not running and not self.ended:
                return result
            yield self._sleep(min(self.poll_s, max(wait_ms, 100) / 1000))
        return CANCELLED

    @defer.inlineCallbacks
    def _collect(self):
        """Reports the jobs that ended since the last look."""
        for key, brid in list(self.spawned.items()):
            out = yield sessions.outcome(self.master, brid)
            if out is None:
                continue
            del self.spawned[key]
            if out == sessions.GONE and key not in self.cancelling:
                self.gone.add(key)
                yield self.log.addStdout(f"{key}: its build ended without running it\n")
                continue
            exit_code, result_file = (CANCELLED_EXIT, None) if out == sessions.GONE else out
            yield self._finished(key, exit_code, result_file)
        yield self._collect_pinned_only()

    @defer.inlineCallbacks
    def _finished(self, key, exit_code, result_file):
        event = {"type": "finished", "exit_code": exit_code}
        if result_file:
            event["result_file"] = result_file
        self.cancelling.discard(key)
        yield self.log.addStdout(f"{key}: finished, exit {exit_code}\n")
        yield self._event(key, event)

    @defer.inlineCallbacks
    def _step(self):
        wait_ms = 1000
        for gid in self.goal_ids:
            capacity = max(0, self.jobs - len(self.spawned) - len(self.pinned))
            answer = yield self._call(self.gk.step, {"goal_id": gid, "capacity": capacity})
            wait_ms = min(wait_ms, answer.get("next_step_ms", 1000))
            for action in answer["actions"]:
                yield self._act(action)
        self.gone.clear()  # heard by the steps above
        return wait_ms

    @defer.inlineCallbacks
    def _act(self, action):
        kind, key = action["type"], action.get("job_key")
        if kind == "run_job" and key not in self.spawned and key not in self.pinned:
            if action["session"]["policy"] == "reuse":
                yield self._start_pinned(action)
            else:
                yield self._start_spawned(action)
        elif kind == "cancel_job" and key not in self.cancelling:
            self.cancelling.add(key)
            yield self.log.addStdout(f"{key}: cancel ({action.get('reason', '')})\n")
            if key in self.spawned:
                yield sessions.cancel(self.master, self.spawned[key], action.get("reason", ""))
            elif key in self.pinned:
                yield self.pinned[key].interrupt(action.get("reason", "cancelled"))
            else:  # not running under this build (it ended, or its build is gone)
                yield self._finished(key, CANCELLED_EXIT, None)
        elif kind == "await_review":
            yield self.log.addStdout(
                f"{action['goal_id']}/{action['task_id']}: waits for review by a person\n")
        elif kind == "goal_finished":
            yield self.log.addStdout(f"{action['goal_id']}: {action['status']}\n")

    @defer.inlineCallbacks
    def _start_spawned(self, action):
        key = action["job_key"]
        # A key is started once: after a crash between the trigger and the report the
        # buildset is already there, and this adopts it instead of triggering another.
        brids = yield sessions.find_requests(self.master, key)
        try:
            brid = brids[-1] if brids else (
                yield sessions.trigger(self, self.session_scheduler, action))
        except Exception as e:  # an unknown scheduler, a database error
            yield self._event(key, {"type": "start_failed", "reason": f"trigger failed: {e}"})
            return
        self.spawned[key] = brid
        yield self.log.addStdout(f"{key}: session build request {brid}\n")
        yield self._event(key, {"type": "started", "host_ref": sessions.host_ref(self.master, brid)})

    @defer.inlineCallbacks
    def _start_pinned(self, action):
        key = action["job_key"]
        workdir = self.build.workdir
        if callable(workdir):
            workdir = workdir(self.build.sources)
        job_log = yield self.addLog(f"job {key}")
        job = WorkerJob(self, workdir, action["command"], action.get("env", {}),
                        action.get("prompt", ""), action.get("timeout_s", 0),
                        names.result_path(self.master.basedir, key), job_log)
        self.pinned[key] = job

        def done(outcome):
            del self.pinned[key]
            if isinstance(outcome, tuple):
                self.ended.append((key, outcome[0], outcome[1]))
            else:  # the worker went away: the job's end is unknown, so it runs again
                log.err(outcome, f"goalkeeper: pinned job {key}")
                self.gone.add(key)
        job.run().addBoth(done)
        builderid = yield self.build.getBuilderId()
        ref = getURLForBuild(self.master, builderid, self.build.number)
        yield self._event(key, {"type": "started", "host_ref": ref})

    @defer.inlineCallbacks
    def _drain_pinned(self):
        """A pinned job belongs to this build: stop it and report it before the build ends."""
        for key, job in list(self.pinned.items()):
            yield job.interrupt("the goal build ends")
        for _ in range(100):  # at most 10 s for the worker to confirm
            if not self.pinned:
                break
            yield task.deferLater(reactor, 0.1, lambda: None)
        yield self._collect_pinned_only()

    @defer.inlineCallbacks
    def _collect_pinned_only(self):
        while self.ended:
            yield self._finished(*self.ended.pop(0))

    @defer.inlineCallbacks
    def interrupt(self, reason):
        yield super().interrupt(reason)
        for job in list(self.pinned.values()):
            yield job.interrupt(reason)

    def getCurrentSummary(self):
        return {"step": self.text}

    def getResultSummary(self):
        return {"step": self.text}
