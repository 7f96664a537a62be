"""Buildbot adapter for goalkeeper: a goal build drives the plugin, sessions run as builds.

``GoalkeeperStep`` is the goal builder's step (it runs on the master and triggers a build of
the session builder for every spawned session); ``GoalkeeperSessionStep`` is the session
builder's one step (it runs the job's command on its worker). See ../README.md.
"""

from .goal_step import GoalkeeperStep
from .session_step import GoalkeeperSessionStep

__all__ = ["GoalkeeperStep", "GoalkeeperSessionStep"]
