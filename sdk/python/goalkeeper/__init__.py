"""goalkeeper: the Python binding of libgoalkeeper's C ABI (goalkeeper.h), standard library only.

    import goalkeeper
    with goalkeeper.Plugin({"state_path": ".goalkeeper/state.db"}) as gk:
        gk.load(open("goals.yaml").read(), "goals.yaml")
        gk.start("hello")
        for action in gk.step()["actions"]:
            ...

Every method is one call of the ABI, with dicts for its JSON; a failed call raises Error.
"""

from .errors import Error
from .plugin import Plugin

__all__ = ["Error", "Plugin"]
