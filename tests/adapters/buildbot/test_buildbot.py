"""The Buildbot adapter with a real master and two real workers: what Buildbot's own
database says about the builds a goal made."""

import os
import signal
import subprocess

from conftest import BUILDBOT, HERE, RESULTS, wait_for


def finished_goal_builds(cluster, builder, count):
    def done():
        builds = [b for b in cluster.builds(builder) if b["complete_at"] is not None]
        return builds if len(builds) >= count else None
    return done


def test_sessions_run_as_builds_of_the_session_builder_on_both_workers(cluster):
    cluster.sendchange("fan")
    goal = wait_for("the fan goal build", finished_goal_builds(cluster, "goal-fan", 1), 90)[0]
    sessions = [b for b in cluster.builds("session") if (b["job_key"] or "").startswith("fan/")]
    by_key = {b["job_key"]: b for b in sessions}

    # A person must review: the build ends WARNINGS and says what waits, and on whom.
    assert goal["results"] == RESULTS["WARNINGS"], cluster.step_text(goal["id"])
    assert "fan/review waits for a person's review" in cluster.step_text(goal["id"])

    # Every spawned task ran once, as its own build of the session builder; the pinned ones
    # (prepare, merge) ran in the goal build and are no session builds.
    assert sorted(b["job_key"] for b in sessions) == [
        "fan/flaky#1", "fan/flaky#2", "fan/s1#1", "fan/s2#1", "fan/s3#1", "fan/s4#1"]
    shards = [by_key[f"fan/s{i}#1"] for i in range(1, 5)]
    assert all(b["results"] == RESULTS["SUCCESS"] and b["exit_code"] == 0 for b in shards)
    parents = cluster.query(
        "SELECT DISTINCT s.parent_buildid FROM buildsets s JOIN buildrequests r"
        " ON r.buildsetid = s.id WHERE r.id IN (%s)" % ",".join(str(b["brid"]) for b in sessions))
    assert parents == [(goal["id"],)]

    # Both workers ran sessions, and sessions overlapped in time.
    assert len({b["workerid"] for b in sessions}) == 2
    assert any(a["started_at"] < b["complete_at"] and b["started_at"] < a["complete_at"]
               for a in shards for b in shards if a is not b)

    # Order: the shards, then flaky (failing once, retried with the failure in its prompt).
    first, retry = by_key["fan/flaky#1"], by_key["fan/flaky#2"]
    assert max(b["complete_at"] for b in shards) <= first["started_at"]
    assert first["complete_at"] <= retry["started_at"]
    assert (first["results"], first["exit_code"]) == (RESULTS["FAILURE"], 3)
    assert (retry["results"], retry["exit_code"]) == (RESULTS["SUCCESS"], 0)

    # A person approves; the next goal build resumes from the state and finishes the goal
    # without running any session again.
    state = os.path.join(cluster.master, "fan.db")
    cluster.run(cluster.cli, "approve", "fan/review", "--state", state)
    cluster.sendchange("fan")
    second = wait_for("the second fan goal build",
                      finished_goal_builds(cluster, "goal-fan", 2), 60)[1]
    assert second["results"] == RESULTS["SUCCESS"], cluster.step_text(second["id"])
    assert len([b for b in cluster.builds("session") if b["job_key"].startswith("fan/")]) == 6
    status = cluster.run(cluster.cli, "status", "--state", state, "--json").stdout
    assert '"status":"done"' in status.replace(" ", "")


def test_a_master_killed_while_sessions_run_resumes_and_runs_no_key_twice(cluster):
    def running_sessions():
        running = [b for b in cluster.builds("session") if b["job_key"] in ("crash/a#1", "crash/b#1")
                   and b["complete_at"] is None]
        return len(running) == 2

    cluster.sendchange("crash")
    wait_for("both long sessions to run", running_sessions, 60)
    os.kill(int(open(os.path.join(cluster.master, "twistd.pid")).read()), signal.SIGKILL)
    wait_for("the killed master to be gone", lambda: subprocess.run(
        ["sh", "-c", f"kill -0 {open(os.path.join(cluster.master, 'twistd.pid')).read()}"],
        capture_output=True).returncode != 0, 10)
    os.unlink(os.path.join(cluster.master, "twistd.pid"))
    cluster.start_master()

    def resumed():
        builds = cluster.builds("goal-crash")
        return builds if builds[-1]["results"] == RESULTS["SUCCESS"] else None
    goals = wait_for("a goal build that finishes the goal", resumed, 120)
    # The goal build the kill cut off is RETRY; Buildbot ran its request again, and that
    # build resumed from the state.
    assert goals[0]["results"] == RESULTS["RETRY"]

    sessions = [b for b in cluster.builds("session") if (b["job_key"] or "").startswith("crash/")]
    ran = [b["job_key"] for b in sessions if b["exit_code"] is not None]
    # No key ran its command twice; the cut-off attempts ran again under new keys.
    assert sorted(ran) == ["crash/a#2", "crash/after#1", "crash/b#2"]
    for key in ("crash/a#1", "crash/b#1"):
        cut = [b for b in sessions if b["job_key"] == key]
        assert cut[0]["results"] == RESULTS["RETRY"]
        # Buildbot may queue a cut-off request again; such a build refuses to run the key.
        assert all(b["results"] == RESULTS["CANCELLED"] for b in cut[1:])


def test_a_goal_stopped_by_a_person_stops_its_running_session_build(cluster):
    def long_session_runs():
        return any(b["job_key"] == "stop/long#1" and b["complete_at"] is None
                   for b in cluster.builds("session"))

    cluster.sendchange("stop")
    wait_for("the long session to run", long_session_runs, 60)
    state = os.path.join(cluster.master, "stop.db")
    cluster.run(cluster.cli, "stop", "stop", "--state", state)
    goal = wait_for("the stop goal build to end", finished_goal_builds(cluster, "goal-stop", 1),
                    60)[0]
    # The plugin's cancel_job stopped the session build long before its command would end.
    session = [b for b in cluster.builds("session") if b["job_key"] == "stop/long#1"]
    assert len(session) == 1
    assert session[0]["results"] == RESULTS["CANCELLED"], session[0]
    assert session[0]["complete_at"] - session[0]["started_at"] < 45
    # A stopped goal waits on a person: the build warns and says how to go on.
    assert goal["results"] == RESULTS["WARNINGS"], cluster.step_text(goal["id"])
    assert "stop is stopped (goalkeeper resume stop)" in cluster.step_text(goal["id"])
    events = cluster.run(cluster.cli, "events", "--goal", "stop", "--state", state).stdout
    assert "cancel" in events, events


def test_a_session_given_a_checkout_runs_in_the_goal_repositorys_files(cluster):
    cluster.sendchange("git")
    goal = wait_for("the git goal build to end", finished_goal_builds(cluster, "goal-git", 1),
                    60)[0]
    assert goal["results"] == RESULTS["SUCCESS"], cluster.step_text(goal["id"])
    session = [b for b in cluster.builds("session-git") if b["job_key"] == "git/read#1"]
    assert len(session) == 1 and session[0]["results"] == RESULTS["SUCCESS"]
    state = os.path.join(cluster.master, "git.db")
    task = cluster.run(cluster.cli, "status", "git", "--state", state, "--format", "tree").stdout
    assert "done" in task, task
    events = cluster.run(cluster.cli, "events", "--goal", "git", "--state", state).stdout
    assert "checked out from the goal's repository" in events, events


def test_spec_mode_plans_in_a_session_then_runs_the_approved_plan(cluster):
    cluster.sendchange("spec")
    first = wait_for("the spec goal build", finished_goal_builds(cluster, "goal-spec", 1), 60)[0]
    assert first["results"] == RESULTS["WARNINGS"], cluster.step_text(first["id"])
    assert "spec waits for a person's review (goalkeeper approve spec)" in cluster.step_text(
        first["id"])
    planner = [b["job_key"] for b in cluster.builds("session") if b["job_key"] == "spec#1"]
    assert planner == ["spec#1"], "the plan was made by a session build"
    state = os.path.join(cluster.master, "spec.db")
    cluster.run(cluster.cli, "approve", "spec", "--state", state)
    cluster.sendchange("spec")
    second = wait_for("the second spec build", finished_goal_builds(cluster, "goal-spec", 2),
                      60)[1]
    assert second["results"] == RESULTS["SUCCESS"], cluster.step_text(second["id"])
    ran = sorted(b["job_key"] for b in cluster.builds("session")
                 if (b["job_key"] or "").startswith("spec"))
    assert ran == ["spec#1", "spec/bye#1", "spec/hi#1"], "the plan replaced the declared task"


def test_a_goal_step_given_one_goal_of_the_file_runs_only_that_goal(cluster):
    cluster.sendchange("pick")
    goal = wait_for("the pick goal build", finished_goal_builds(cluster, "goal-pick", 1), 60)[0]
    assert goal["results"] == RESULTS["SUCCESS"], cluster.step_text(goal["id"])
    keys = [b["job_key"] for b in cluster.builds("session")
            if (b["job_key"] or "").startswith(("one/", "two/"))]
    assert keys == ["one/work#1"]
    state = os.path.join(cluster.master, "pick.db")
    status = cluster.run(cluster.cli, "status", "two", "--state", state, "--json").stdout
    assert '"state":"loaded"' in status.replace(" ", ""), status


def test_the_example_master_passes_buildbots_own_config_check(tmp_path):
    example = os.path.join(os.path.dirname(HERE), "..", "..", "adapters", "buildbot",
                           "master.cfg.example")
    master = tmp_path / "master"
    (master / "secrets").mkdir(parents=True)
    for name in ("agent-1", "agent-2", "agent-3", "changes"):
        (master / "secrets" / f"{name}.pass").write_text("not-a-real-password\n")
    (master / "master.cfg").write_text(open(example).read())
    # The example reads its secrets relative to the master's folder, where buildbot runs it.
    p = subprocess.run([BUILDBOT, "checkconfig", "."], cwd=master, capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert p.returncode == 0 and "Config file is good!" in p.stdout, p.stdout + p.stderr
