"""`kb serve`: run the service under uvicorn, in one process or several worker processes.

With `workers` > 1, uvicorn starts that many processes, each calling the import-string factory
`kb.service.app:app_from_env`: each loads the index itself (memory-mapped, so the pages are
shared through the page cache) and follows new versions on its own. The settings travel through
the environment: the command line's --index and --encoder are written to KB_INDEX and KB_ENCODER
before the workers start; each worker reads them through kb.config.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import shutil
import tempfile
from pathlib import Path

import uvicorn

from ..config import load_config
from .context import LOG_FORMAT
from .metrics import MULTIPROC_ENV
from .settings import load_service_settings

log = logging.getLogger("kb.service")
APP = "kb.service.app:app_from_env"


def log_config(level: str) -> dict:
    """logging.dictConfig for uvicorn and kb: one stderr handler whose lines carry the request id;
    uvicorn's own access log is off (kb.service.access logs each request without its query)."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "kb.service.context.RequestIdFilter"}},
        "formatters": {"default": {"format": LOG_FORMAT}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {"uvicorn": {"level": level.upper()}, "bm25s": quiet, "jieba": quiet},
    }


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard limit (every connection is a file, and
    1,000 idle connections must not stop the service accepting new ones); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def _prepare_workers(workers: int) -> None:
    """Shared metrics folder and OpenMP threads per worker for several worker processes."""
    if not os.environ.get(MULTIPROC_ENV):
        folder = tempfile.mkdtemp(prefix="kb-metrics-")
        os.environ[MULTIPROC_ENV] = folder
        atexit.register(shutil.rmtree, folder, True)
    # the query encoder uses OpenMP on every core; N workers share the cores instead
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))


def serve(
    index: Path | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    encoder: str | None = None,
    log_level: str = "info",
    app: str = APP,
) -> int:
    """Serve until interrupted; returns 0. `workers` None means KB_SERVICE_WORKERS (default 1).
    `app` is the import string of the app factory (benchmarks pass one that gives create_app
    their own encoder). Raises ConfigError for a bad KB_* or KB_SERVICE_* setting, before
    anything starts."""
    os.environ["KB_INDEX"] = str(index)
    if encoder:
        os.environ["KB_ENCODER"] = encoder
    load_config()  # every setting is checked here, so the workers cannot fail on one
    settings = load_service_settings()
    workers = workers or settings.workers
    raise_open_files_limit()
    if workers > 1:
        _prepare_workers(workers)
    uvicorn.run(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        access_log=False,
        log_config=log_config(log_level),
        timeout_graceful_shutdown=10,
    )
    return 0
