"""Finding and loading libgoalkeeper.so.1 with ctypes, and declaring the C ABI's signatures.

Only goalkeeper.h's functions are declared here, with the types the header gives them; nothing
else of the plugin is reachable from Python.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

from .errors import Error

ABI_MAJOR = 1
SONAME = "libgoalkeeper.so.1"

# gk_host callbacks (goalkeeper.h): log(ctx, level, message), now_ms(ctx), job_alive(ctx, key).
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
NOW_FN = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)
ALIVE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)


class Host(ctypes.Structure):
    """struct gk_host of ABI 1.0, the fields this binding offers."""

    _fields_ = [
        ("size", ctypes.c_uint32),
        ("ctx", ctypes.c_void_p),
        ("log", LOG_FN),
        ("now_ms", NOW_FN),
        ("job_alive", ALIVE_FN),
    ]


def _installed_library_dirs() -> list[Path]:
    """Where the package put the library, as the install recorded it (relative to this folder).

    A checkout has no record: there the plugin comes from plugin_path or $GOALKEEPER_PLUGIN, or
    from the loader's search path.
    """
    try:
        from . import _install  # type: ignore[attr-defined]  # written by packaging/install.cmake
    except ImportError:
        return []
    return [(Path(__file__).resolve().parent / _install.LIBDIR).resolve()]


def candidates(plugin_path: str | None) -> list[str]:
    """The places to try, in order. A given path or $GOALKEEPER_PLUGIN is the only candidate."""
    if plugin_path:
        return [plugin_path]
    env = os.environ.get("GOALKEEPER_PLUGIN")
    if env:
        return [env]
    found = [str(d / SONAME) for d in _installed_library_dirs() if (d / SONAME).is_file()]
    return found + [SONAME]  # the last: the dynamic loader's own search path


def _declare(lib: ctypes.CDLL) -> None:
    # Out-parameters are read as addresses, so that gk_free gets back the plugin's own pointer.
    c_char_pp = ctypes.POINTER(ctypes.c_void_p)
    plugin_p = ctypes.c_void_p
    sig = {
        "gk_abi_version": (ctypes.c_uint32, []),
        "gk_version": (ctypes.c_char_p, []),
        "gk_last_error": (ctypes.c_char_p, []),
        "gk_free": (None, [ctypes.c_void_p]),
        "gk_open": (ctypes.c_int, [ctypes.POINTER(Host), ctypes.c_char_p, ctypes.POINTER(plugin_p)]),
        "gk_close": (None, [plugin_p]),
        "gk_load": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp]),
        "gk_instantiate": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p, c_char_pp]),
        "gk_discover": (ctypes.c_int, [plugin_p, ctypes.c_char_p, c_char_pp]),
        "gk_start": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p]),
        "gk_control": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p]),
        "gk_step": (ctypes.c_int, [plugin_p, ctypes.c_char_p, c_char_pp]),
        "gk_job_event": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p]),
        "gk_review": (ctypes.c_int, [plugin_p, ctypes.c_char_p, ctypes.c_char_p]),
        "gk_signal": (ctypes.c_int, [plugin_p, ctypes.c_char_p, c_char_pp]),
        "gk_webhook": (
            ctypes.c_int,
            [plugin_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, c_char_pp],
        ),
        "gk_query": (ctypes.c_int, [plugin_p, ctypes.c_char_p, c_char_pp]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)  # AttributeError: not a goalkeeper plugin, reported by load()
        fn.restype = restype
        fn.argtypes = argtypes


def load(plugin_path: str | None) -> tuple[ctypes.CDLL, str]:
    """The first candidate that loads and implements ABI major 1, with the path it came from."""
    tried: list[str] = []
    for path in candidates(plugin_path):
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        try:
            _declare(lib)
        except AttributeError as e:
            raise Error(-7, f"{path} is not a goalkeeper plugin: {e}") from None
        version = lib.gk_abi_version()
        if version >> 16 != ABI_MAJOR:
            raise Error(
                -7,
                f"{path} implements ABI {version >> 16}.{version & 0xFFFF}; this binding "
                f"needs ABI {ABI_MAJOR}.x",
            )
        return lib, path
    raise Error(
        -2,
        "cannot load the goalkeeper plugin; looked at: "
        + "; ".join(tried)
        + " (pass plugin_path= or set GOALKEEPER_PLUGIN)",
    )
