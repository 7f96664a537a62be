"""Spawned sessions as builds of the session builder, found again by their gk_job_key.

Everything here reads and writes Buildbot's own database, so what the goal build knows about
its sessions survives a master restart: a buildset carries the job key as a property, its
request is the session's reference, and the build of it records the exit code.
"""

import json

import sqlalchemy as sa
from twisted.internet import defer
from twisted.python import log

from buildbot.process.properties import Properties
from buildbot.reporters.utils import getURLForBuildrequest

from . import names

# What became of a session build that is over without having run its command (cancelled
# while queued, cut off by a restart): its job is gone, and the plugin runs a new attempt.
GONE = "gone"


def check_scheduler(master, name):
    """Why ``name`` cannot run sessions, or None. Buildbot collapses queued requests of one
    builder by default (marking all but one SKIPPED): sessions are never interchangeable."""
    scheduler = master.scheduler_manager.namedServices.get(name)
    if scheduler is None or not hasattr(scheduler, "trigger"):
        return f"goalkeeper: no Triggerable scheduler named {name!r}"
    for builder_name in scheduler.builderNames:
        builder = master.botmaster.builders.get(builder_name)
        collapse = builder.config.collapseRequests if builder else None
        if collapse is None:
            collapse = master.config.collapseRequests
        if collapse is not False:
            return (f"goalkeeper: session builder {builder_name!r} must not collapse requests:"
                    " set collapseRequests=False in its BuilderConfig")
    return None


def find_requests(master, job_key):
    """The build request ids of every buildset triggered for ``job_key``, oldest first."""
    def thd(conn):
        m = master.db.model
        bsp, br = m.buildset_properties, m.buildrequests
        q = (sa.select([br.c.id])
             .select_from(bsp.join(br, br.c.buildsetid == bsp.c.buildsetid))
             .where(bsp.c.property_name == names.JOB_KEY)
             .where(bsp.c.property_value == json.dumps([job_key, names.SOURCE]))
             .order_by(br.c.id))
        return [row.id for row in conn.execute(q)]
    return master.db.pool.do(thd)


@defer.inlineCallbacks
def trigger(step, scheduler_name, action):
    """Starts a build of the session builder for a run_job action; returns its request id."""
    scheduler = step.master.scheduler_manager.namedServices[scheduler_name]
    props = Properties()
    for name, value in [
            (names.JOB_KEY, action["job_key"]),
            (names.COMMAND, json.dumps(action["command"])),
            (names.ENV, json.dumps(action.get("env", {}))),
            (names.PROMPT, action.get("prompt", "")),
            (names.TIMEOUT_S, int(action.get("timeout_s", 0))),
            (names.STATE, step.state_path)]:
        props.setProperty(name, value, names.SOURCE)
    ids, results = scheduler.trigger(
        waited_for=False, sourcestamps=[], set_props=props,
        parent_buildid=step.build.buildid, parent_relationship="goalkeeper session")
    # The goal step reads the outcome from the database, which a restart keeps.
    results.addErrback(log.err, "goalkeeper: session build")
    _, brids = yield ids
    return list(brids.values())[0]


def host_ref(master, brid):
    return getURLForBuildrequest(master, brid)


@defer.inlineCallbacks
def outcome(master, brid):
    """None while the session runs or waits; else (exit_code, result_file) or GONE."""
    builds = yield master.db.builds.getBuilds(buildrequestid=brid)
    ended_without_code = False
    for build in sorted(builds, key=lambda b: b["id"]):
        if build["complete_at"] is None:
            return None
        props = yield master.db.builds.getBuildProperties(build["id"])
        if names.EXIT_CODE in props:
            result = props.get(names.RESULT_FILE, (None,))[0]
            return (int(props[names.EXIT_CODE][0]), result)
        ended_without_code = True
    request = yield master.db.buildrequests.getBuildRequest(brid)
    if ended_without_code or request["complete"]:
        if not request["complete"]:
            # Buildbot queued it again (the build was cut off, results RETRY); the key ran
            # once already, so the request must not start another build.
            yield cancel(master, brid, "goalkeeper: the session was cut off; a new attempt runs")
        return GONE
    return None


def cancel(master, brid, reason):
    """Stops the session build of ``brid``, or drops the request if it has not started."""
    return master.data.control("cancel", {"reason": reason}, ("buildrequests", brid))

