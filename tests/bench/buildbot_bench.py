#!/usr/bin/python3
"""The Buildbot adapter's cost per session build, against Buildbot's own Trigger. Not a test.

One real Buildbot master and two real workers on 127.0.0.1 (the cluster of
tests/adapters/buildbot/conftest.py, with tests/bench/buildbot_bench.cfg.in as its master.cfg).
Each run has two variants, on the same master and workers, one session at once per worker
(Buildbot runs one build of a builder on a worker at a time), so two at once:

  goalkeeper  a goal build whose GoalkeeperStep (jobs=JOBS) steps a goal of N spawned tasks in
              one parallel fan-out; each task runs as a build of the session builder
              (GoalkeeperSessionStep on a worker)
  plain       a build whose one step is Buildbot's steps.Trigger(waitForFinish=True), requesting
              N builds of a plain session builder at once (steps.ShellCommand on a worker)

Both session builders run COMMAND. Each variant is timed by Buildbot itself: its build's
started_at..complete_at (end to end), each session build's (the average), and the first
session's start to the last one's end (the batch). The database keeps those in whole seconds,
so the figures are the same two moments taken to the microsecond from the master's messages
(builds/new, builds/finished); the database's own are printed beside them.

  PYTHONPATH=sdk/python:adapters/buildbot GOALKEEPER_PLUGIN=build/dev/bin/libgoalkeeper.so.1 \\
  GOALKEEPER_COMMAND=build/dev/bin/goalkeeper /usr/bin/python3 tests/bench/buildbot_bench.py

RUNS (3) pairs, alternating which variant goes first, after one pair to warm up (WARMUP=0: none);
N (50) sessions, JOBS (2, the sessions Buildbot runs at once) for GoalkeeperStep, POLL_S (the
adapter's default, 1.0) its poll_s, COMMAND ("sleep 0.2"). KEEP=1 keeps the temp folder.
"""

import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "adapters", "buildbot"))

from conftest import BUILDBOT, WORKER, Cluster, wait_for  # noqa: E402

N = int(os.environ.get("N", "50"))
JOBS = int(os.environ.get("JOBS", "2"))
POLL_S = float(os.environ.get("POLL_S", "1.0"))
COMMAND = shlex.split(os.environ.get("COMMAND", "sleep 0.2"))
RUNS = int(os.environ.get("RUNS", "3"))
WARMUP = int(os.environ.get("WARMUP", "1"))
TARGET = 1.2


def goal_file(goal_id):
    lines = ["version: 1", "defaults: {session_policy: spawn, timeout: 5m}", "goals:",
             f"  - id: {goal_id}", "    parallel: true", f"    max_parallel: {N}",
             f"    run: {json.dumps(COMMAND)}", "    tasks:"]
    lines += [f"      - {{id: t{i}}}" for i in range(N)]
    return "\n".join(lines) + "\n"


class Bench:
    def __init__(self, cluster):
        self.c = cluster
        self.events = os.path.join(cluster.master, "bench-events.jsonl")

    def moments(self):
        """buildid -> {"new": t, "finished": t} from the master's messages."""
        out = {}
        try:
            with open(self.events) as f:
                for line in f:
                    if line.endswith("\n"):
                        e = json.loads(line)
                        out.setdefault(e["buildid"], {})[e["event"]] = e["t"]
        except FileNotFoundError:
            pass
        return out

    def run(self, variant, tag):
        builder = "gk" if variant == "goalkeeper" else "plain"
        branch = f"{builder}-{tag}"
        if variant == "goalkeeper":
            with open(os.path.join(self.c.master, branch + ".yaml"), "w") as f:
                f.write(goal_file("fan" + tag))
        before = len(self.c.builds(builder))
        self.c.sendchange(branch)

        def ended():
            builds = [b for b in self.c.builds(builder) if b["complete_at"] is not None]
            return builds[before] if len(builds) > before else None
        build = wait_for(f"the {branch} build", ended, 60 + 3 * N)
        kids = [r[0] for r in self.c.query(
            "SELECT b.id FROM builds b JOIN buildrequests r ON r.id = b.buildrequestid"
            " JOIN buildsets s ON s.id = r.buildsetid WHERE s.parent_buildid = ?", build["id"])]
        kid_rows = self.c.query(
            "SELECT id, started_at, complete_at, results, workerid FROM builds WHERE id IN (%s)"
            % ",".join(map(str, kids or [0])))
        if build["results"] != 0 or len(kids) != N or any(r[3] != 0 for r in kid_rows):
            raise SystemExit(f"{branch}: build {build['id']} results {build['results']}, "
                             f"{len(kids)} session builds, results "
                             f"{sorted(set(r[3] for r in kid_rows))}: "
                             f"{self.c.step_text(build['id'])}")
        m = wait_for("the build's messages", lambda: (
            lambda ms: ms if all("finished" in ms.get(i, {}) for i in kids + [build["id"]])
            else None)(self.moments()), 10)
        own = m[build["id"]]
        durations = [m[i]["finished"] - m[i]["new"] for i in kids]
        at_once = max(sum(1 for j in kids if m[j]["new"] <= m[i]["new"] < m[j]["finished"])
                      for i in kids)
        timing = None
        if variant == "goalkeeper":
            with open(os.path.join(self.c.master, f"timing-{branch}.json")) as f:
                timing = json.load(f)
        return {
            "build": own["finished"] - own["new"],
            "build_db": build["complete_at"] - build["started_at"],
            "batch": max(m[i]["finished"] for i in kids) - min(m[i]["new"] for i in kids),
            "avg": statistics.mean(durations),
            "workers": len({r[4] for r in kid_rows}),
            "at_once": at_once,
            "timing": timing,
        }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    for tool in (BUILDBOT, WORKER):
        if not os.path.exists(tool):
            raise SystemExit(f"no {tool}: install Debian's buildbot and buildbot-worker")
    for var in ("GOALKEEPER_COMMAND", "GOALKEEPER_PLUGIN"):
        if var not in os.environ:
            raise SystemExit(f"set {var} (see the top of {__file__})")
    os.environ["GK_BENCH_PARAMS"] = json.dumps({
        "n": N, "jobs": JOBS, "poll_s": POLL_S, "command": COMMAND})
    root = tempfile.mkdtemp(prefix="gk-buildbot-bench-")
    cluster = Cluster(root, config=os.path.join(HERE, "buildbot_bench.cfg.in"))
    load_before = loadavg()
    results = {"goalkeeper": [], "plain": []}
    try:
        cluster.setup()
        bench = Bench(cluster)
        if WARMUP:
            for variant in ("plain", "goalkeeper"):
                bench.run(variant, "w")
        for r in range(RUNS):
            order = ("plain", "goalkeeper") if r % 2 == 0 else ("goalkeeper", "plain")
            for variant in order:
                results[variant].append(bench.run(variant, str(r)))
                x = results[variant][-1]
                print(f"run {r} {variant:10s}  build {x['build']:6.2f} s (db {x['build_db']} s)"
                      f"  batch {x['batch']:6.2f} s  session build {x['avg'] * 1000:6.0f} ms"
                      f"  on {x['workers']} workers, {x['at_once']} at once", flush=True)
    finally:
        cluster.teardown()
        if os.environ.get("KEEP"):
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    report(results, load_before)


def report(results, load_before):
    gk, plain = results["goalkeeper"], results["plain"]
    at_once = max(max(x["at_once"] for x in xs) for xs in (gk, plain))
    print(f"\nsessions {N} on 2 workers, at most {at_once} at once, command "
          f"{shlex.join(COMMAND)}; GoalkeeperStep jobs={JOBS} poll_s={POLL_S}; "
          f"best of {RUNS}; load average {load_before} before, {loadavg()} after")
    print(f"{'':24s}{'build s':>9s}{'batch s':>9s}{'session ms':>12s}")
    for name, xs in (("plain Trigger", plain), ("GoalkeeperStep", gk)):
        print(f"{name:24s}{min(x['build'] for x in xs):9.2f}{min(x['batch'] for x in xs):9.2f}"
              f"{min(x['avg'] for x in xs) * 1000:12.0f}")
    for what, key in (("goal/trigger build", "build"), ("batch of session builds", "batch"),
                      ("session build", "avg")):
        best = min(x[key] for x in gk) / min(x[key] for x in plain)
        ratios = [g[key] / p[key] for g, p in zip(gk, plain)]
        extra = (min(x[key] for x in gk) - min(x[key] for x in plain)) * 1000
        per = f", {extra / N:.0f} ms per session over it" if key != "avg" else \
            f", {extra:.0f} ms more each"
        print(f"{what:24s} {best:.2f}x best{per}; median of {RUNS} paired ratios "
              f"{statistics.median(ratios):.2f}x (each: "
              f"{' '.join(f'{x:.2f}' for x in ratios)}); target {TARGET}x")
    print("\nGoalkeeperStep's loop (mean per goal build: calls, total s):")
    names = sorted(set().union(*(x["timing"] for x in gk)))
    for name in names:
        calls = statistics.mean(x["timing"].get(name, (0, 0))[0] for x in gk)
        secs = statistics.mean(x["timing"].get(name, (0, 0))[1] for x in gk)
        print(f"  {name:28s}{calls:7.0f}{secs:9.3f}")
    loop = statistics.mean(x["timing"]["loop"][1] for x in gk)
    busy = statistics.mean(sum(x["timing"].get(k, (0, 0))[1]
                               for k in ("collect", "step (plugin + triggers)", "status"))
                           for x in gk)
    print(f"  {'waiting between iterations':28s}{'':7s}{loop - busy:9.3f}")


if __name__ == "__main__":
    main()
