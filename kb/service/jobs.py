"""Index builds started by `POST /v1/admin/build`, run in a background thread so no request waits.

Each job is a JSON record in the jobs folder (KB_SERVICE_JOBS_DIR), written whole by rename, so
any worker process can answer `GET /v1/admin/jobs/{id}` for a job another worker runs. A record
says `queued`, `running`, `succeeded` (with the build report) or `failed` (with the error in
the API's shape: code, message, status and, for invalid articles, the problems). A job whose
worker process died mid-build reads as `failed` with code `worker_exited`; the build itself is
crash-safe (the previous version stays live, docs/RELIABILITY.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import uuid
from dataclasses import asdict
from pathlib import Path

from ..build import build_index
from ..config import Config
from ..errors import KBError
from .context import REQUEST_ID, request_id
from .errors import from_kb_error

log = logging.getLogger(__name__)
JOB_ID = re.compile(r"[0-9a-f]{32}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Jobs:
    """Build jobs recorded under `folder` (created on first use), building `config.articles`
    into `config.index` with `config.encoder` (or the `encoder` object given, for benchmarks)."""

    def __init__(self, folder: Path, config: Config, encoder=None):
        self.folder = folder
        self.config = config
        self.encoder = encoder if encoder is not None else config.encoder

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _write(self, record: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{record['id']}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._path(record["id"]))

    def get(self, job_id: str) -> dict | None:
        """The record of `job_id`, or None for an id that is not 32 hex characters or unknown.
        A queued or running job whose process is gone reads as failed (`worker_exited`)."""
        if not JOB_ID.fullmatch(job_id):
            return None
        try:
            record = json.loads(self._path(job_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record["status"] in ("queued", "running") and not _alive(record["pid"]):
            record["status"] = "failed"
            record["error"] = {
                "code": "worker_exited",
                "status": 500,
                "message": "the worker running this build stopped; the live index is unchanged "
                "(builds are crash-safe): start the build again",
            }
        return record

    def start(self, force: bool) -> dict:
        """Record a queued build and start it in a daemon thread; returns the record."""
        record = {
            "id": uuid.uuid4().hex,
            "kind": "build",
            "status": "queued",
            "force": force,
            "created_at": _now(),
            "started_at": None,
            "finished_at": None,
            "pid": os.getpid(),
            "request_id": request_id(),
            "report": None,
            "error": None,
        }
        self._write(record)
        threading.Thread(
            target=self._run, args=(dict(record),), name=f"build-{record['id'][:8]}", daemon=True
        ).start()
        return record

    def _run(self, record: dict) -> None:
        REQUEST_ID.set(record["request_id"])  # the build's log lines carry the request's id
        record.update(status="running", started_at=_now())
        self._write(record)
        try:
            report = build_index(
                self.config.articles, self.config.index, encoder=self.encoder, force=record["force"]
            )
            record.update(status="succeeded", report=asdict(report))
            log.info("build job %s: %s", record["id"], report.summary())
        except KBError as exc:
            error = from_kb_error(exc, detail=True)
            record.update(status="failed", error={"status": error.status, "code": error.code})
            record["error"].update(message=error.message, problems=error.problems)
            log.warning("build job %s failed: %s", record["id"], exc)
        except Exception:  # a bug: logged with its traceback, reported without it
            log.exception("build job %s failed", record["id"])
            record.update(status="failed")
            record["error"] = {
                "status": 500,
                "code": "internal",
                "message": f"internal error; the service log has the details under job {record['id']}",
            }
        record["finished_at"] = _now()
        self._write(record)
