"""scripts/postgres.py's options: the buffer cache of a start, and a bad size refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import SCRIPT, SHARED_BUFFERS


def test_both_servers_take_the_buffer_cache_they_were_started_with(pg_cluster):
    import psycopg

    for name in ("primary", "replica"):
        with psycopg.connect(pg_cluster[name]) as conn:
            assert conn.execute("SHOW shared_buffers").fetchone()[0] == SHARED_BUFFERS, name


@pytest.mark.parametrize("size", ["6XB", "0GB", "-1MB", "6 GB", "lots"])
def test_a_bad_buffer_size_is_refused_before_anything_starts(tmp_path, size):
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "start",
            "--dir",
            str(tmp_path / "pg"),
            f"--shared-buffers={size}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"--shared-buffers {size!r}" in done.stderr and "6GB" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "pg").exists()
