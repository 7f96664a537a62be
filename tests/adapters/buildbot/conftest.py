"""A real Buildbot master and two real workers on 127.0.0.1, each in its own folder."""

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDBOT, WORKER = "/usr/bin/buildbot", "/usr/bin/buildbot-worker"
RESULTS = {"SUCCESS": 0, "WARNINGS": 1, "FAILURE": 2, "EXCEPTION": 4, "RETRY": 5, "CANCELLED": 6}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def pid_of(folder):
    with open(os.path.join(folder, "twistd.pid")) as f:
        return int(f.read().strip())


def stop(folder, sig=signal.SIGTERM, timeout_s=15):
    """Stops the twistd process of ``folder`` by its own pid."""
    try:
        pid = pid_of(folder)
        os.kill(pid, sig)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


class Cluster:
    def __init__(self, root, config=os.path.join(HERE, "master.cfg.in")):
        self.root = root
        self.config = config  # the master.cfg template (tests/bench/ brings its own)
        self.master = os.path.join(root, "master")
        self.port = free_port()
        self.change_password = secrets.token_hex(8)
        self.workers = {n: os.path.join(root, n) for n in ("w1", "w2")}
        cli = os.environ["GOALKEEPER_COMMAND"]
        self.cli = cli
        self.env = dict(os.environ, PATH=os.path.dirname(cli) + os.pathsep + os.environ["PATH"],
                        PYTHONDONTWRITEBYTECODE="1")

    def run(self, *argv, check=True):
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def setup(self):
        worker_password = secrets.token_hex(8)
        self.run(BUILDBOT, "create-master", "-r", self.master)
        with open(self.config) as f:
            cfg = f.read()
        with open(os.path.join(self.master, "master.cfg"), "w") as f:
            f.write(cfg)
        with open(os.path.join(self.master, "test-params.json"), "w") as f:
            json.dump({"port": self.port, "worker_password": worker_password,
                       "change_password": self.change_password, "repo": self.make_repo()}, f)
        for name in ("fan.yaml", "crash.yaml", "stop.yaml", "git.yaml", "spec.yaml", "pick.yaml"):
            shutil.copy(os.path.join(HERE, name), self.master)
        self.start_master()
        for name, folder in self.workers.items():
            self.run(WORKER, "create-worker", folder, f"127.0.0.1:{self.port}", name,
                     worker_password)
            self.run(WORKER, "start", folder)
        wait_for("both workers to connect",
                 lambda: self.query("SELECT COUNT(*) FROM connected_workers")[0][0] == 2, 30)

    def make_repo(self):
        """A git repository of the goal file's project, for sessions that run in a checkout."""
        repo = os.path.join(self.root, "repo")
        os.makedirs(repo)
        with open(os.path.join(repo, "marker.txt"), "w") as f:
            f.write("checked out from the goal's repository\n")
        git = ["git", "-C", repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
        self.run("git", "init", "-q", "-b", "main", repo)
        self.run(*git, "add", "marker.txt")
        self.run(*git, "commit", "-q", "-m", "marker")
        return "file://" + repo

    def start_master(self):
        self.run(BUILDBOT, "start", self.master)

    def teardown(self):
        for folder in self.workers.values():
            stop(folder)
        stop(self.master)

    def query(self, sql, *args):
        db = sqlite3.connect(f"file:{self.master}/state.sqlite?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def sendchange(self, branch):
        self.run(BUILDBOT, "sendchange", "--master", f"127.0.0.1:{self.port}",
                 "--auth", f"gk:{self.change_password}", "--who", "test", "--branch", branch,
                 "--comments", f"run {branch}", "goals.yaml")

    def builds(self, builder):
        """Builds of ``builder``, oldest first, as dicts with their gk_job_key if any."""
        rows = self.query(
            "SELECT b.id, b.number, b.buildrequestid, b.workerid, b.started_at, b.complete_at,"
            " b.results, b.state_string,"
            " (SELECT value FROM build_properties p WHERE p.buildid = b.id"
            "  AND p.name = 'gk_job_key'),"
            " (SELECT value FROM build_properties p WHERE p.buildid = b.id"
            "  AND p.name = 'gk_exit_code')"
            " FROM builds b JOIN builders r ON r.id = b.builderid WHERE r.name = ? ORDER BY b.id",
            builder)
        keys = ("id", "number", "brid", "workerid", "started_at", "complete_at", "results",
                "state_string", "job_key", "exit_code")
        out = []
        for row in rows:
            d = dict(zip(keys, row))
            d["job_key"] = json.loads(d["job_key"]) if d["job_key"] else None
            d["exit_code"] = json.loads(d["exit_code"]) if d["exit_code"] else None
            out.append(d)
        return out

    def step_text(self, buildid):
        return self.query("SELECT state_string FROM steps WHERE buildid = ? ORDER BY number",
                          buildid)[-1][0]


@pytest.fixture(scope="module")
def cluster(request):
    if not os.path.exists(BUILDBOT) or not os.path.exists(WORKER):
        pytest.skip("Debian's buildbot and buildbot-worker are not installed")
    root = tempfile.mkdtemp(prefix="gk-buildbot-")
    c = Cluster(root)
    failed_before = request.session.testsfailed
    try:
        c.setup()
        yield c
    finally:
        c.teardown()
        if request.session.testsfailed == failed_before:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root} for a look (master/twistd.log)")
