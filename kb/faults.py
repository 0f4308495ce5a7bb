"""Crash-test hook: with KB_FAULT_POINT=<name>, the process kills itself (SIGKILL, no cleanup) at
that step of a build, a rollback or a cache compaction. tests/build/test_crash.py proves a crash at
any of these points loses nothing."""

from __future__ import annotations

import os
import signal

from .config import fault_point_name

FAULT_POINTS = (
    "before-encode",
    "during-write",
    "after-partitions-written",
    "before-verify",
    "before-rename",
    "before-switch",
    "before-history",
    "after-switch",
)  # the steps of every build that publishes, in order
ROLLBACK_FAULT_POINTS = ("rollback-before-switch", "rollback-before-history")
COMPACT_FAULT_POINTS = ("during-compact",)  # a build whose cache is due for compaction


def fault_point(name: str) -> None:
    """SIGKILL this process here when KB_FAULT_POINT names this point; otherwise nothing."""
    if fault_point_name() == name:
        os.kill(os.getpid(), signal.SIGKILL)
