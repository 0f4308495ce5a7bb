"""The service over the tiny fixture help center with the hashing encoder, through FastAPI's
TestClient: `service` builds the index and yields a factory of clients with chosen settings."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb import build_index
from kb.config import Config
from kb.service.app import create_app
from kb.service.settings import ServiceSettings
from kb.testing import TINY, write_articles

AGENT = "agent-key-for-tests"
EDITOR = "editor-key-for-tests"
AGENT_AUTH = {"Authorization": f"Bearer {AGENT}"}
EDITOR_AUTH = {"Authorization": f"Bearer {EDITOR}"}
# No rate limit unless a test sets one: tests send many requests from one address.
OPEN = ServiceSettings(rate_limit="", auth_failure_limit="")


@dataclass
class Service:
    """The fixture service: its folders, configuration, and `client(settings)` to talk to it."""

    articles: Path
    index: Path
    config: Config
    stack: contextlib.ExitStack

    def client(
        self,
        settings: ServiceSettings = OPEN,
        config: Config | None = None,
        address: str = "testclient",
    ) -> TestClient:
        """A TestClient of a new app (lifespan run) over this help center, closed at teardown;
        its requests come from `address`."""
        app = create_app(config or self.config, settings)
        return self.stack.enter_context(TestClient(app, client=(address, 50000)))

    def more(self, client: TestClient, address: str) -> TestClient:
        """Another client of the same app, from another address."""
        return self.stack.enter_context(TestClient(client.app, client=(address, 50000)))

    def app_state(self, client: TestClient):
        """The ServiceState of the app behind `client`."""
        return client.app.state.kb


def error_of(response, status: int, code: str | None = None) -> dict:
    """The JSON error of `response`, checked for its status, shape and request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "request_id"} <= set(error), error
    assert error["message"] and isinstance(error["message"], str)
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def service(tmp_path, monkeypatch):
    """The tiny help center built with hash:64, agent and editor keys set, no KB_SERVICE_*."""
    import os

    for key in list(os.environ):
        if key.startswith("KB_SERVICE_") or key == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("KB_AGENT_TOKEN", AGENT)
    monkeypatch.setenv("KB_EDITOR_TOKEN", EDITOR)
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    config = Config(
        index=index,
        articles=articles,
        analytics_db=tmp_path / "data" / "analytics.sqlite",
        encoder="hash:64",
        min_score=0.3,
    )
    with contextlib.ExitStack() as stack:
        yield Service(articles, index, config, stack)
