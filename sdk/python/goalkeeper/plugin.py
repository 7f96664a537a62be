"""goalkeeper.Plugin: one open state of the plugin, every call of the C ABI as a method."""

from __future__ import annotations

import ctypes
import json
import threading
from types import TracebackType
from typing import Any, Callable, Optional

from . import _native
from .errors import Error

JSON = dict[str, Any]
LogCallback = Callable[[int, str], None]
NowCallback = Callable[[], int]
AliveCallback = Callable[[str], int]


def _text(value: str, what: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.encode("utf-8")


def _json(value: Optional[JSON], what: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, not {type(value).__name__}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Plugin:
    """An open goalkeeper state (``gk_open``), closed by ``close()`` or a ``with`` block.

    ``config`` holds the keys of ``gk_open`` (``state_path``, ``limits``, ``github``, ...).
    ``plugin_path`` names the library; without it ``$GOALKEEPER_PLUGIN``, then the installed
    ``libgoalkeeper.so.1`` (the package's library folder, then the loader's search path). A
    plugin of another ABI major is refused with what was found and where.

    Host callbacks are optional: ``log(level, message)`` receives the plugin's log lines,
    ``now_ms()`` replaces the wall clock (tests, simulations), ``job_alive(job_key)`` answers 1
    (alive), 0 (gone) or -1 (unknown). They run on the thread of the call that triggers them and
    must not call this Plugin; an exception in one is swallowed (the plugin sees "unknown").

    Calls are safe from several threads: the plugin serializes them on its handle. Every failed
    call raises ``goalkeeper.Error``; every string the plugin returns is freed with ``gk_free``.
    """

    def __init__(
        self,
        config: Optional[JSON] = None,
        plugin_path: Optional[str] = None,
        *,
        log: Optional[LogCallback] = None,
        now_ms: Optional[NowCallback] = None,
        job_alive: Optional[AliveCallback] = None,
    ) -> None:
        self._lib, self.path = _native.load(plugin_path)
        self._lock = threading.Lock()  # guards the handle's lifetime, not the calls
        self._handle: Optional[int] = None
        self._host = _native.Host()
        self._host.size = ctypes.sizeof(_native.Host)
        # Kept on self: ctypes callbacks must outlive every call that may invoke them.
        self._callbacks = (
            _native.LOG_FN(self._on_log) if log else _native.LOG_FN(),
            _native.NOW_FN(self._on_now) if now_ms else _native.NOW_FN(),
            _native.ALIVE_FN(self._on_alive) if job_alive else _native.ALIVE_FN(),
        )
        self._log, self._now_ms, self._job_alive = log, now_ms, job_alive
        self._host.log, self._host.now_ms, self._host.job_alive = self._callbacks
        handle = ctypes.c_void_p()
        rc = self._lib.gk_open(
            ctypes.byref(self._host), _json(config, "config"), ctypes.byref(handle)
        )
        self._check(rc)
        self._handle = handle.value

    # -- the host callbacks -------------------------------------------------------------------

    def _on_log(self, _ctx: Any, level: int, message: bytes) -> None:
        try:
            assert self._log is not None
            self._log(level, message.decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - nothing may unwind into C
            pass

    def _on_now(self, _ctx: Any) -> int:
        try:
            assert self._now_ms is not None
            return int(self._now_ms())
        except Exception:  # noqa: BLE001
            return 0

    def _on_alive(self, _ctx: Any, key: bytes) -> int:
        try:
            assert self._job_alive is not None
            answer = int(self._job_alive(key.decode("utf-8")))
            return answer if answer in (0, 1) else -1
        except Exception:  # noqa: BLE001
            return -1

    # -- plumbing -----------------------------------------------------------------------------

    def _check(self, rc: int) -> None:
        if rc != 0:
            raw = self._lib.gk_last_error()  # same thread, right after the call
            raise Error(rc, raw.decode("utf-8", "replace") if raw else "")

    def _p(self) -> int:
        if self._handle is None:
            raise Error(-3, "the plugin was closed")
        return self._handle

    def _call_out(self, fn: Callable[..., int], *args: Any) -> JSON:
        out = ctypes.c_void_p()
        rc = fn(self._p(), *args, ctypes.byref(out))
        try:
            self._check(rc)
            text = ctypes.string_at(out.value).decode("utf-8") if out.value else "{}"
        finally:
            if out.value:
                self._lib.gk_free(out.value)
        return json.loads(text)

    # -- the C ABI ----------------------------------------------------------------------------

    @property
    def abi_version(self) -> tuple[int, int]:
        """(major, minor) of the ABI the loaded plugin implements."""
        v = self._lib.gk_abi_version()
        return v >> 16, v & 0xFFFF

    @property
    def version(self) -> str:
        """The plugin's release, e.g. "0.1.0"."""
        return self._lib.gk_version().decode("utf-8")

    def load(self, yaml_text: str, source_name: str = "<string>") -> JSON:
        """Validates and stores a goal file: {"goals": [{"goal_id", "tasks", "created"}]}."""
        return self._call_out(
            self._lib.gk_load, _text(yaml_text, "yaml_text"), _text(source_name, "source_name")
        )

    def instantiate(self, template_id: str, params: Optional[JSON] = None) -> JSON:
        """Makes a goal from a loaded template: {"goal_id", "template_id", "params", "created",
        "tasks"}. The same params name the same goal, created once."""
        return self._call_out(
            self._lib.gk_instantiate, _text(template_id, "template_id"), _json(params, "params")
        )

    def discover(self, options: Optional[JSON] = None) -> JSON:
        """Runs discovery now: {"triggers": [{"trigger", "requests", "actions", "error"?}]}."""
        return self._call_out(self._lib.gk_discover, _json(options, "discover options"))

    def start(self, goal_id: str, options: Optional[JSON] = None) -> None:
        """Starts a loaded goal; {"spec": True} starts it in spec mode."""
        self._check(self._lib.gk_start(self._p(), _text(goal_id, "goal_id"), _json(options, "options")))

    def control(self, goal_id: str, command: str) -> None:
        """"pause", "resume" or "stop" a started goal."""
        self._check(
            self._lib.gk_control(self._p(), _text(goal_id, "goal_id"), _text(command, "command"))
        )

    def step(self, input: Optional[JSON] = None) -> JSON:  # noqa: A002 - the ABI's name
        """One pipeline step: {"actions": [...], "next_step_ms": N, "goals": [...]}."""
        return self._call_out(self._lib.gk_step, _json(input, "input"))

    def job_event(self, job_key: str, event: JSON) -> None:
        """Reports a job's "started", "start_failed", "heartbeat" or "finished"."""
        self._check(
            self._lib.gk_job_event(self._p(), _text(job_key, "job_key"), _json(event, "event"))
        )

    def review(self, task: str, decision: JSON) -> None:
        """Decides a task in pending_review: {"decision": "approve"} or "reject" + "feedback"."""
        self._check(self._lib.gk_review(self._p(), _text(task, "task"), _json(decision, "decision")))

    def signal(self, signal: JSON) -> JSON:
        """Resolves gates by what they wait for: {"matched": [...], "message": "..."}."""
        return self._call_out(self._lib.gk_signal, _json(signal, "signal"))

    def webhook(self, headers: dict[str, str], body: bytes) -> JSON:
        """Verifies (X-Hub-Signature-256) and applies a GitHub delivery, body as received."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"body must be bytes, not {type(body).__name__}")
        raw = bytes(body)
        return self._call_out(self._lib.gk_webhook, _json(headers, "headers"), raw, len(raw))

    def query(self, query: JSON) -> JSON:
        """Reads the state: {"what": "status" | "tree" | "task" | "events", ...}."""
        return self._call_out(self._lib.gk_query, _json(query, "query"))

    def close(self) -> None:
        """Closes the state (gk_close). Further calls raise Error; closing twice is harmless."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.gk_close(handle)

    def __enter__(self) -> "Plugin":
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
