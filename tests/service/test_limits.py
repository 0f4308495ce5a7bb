"""Rate limits (429 with Retry-After, per client address; wrong keys locked out), CORS with the
configured origins, request ids in responses and logs, and the KB_SERVICE_* settings."""

from __future__ import annotations

import logging
import re
import time

import pytest

from kb.cli import main
from kb.errors import ConfigError
from kb.service.context import RequestIdFilter
from kb.service.settings import ServiceSettings, load_service_settings
from tests.service.conftest import AGENT_AUTH, error_of

SEARCH = "/v1/search?q=提现"


def test_429_after_the_public_limit_with_retry_after(service):
    client = service.client(ServiceSettings(rate_limit="3/minute", auth_failure_limit=""))
    for _ in range(3):
        assert client.get(SEARCH).status_code == 200
    for path in [SEARCH, "/v1/articles/withdrawal-time", "/v1/articles/withdrawal-time/related"]:
        response = client.get(path)
        error = error_of(response, 429, "rate_limited")
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "3 per 1 minute" in error["message"]
    vote = {"query": "x", "slug": "withdrawal-time", "helpful": True}
    error_of(client.post("/v1/feedback", json=vote), 429, "rate_limited")
    assert client.get(SEARCH, headers=AGENT_AUTH).status_code == 200  # keys are not limited
    assert client.get("/v1/health").status_code == 200  # nor are health, metrics, the widget
    assert client.get("/metrics").status_code == 200
    assert client.get("/widget.js").status_code == 200
    other = service.more(client, "192.0.2.7")
    assert other.get(SEARCH).status_code == 200  # the limit is per client address


def test_waiting_retry_after_lets_the_client_in_again(service):
    client = service.client(ServiceSettings(rate_limit="2/second", auth_failure_limit=""))
    assert [client.get(SEARCH).status_code for _ in range(2)] == [200, 200]
    response = client.get(SEARCH)
    assert response.status_code == 429
    time.sleep(int(response.headers["retry-after"]) + 0.05)
    assert client.get(SEARCH).status_code == 200


def test_wrong_keys_lock_the_address_out_of_keyed_requests(service):
    client = service.client(ServiceSettings(rate_limit="", auth_failure_limit="3/minute"))
    for i in range(3):
        error_of(client.get(SEARCH, headers={"Authorization": f"Bearer guess{i}"}), 401)
    response = client.get(SEARCH, headers=AGENT_AUTH)  # even the right key, from this address
    error = error_of(response, 429, "rate_limited")
    assert "wrong key" in error["message"] and int(response.headers["retry-after"]) >= 1
    assert client.get(SEARCH).status_code == 200  # public answers still flow
    assert service.more(client, "192.0.2.8").get(SEARCH, headers=AGENT_AUTH).status_code == 200


def test_cors_allows_the_configured_origins_only(service):
    settings = ServiceSettings(rate_limit="", cors_origins=("https://help.example.com",))
    client = service.client(settings)
    allowed = client.get(SEARCH, headers={"Origin": "https://help.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://help.example.com"
    assert "X-Request-ID" in allowed.headers["access-control-expose-headers"]
    other = client.get(SEARCH, headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    preflight = {"Access-Control-Request-Method": "GET"}
    ok = client.options(SEARCH, headers={"Origin": "https://help.example.com", **preflight})
    assert ok.status_code == 200 and "GET" in ok.headers["access-control-allow-methods"]
    refused = client.options(SEARCH, headers={"Origin": "https://evil.example.com", **preflight})
    error = error_of(refused, 400, "cors_refused")
    assert "KB_SERVICE_CORS_ORIGINS" in error["message"]
    put = {"Origin": "https://help.example.com", "Access-Control-Request-Method": "PUT"}
    assert error_of(client.options(SEARCH, headers=put), 400, "cors_refused")


def test_no_cors_without_configured_origins(service):
    client = service.client()
    response = client.get(SEARCH, headers={"Origin": "https://help.example.com"})
    assert "access-control-allow-origin" not in response.headers
    preflight = {"Origin": "https://help.example.com", "Access-Control-Request-Method": "GET"}
    error_of(client.options(SEARCH, headers=preflight), 405)


def test_any_origin_when_configured_as_star(service):
    client = service.client(ServiceSettings(rate_limit="", cors_origins=("*",)))
    response = client.get(SEARCH, headers={"Origin": "https://anyone.example.com"})
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abc-123.DEF:4_5", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("has space", False),
        ("line\nbreak", False),
        ("", False),
        ("<script>", False),
    ],
)
def test_request_id_is_kept_when_plain_else_new(service, given, kept):
    client = service.client()
    headers = {"X-Request-ID": given} if "\n" not in given else {}
    if "\n" in given:  # a header cannot carry a raw line break; the client refuses it
        headers = {"X-Request-ID": given.replace("\n", "%0A")}
    response = client.get(SEARCH, headers=headers)
    rid = response.headers["x-request-id"]
    if kept:
        assert rid == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", rid)


def test_request_ids_are_unique_and_in_every_log_line(service, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    client = service.client()
    with caplog.at_level(logging.INFO, logger="kb.service.access"):
        responses = [client.get(SEARCH + "&top_k=2") for _ in range(3)]
    ids = [r.headers["x-request-id"] for r in responses]
    assert len(set(ids)) == 3
    access = [r for r in caplog.records if r.name == "kb.service.access"]
    assert [r.request_id for r in access] == ids
    for record in access:
        line = record.getMessage()
        assert "/v1/search" in line and " 200 " in line and "public" in line
        assert "提现" not in line and "top_k" not in line  # no query string: personal data


SETTINGS_ERRORS = {
    "KB_SERVICE_CORS_ORIGINS": ["help.example.com", "https://help.example.com/path", "*,https://a"],
    "KB_SERVICE_RATE_LIMIT": ["fast", "0/second", "10 per", "-1/minute"],
    "KB_SERVICE_AUTH_FAILURE_LIMIT": ["many"],
    "KB_SERVICE_MAX_QUERY_CHARS": ["0", "lots", "100000"],
    "KB_SERVICE_MAX_TOP_K": ["0", "1.5"],
    "KB_SERVICE_MAX_BODY_BYTES": ["-1", "1e6"],
    "KB_SERVICE_WORKERS": ["0", "65", "two"],
    "KB_SERVICE_FORWARDED_ALLOW_IPS": ["proxy.example.com"],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, values in SETTINGS_ERRORS.items() for value in values],
)
def test_bad_setting_names_variable_value_and_fix(name, value):
    with pytest.raises(ConfigError) as caught:
        load_service_settings({name: value})
    message = str(caught.value)
    assert name in message and repr(value) in message


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("KB_SERVICE_CORS_ORIGIN", "KB_SERVICE_CORS_ORIGINS"),
        ("KB_SERVICE_RATELIMIT", "KB_SERVICE_RATE_LIMIT"),
        ("KB_SERVICE_WORKER", "KB_SERVICE_WORKERS"),
    ],
)
def test_unknown_setting_name_is_refused_with_the_nearest(name, suggestion):
    with pytest.raises(ConfigError, match=f"did you mean {suggestion}"):
        load_service_settings({name: "x"})


def test_settings_parse_and_default():
    settings = load_service_settings(
        {
            "KB_SERVICE_CORS_ORIGINS": " https://help.example.com/, http://127.0.0.1:8080 ",
            "KB_SERVICE_RATE_LIMIT": "off",
            "KB_SERVICE_MAX_TOP_K": "20",
            "KB_SERVICE_WORKERS": "4",
            "KB_SERVICE_MAX_QUERY_CHARS": "  ",
        }
    )
    assert settings.cors_origins == ("https://help.example.com", "http://127.0.0.1:8080")
    assert settings.rate_items("public") == [] and settings.rate_items("auth")
    assert (settings.max_top_k, settings.workers, settings.max_query_chars) == (20, 4, 512)
    assert load_service_settings({}) == ServiceSettings()


def test_serve_with_a_bad_setting_exits_1_with_the_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_SERVICE_RATE_LIMIT", "fast")
    assert main(["serve", "--index", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "KB_SERVICE_RATE_LIMIT='fast'" in err and "Traceback" not in err
    monkeypatch.delenv("KB_SERVICE_RATE_LIMIT")
    for bad in (["--port", "0"], ["--workers", "0"], ["--port", "http"]):
        with pytest.raises(SystemExit) as caught:
            main(["serve", *bad])
        assert caught.value.code == 1  # a usage error is invalid input
