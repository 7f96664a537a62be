"""The one exception a failed plugin call raises."""

from __future__ import annotations

# gk_status in goalkeeper.h: the negative codes and their names.
STATUS_NAMES: dict[int, str] = {
    -1: "GK_ERR_INVALID",
    -2: "GK_ERR_NOT_FOUND",
    -3: "GK_ERR_CONFLICT",
    -4: "GK_ERR_UNAUTHORIZED",
    -5: "GK_ERR_IO",
    -6: "GK_ERR_BUSY",
    -7: "GK_ERR_VERSION",
    -8: "GK_ERR_INTERNAL",
}


class Error(Exception):
    """A gk_* call that returned a negative status, or a plugin that cannot be used.

    ``code`` is the negative ``GK_ERR_*`` number, ``name`` its name (``"GK_ERR_INVALID"``, ...)
    and ``message`` what the plugin said (``gk_last_error()``), e.g.
    ``"goals.yaml:12:5: unknown key 'wait_fo'"``. Messages never hold tokens or secrets.
    """

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.name = STATUS_NAMES.get(code, f"GK_ERR_{-code}")
        self.message = message
        super().__init__(f"{self.name}: {message}" if message else self.name)
