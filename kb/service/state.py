"""What one app instance (one worker process) holds: configuration, settings, the searchers, the
key gate with its rate limits, metrics, analytics and build jobs; and the request dependencies
that hand them to the routes."""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Depends, Request

from ..analytics import Analytics, open_analytics
from ..config import Config
from ..embed import Encoder
from ..options import SearchSettings
from .auth import Caller, Gate, require_editor
from .errors import ApiError
from .jobs import Jobs
from .metrics import Metrics
from .searchers import Searchers
from .settings import ServiceSettings


@dataclass
class ServiceState:
    """The parts of one app; `app.state.kb` holds it. `encoder`: a spec (the configured one by
    default) or an Encoder object (benchmarks pass their own)."""

    config: Config
    settings: ServiceSettings
    encoder: str | Encoder | None = None
    metrics: Metrics = field(default_factory=Metrics)
    searchers: Searchers = field(init=False)
    gate: Gate = field(init=False)
    jobs: Jobs = field(init=False)
    _analytics: Analytics | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        encoder = self.encoder if self.encoder is not None else self.config.encoder
        search = SearchSettings(min_dense_score=self.config.min_score)
        self.searchers = Searchers(self.config.index, encoder, search)
        self.gate = Gate(self.settings)
        db = self.config.analytics_db  # a file, or a database URL (then jobs go under data/)
        folder = (
            self.settings.jobs_dir or (db.parent if isinstance(db, Path) else Path("data")) / "jobs"
        )
        self.jobs = Jobs(folder, self.config, encoder)

    def analytics(self) -> Analytics:
        """The search and feedback log (KB_ANALYTICS_DB), opened on first use."""
        with self._lock:
            if self._analytics is None:
                self._analytics = open_analytics(self.config.analytics_db)
            return self._analytics


def kb_state(request: Request) -> ServiceState:
    """The ServiceState of the app serving `request`."""
    return request.app.state.kb


async def caller(request: Request) -> Caller:
    """Dependency: the request's Caller (401 for a bad key, 429 past a rate limit). Runs on the
    event loop, so the rate counters need no lock."""
    return kb_state(request).gate.caller(request)


async def editor(request: Request) -> Caller:
    """Dependency: the Caller, which must hold the editor key (401 without a key, 403 agent)."""
    return require_editor(kb_state(request).gate.caller(request))


def allowed(*names: str):
    """Dependency refusing query parameters other than `names` (422 `unknown_parameter`, with the
    nearest valid name: a misspelt `topk` is not silently ignored) and any parameter given more
    than once (422 `repeated_parameter`)."""

    async def check(request: Request) -> None:
        keys = [key for key, _ in request.query_params.multi_items()]
        for key in keys:
            if key not in names:
                near = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                valid = ", ".join(names) or "none"
                raise ApiError(
                    422,
                    "unknown_parameter",
                    f"unknown query parameter {key[:50]!r}; {hint}valid parameters here: {valid}",
                )
            if keys.count(key) > 1:
                raise ApiError(
                    422,
                    "repeated_parameter",
                    f"query parameter {key!r} is given {keys.count(key)} times; give it once",
                )

    return Depends(check)


async def json_body(request: Request) -> None:
    """Dependency for endpoints with a JSON body: a body sent with another Content-Type (a form,
    text) is refused with 415 instead of being misread."""
    declared = request.headers.get("content-type", "")
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    media = declared.split(";")[0].strip().lower()
    if has_body and media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"the body's Content-Type is {declared[:60]!r}; send JSON with "
            "Content-Type: application/json",
        )
