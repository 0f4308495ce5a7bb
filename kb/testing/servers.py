"""Child servers on a free loopback port, waited for until they answer: `kb serve` for the
service's end-to-end and browser tests and the load benchmark (scripts/bench_load.py), and the
readiness wait that kb/testing/browser.py uses for `streamlit run`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """True when a GET of `url` answers 200 within 2 s; False on any other status or error."""
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200
    return False


def wait_ready(url: str, process: subprocess.Popen, timeout: float, log) -> None:
    """Poll `url` every 0.2 s until it answers 200. Raises RuntimeError, with the last 3,000
    characters of `log` (the server's output file, open for reading), when the process ends or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{url} was not ready within {timeout:.0f} s:\n{log.read()[-3000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def running_service(
    index: Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 90.0,
    extra: Sequence[str] = (),
) -> Iterator[str]:
    """Yields the base URL (`http://127.0.0.1:<port>`) of `python -m kb serve --index index
    --workers workers` started with `env` added to this environment, once /v1/ready answers 200
    (RuntimeError after `timeout` seconds, with the end of the server's output). Its output goes
    to `log` (default: a file beside the index). The server is stopped with SIGINT (SIGKILL after
    15 s) afterwards, whatever happened."""
    port = free_port()
    log = log or index.parent / f"serve-{port}.log"
    command = [sys.executable, "-m", "kb", "serve", "--index", str(index)]
    command += ["--host", LOOPBACK, "--port", str(port), "--workers", str(workers), *extra]
    with open(log, "w+", encoding="utf-8") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_ready(f"{url}/v1/ready", process, timeout, out)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
