"""Every endpoint's successful answer: search (the same answers as `kb search --json`, from one
version), articles, related, feedback and analytics, health, readiness, metrics, OpenAPI docs."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from kb import open_store
from kb.cli import main
from tests.service.conftest import AGENT_AUTH


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_search_answers_like_the_cli_json(service, capsys, monkeypatch):
    client = service.client()
    response = client.get("/v1/search", params={"q": "忘记密码怎么办", "top_k": 3})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"query", "version", "good_match", "answers"}
    assert body["query"] == "忘记密码怎么办"
    assert body["version"] == open_store(service.index).live_version()
    assert body["good_match"] is True
    monkeypatch.setenv("KB_ENCODER", "hash:64")
    main(["search", "忘记密码怎么办", "--index", str(service.index), "--json", "--top-k", "3"])
    assert json.loads(capsys.readouterr().out) == body  # the CLI's --json is the same object
    first = body["answers"][0]
    assert first["slug"] == "forgot-password"
    assert first["url"].startswith("https://help.example.com/a/forgot-password#")
    start, end = first["highlights"][0]
    assert first["snippet_text"][start:end] in "忘记密码怎么办"


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"q": "提现", "category": "withdrawals"}, lambda a: a["category"] == "withdrawals"),
        ({"q": "payment", "language": "en"}, lambda a: a["language"] == "en"),
        ({"q": "提现", "top_k": 1}, lambda a: True),
    ],
    ids=["category", "language", "top_k"],
)
def test_search_filters_and_top_k(service, params, check):
    answers = service.client().get("/v1/search", params=params).json()["answers"]
    assert answers and all(check(a) for a in answers)
    assert len(answers) <= params.get("top_k", 5)


def test_blank_query_answers_nothing_and_logs_nothing(service):
    client = service.client()
    for q in ["", "   ", "\u3000"]:
        body = client.get("/v1/search", params={"q": q}).json()
        assert body["answers"] == [] and body["good_match"] is False
    assert service.app_state(client)._analytics is None  # never opened: nothing to record


def test_searches_are_recorded_unless_analytics_false(service):
    client = service.client()
    client.get("/v1/search", params={"q": "提现多久到账"})
    client.get("/v1/search", params={"q": "提现多", "analytics": "false"})  # typing, widget-style
    client.get("/v1/search", params={"q": "退款审批"}, headers=AGENT_AUTH)
    found = rows(service.config.analytics_db, "SELECT query, role, results, top_slug FROM searches")
    assert found == [
        ("提现多久到账", "public", 5, "withdrawal-time"),
        ("退款审批", "agent", 5, "agent-refund-approval"),
    ]


def test_article_with_sections(service):
    client = service.client()
    body = client.get("/v1/articles/forgot-password").json()
    assert body["version"] == open_store(service.index).live_version()
    article = body["article"]
    assert article["title"] == "忘记登录密码怎么办"
    assert article["tags"] == ["密码", "重置"]
    assert [s["heading"] for s in article["sections"]][1:] == ["重置密码的步骤", "收不到邮件"]
    assert article["sections"][1]["url"].endswith("#" + article["sections"][1]["anchor"])
    assert "source" not in article  # the editor's file path stays on the server


def test_related_articles(service):
    body = service.client().get("/v1/articles/withdrawal-time/related", params={"top_k": 2}).json()
    assert body["slug"] == "withdrawal-time"
    slugs = [a["slug"] for a in body["related"]]
    assert len(slugs) == 2 and "withdrawal-time" not in slugs
    assert "agent-refund-approval" not in slugs


def test_feedback_is_recorded_with_role(service):
    client = service.client()
    vote = {"query": "提现多久到账", "slug": "withdrawal-time", "helpful": False}
    response = client.post("/v1/feedback", json=vote)
    assert response.status_code == 202 and response.json() == {"status": "accepted"}
    vote = {"query": "退款", "slug": "agent-refund-approval", "helpful": True}
    assert client.post("/v1/feedback", json=vote, headers=AGENT_AUTH).status_code == 202
    found = rows(service.config.analytics_db, "SELECT query, slug, helpful, role FROM feedback")
    assert found == [
        ("提现多久到账", "withdrawal-time", 0, "public"),
        ("退款", "agent-refund-approval", 1, "agent"),
    ]


def test_health_ready_docs(service):
    client = service.client()
    assert client.get("/v1/health").json() == {"status": "ok"}
    ready = client.get("/v1/ready").json()
    assert ready == {"status": "ready", "version": open_store(service.index).live_version()}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/v1/search",
        "/v1/articles/{slug}",
        "/v1/articles/{slug}/related",
        "/v1/feedback",
        "/v1/health",
        "/v1/ready",
        "/v1/admin/build",
        "/v1/admin/jobs/{job_id}",
        "/v1/admin/rollback",
        "/v1/admin/stats",
        "/v1/admin/analytics/{report}",
    ]:
        assert path in paths, path


def metric(text: str, name: str, **labels) -> float:
    """The value of the sample `name{labels}` in Prometheus text (labels in any order)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_latency_errors_and_version(service):
    client = service.client()
    for _ in range(3):
        client.get("/v1/search", params={"q": "提现"})
    client.get("/v1/articles/no-such-article")
    client.get("/v1/search", params={"q": "x", "top_k": 0})
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    ok = {"method": "GET", "route": "/v1/search", "status": "200"}
    assert metric(text, "kb_http_requests_total", **ok) == 3
    latency = {"method": "GET", "route": "/v1/search"}
    assert metric(text, "kb_http_request_duration_seconds_count", **latency) == 4
    assert metric(text, "kb_http_request_duration_seconds_bucket", le="+Inf", **latency) == 4
    missing = {"route": "/v1/articles/{slug}", "status": "404"}
    assert metric(text, "kb_http_errors_total", **missing) == 1
    assert metric(text, "kb_http_errors_total", route="/v1/search", status="422") == 1
    assert metric(text, "kb_searches_total", role="public", good_match="true") == 3
    live = open_store(service.index).live_version()
    assert metric(text, "kb_index_live_version_info", role="public", version=live) == 1
    client.get("/v1/nothing/here/12345")
    assert "12345" not in client.get("/metrics").text  # unknown paths share one label
