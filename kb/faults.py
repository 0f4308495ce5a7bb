"""Crash-test hook: with KB_FAULT_POINT=<name>, the process kills itself (SIGKILL, no cleanup) at
that step of a build. tests/build/test_crash.py proves a crash at any of these points loses nothing."""

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
    "after-switch",
)


def fault_point(name: str) -> None:
    """SIGKILL this process here when KB_FAULT_POINT names this point; otherwise nothing."""
    if fault_point_name() == name:
        os.kill(os.getpid(), signal.SIGKILL)
