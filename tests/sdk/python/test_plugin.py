"""The Python binding against the real plugin: every call of the ABI, errors, host callbacks,
threads, the plugin search and its refusals. Run by ctest (Python.Sdk) with Debian's python3."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from pathlib import Path

import pytest

import goalkeeper

GOAL = """
version: 1
defaults: {run: ["./agent.sh"], session_policy: spawn, max_retries: 0}
goals:
  - id: g
    tasks:
      - {id: a}
      - {id: ok, wait_for: {type: human_approval, key: ship}}
      - {id: look, stage: human_review}
"""


@pytest.fixture
def gk(tmp_path: Path):
    with goalkeeper.Plugin({"state_path": str(tmp_path / "state.db")}) as plugin:
        yield plugin


def run_keys(step: dict) -> list[str]:
    return [a["job_key"] for a in step["actions"] if a["type"] == "run_job"]


def test_a_goal_runs_through_every_call_of_the_abi(gk):
    loaded = gk.load(GOAL, "g.yaml")
    assert loaded["goals"][0]["goal_id"] == "g" and loaded["goals"][0]["created"] is True
    assert gk.load(GOAL, "g.yaml")["goals"][0]["created"] is False
    gk.start("g")
    assert run_keys(gk.step()) == ["g/a#1"]
    gk.job_event("g/a#1", {"type": "started", "host_ref": "py-build-1"})
    assert gk.query({"what": "task", "goal_id": "g", "task_id": "a"})["host_ref"] == "py-build-1"
    gk.job_event("g/a#1", {"type": "finished", "exit_code": 0, "result": {"status": "done", "summary": "ünïcode ✓"}})
    gk.step()
    assert gk.query({"what": "task", "goal_id": "g", "task_id": "a"})["summary"] == "ünïcode ✓"
    matched = gk.signal({"type": "human_approval", "key": "ship", "status": "pass"})
    assert matched["matched"] == [{"goal_id": "g", "task_id": "ok"}]
    step = gk.step()
    reviews = [a for a in step["actions"] if a["type"] == "await_review"]
    assert [r["task_id"] for r in reviews] == ["look"]
    gk.review("g/look", {"decision": "approve"})
    finished = [a for a in gk.step()["actions"] if a["type"] == "goal_finished"]
    assert finished == [{"type": "goal_finished", "goal_id": "g", "status": "done"}]
    events = gk.query({"what": "events", "goal_id": "g", "limit": 1000})
    assert events["last_id"] > 0 and any(e["kind"] == "job_started" for e in events["events"])
    assert gk.abi_version[0] == 1 and gk.abi_version[1] >= 2
    assert gk.version


def test_a_template_makes_one_goal_per_params_and_discover_runs_no_triggers(gk):
    loaded = gk.load(
        """
version: 1
templates:
  - id: greet
    params: {who: {type: string, required: true}}
    tasks: [{id: say, run: ["true"]}]
""",
        "t.yaml",
    )
    assert loaded["templates"] == [{"template_id": "greet", "params": ["who"]}]
    made = gk.instantiate("greet", {"who": "ada"})
    assert made["created"] and made["goal_id"].startswith("greet-ada-")
    assert gk.instantiate("greet", {"who": "ada"})["created"] is False
    with pytest.raises(goalkeeper.Error) as err:
        gk.instantiate("greet", {})
    assert "param 'who' is required" in str(err.value)
    assert gk.discover({"force": True}) == {"triggers": []}


def test_a_failed_call_raises_error_with_code_name_and_the_plugins_message(gk):
    with pytest.raises(goalkeeper.Error) as bad:
        gk.load("version: 1\ngoals: [{id: g, tasks: [{id: a, wait_fo: 1}]}]\n", "bad.yaml")
    assert bad.value.code == -1 and bad.value.name == "GK_ERR_INVALID"
    assert bad.value.message.startswith("bad.yaml:2:") and "wait_fo" in bad.value.message
    with pytest.raises(goalkeeper.Error) as missing:
        gk.start("nope")
    assert (missing.value.code, missing.value.name) == (-2, "GK_ERR_NOT_FOUND")
    gk.load(GOAL, "g.yaml")
    with pytest.raises(goalkeeper.Error) as conflict:
        gk.control("g", "pause")  # never started
    assert conflict.value.name == "GK_ERR_CONFLICT"
    with pytest.raises(goalkeeper.Error) as unknown:
        gk.query({"what": "everything"})
    assert unknown.value.name == "GK_ERR_INVALID" and "everything" in unknown.value.message
    assert gk.query({"what": "status"})["goals"][0]["state"] == "loaded", "a failed call changed nothing"


def test_inputs_of_the_wrong_type_are_refused_before_the_plugin_is_called(gk):
    with pytest.raises(TypeError):
        gk.load(b"version: 1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gk.step("{}")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gk.webhook({}, "not bytes")  # type: ignore[arg-type]


def test_webhook_deliveries_are_verified_by_their_signature(tmp_path, monkeypatch):
    monkeypatch.setenv("GK_PY_TEST_SECRET", "s3cret-value")
    config = {"state_path": str(tmp_path / "s.db"), "webhook": {"secret_env": "GK_PY_TEST_SECRET"}}
    with goalkeeper.Plugin(config) as gk:
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        good = "sha256=" + hmac.new(b"s3cret-value", body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": good}
        result = gk.webhook(headers, body)
        assert result["event"] == "ping" and result["duplicate"] is False
        assert gk.webhook(headers, body)["duplicate"] is True
        headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
        headers["X-GitHub-Delivery"] = "d-2"
        with pytest.raises(goalkeeper.Error) as refused:
            gk.webhook(headers, body)
        assert refused.value.name == "GK_ERR_UNAUTHORIZED"
        assert "s3cret-value" not in refused.value.message


def test_host_callbacks_give_the_plugin_its_clock_and_job_liveness(tmp_path):
    now = [1_700_000_000_000]
    alive: dict[str, int] = {}
    lines: list[tuple[int, str]] = []
    with goalkeeper.Plugin(
        {"state_path": str(tmp_path / "s.db"), "limits": {"max_reclaims": 1}},
        log=lambda level, message: lines.append((level, message)),
        now_ms=lambda: now[0],
        job_alive=lambda key: alive.get(key, -1),
    ) as gk:
        gk.load(GOAL, "g.yaml")
        gk.start("g")
        gk.step()
        gk.job_event("g/a#1", {"type": "started"})
        events = gk.query({"what": "events", "goal_id": "g", "limit": 1000})["events"]
        assert {e["ts_ms"] for e in events} == {now[0]}, "time comes from the host"
        alive["g/a#1"] = 0  # the host says the job is gone: the task is reclaimed
        now[0] += 1000
        assert run_keys(gk.step()) == ["g/a#2"]
        kinds = [e["kind"] for e in gk.query({"what": "events", "goal_id": "g", "limit": 1000})["events"]]
        assert "job_lost" in kinds
    assert all(isinstance(level, int) and isinstance(text, str) for level, text in lines)


def test_a_callback_that_raises_is_taken_as_unknown_not_a_crash(tmp_path):
    def broken(_key: str) -> int:
        raise RuntimeError("host bug")

    with goalkeeper.Plugin({"state_path": str(tmp_path / "s.db")}, job_alive=broken) as gk:
        gk.load(GOAL, "g.yaml")
        gk.start("g")
        gk.step()
        gk.job_event("g/a#1", {"type": "started"})
        gk.step()
        assert gk.query({"what": "task", "goal_id": "g", "task_id": "a"})["status"] == "active"


def test_calls_from_several_threads_on_one_plugin_all_succeed(gk):
    gk.load(GOAL, "g.yaml")
    gk.start("g")
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                gk.query({"what": "status"})
                gk.signal({"type": "human_approval", "key": "nobody-waits", "status": "pass"})
                gk.step()
        except BaseException as e:  # noqa: BLE001
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures and not any(t.is_alive() for t in threads)
    assert run_keys(gk.step()) == ["g/a#1"], "many steps, still one offer of one key"


def test_a_closed_plugin_refuses_calls_and_closes_once(tmp_path):
    gk = goalkeeper.Plugin({"state_path": str(tmp_path / "s.db")})
    gk.close()
    gk.close()
    with pytest.raises(goalkeeper.Error) as closed:
        gk.query({"what": "status"})
    assert "closed" in closed.value.message


def test_the_plugin_comes_from_the_path_else_the_environment(tmp_path, monkeypatch):
    real = os.environ["GOALKEEPER_PLUGIN"]
    monkeypatch.delenv("GOALKEEPER_PLUGIN")
    with goalkeeper.Plugin({"state_path": str(tmp_path / "a.db")}, plugin_path=real) as gk:
        assert gk.path == real
    monkeypatch.setenv("GOALKEEPER_PLUGIN", real)
    with goalkeeper.Plugin({"state_path": str(tmp_path / "b.db")}) as gk:
        assert gk.path == real


def test_a_plugin_of_another_abi_major_is_refused_saying_what_and_where():
    fake = os.environ["GK_FAKE_ABI2_PLUGIN"]
    with pytest.raises(goalkeeper.Error) as refused:
        goalkeeper.Plugin(plugin_path=fake)
    assert refused.value.name == "GK_ERR_VERSION"
    assert fake in refused.value.message and "ABI 2.0" in refused.value.message


def test_no_plugin_found_names_every_place_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("GOALKEEPER_PLUGIN", str(tmp_path / "missing" / "libgoalkeeper.so.1"))
    with pytest.raises(goalkeeper.Error) as missing:
        goalkeeper.Plugin()
    assert missing.value.name == "GK_ERR_NOT_FOUND"
    assert str(tmp_path / "missing") in missing.value.message
    assert "GOALKEEPER_PLUGIN" in missing.value.message
