"""The FastAPI app factory: `create_app()` builds one app (one per worker process);
uvicorn's workers call `kb.service.app:app_from_env` (factory=True), which reads the settings."""

from __future__ import annotations

import contextlib
import logging
import os

from fastapi import FastAPI

from ..config import Config, load_config
from ..embed import Encoder
from ..errors import KBError
from ..options import Role
from . import admin, errors, routes, widget
from .metrics import worker_exit
from .middleware import Guard, JsonCORSMiddleware, RequestContext
from .settings import ServiceSettings, load_service_settings
from .state import ServiceState

log = logging.getLogger("kb.service")
WARM_QUERIES = ("warm up 预热", "warm up")  # the second reads retrieval/crosslingual's dictionary


def _lifespan(state: ServiceState):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        try:  # load the public index and the encoder before the first request, if there is one
            for query in WARM_QUERIES:
                state.searchers.get(Role.PUBLIC).search(query, top_k=1)
        except KBError as exc:
            log.warning("no index to serve yet (%s); /v1/ready answers 503 until there is", exc)
        yield
        worker_exit(os.getpid())

    return lifespan


def create_app(
    config: Config | None = None,
    settings: ServiceSettings | None = None,
    encoder: str | Encoder | None = None,
) -> FastAPI:
    """The service for `config` (default: load_config()) and `settings` (default:
    load_service_settings()); `encoder` overrides the configured encoder (a spec or an Encoder
    whose id matches the index). Raises ConfigError for a bad setting. Nothing is loaded until
    startup (the public searcher) or the first request that needs it."""
    config = config or load_config()
    settings = settings or load_service_settings()
    state = ServiceState(config, settings, encoder)
    app = FastAPI(
        title="kb help-center search",
        description="Hybrid Chinese/English help-center search (docs/SERVICE.md).",
        version="1",
        lifespan=_lifespan(state),
        redoc_url=None,
    )
    app.state.kb = state
    errors.install(app)
    app.include_router(routes.router(settings))
    app.include_router(admin.router())
    app.include_router(widget.router())
    app.add_middleware(Guard, max_body=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContext, metrics=state.metrics)
    return app


def app_from_env() -> FastAPI:
    """`create_app()` from the environment, for uvicorn's import-string factory."""
    return create_app()
