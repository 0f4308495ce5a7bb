"""New versions without a restart: a build started through the API runs in the background and
the next request is answered by the new version; a rollback likewise; every answer names the
one version it came from. Build jobs are visible to every worker; analytics reports."""

from __future__ import annotations

import json
import os
import time

import pytest

from kb import build_index
from kb.errors import BuildLockedError, Problem, ValidationError
from kb.testing import write_articles
from tests.service.conftest import AGENT_AUTH, EDITOR_AUTH, error_of

NEW = {
    "cards/virtual-card.md": """\
        ---
        title: 虚拟卡怎么申请
        category: cards
        language: zh
        ---
        在钱包页点击虚拟卡，完成身份认证后即可申请，申请后立即可用。
        """
}


def wait_for_job(client, location: str, seconds: float = 60.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = client.get(location, headers=EDITOR_AUTH).json()
        if record["status"] in ("succeeded", "failed"):
            return record
        time.sleep(0.05)
    raise AssertionError(f"job {location} did not finish in {seconds} s")


def test_build_through_the_api_then_the_next_search_uses_the_new_version(service):
    client = service.client()
    before = client.get("/v1/search", params={"q": "虚拟卡怎么申请"}).json()
    assert "virtual-card" not in [a["slug"] for a in before["answers"]]
    write_articles(service.articles, NEW)
    response = client.post("/v1/admin/build", headers=EDITOR_AUTH, json={"force": False})
    assert response.status_code == 202
    job = response.json()
    assert job["status"] in ("queued", "running") and response.headers["location"].endswith(
        job["id"]
    )
    record = wait_for_job(client, response.headers["location"])
    assert record["status"] == "succeeded", record
    assert record["report"]["added"] == ["virtual-card"] and record["report"]["published"]
    after = client.get("/v1/search", params={"q": "虚拟卡怎么申请"}).json()
    assert after["version"] == record["report"]["version"] != before["version"]
    assert after["answers"][0]["slug"] == "virtual-card"
    assert client.get("/v1/ready").json()["version"] == after["version"]
    metrics = client.get("/metrics").text
    assert (
        f'kb_index_live_version_info{{role="public",version="{after["version"]}"}} 1.0' in metrics
    )
    assert (
        f'kb_index_live_version_info{{role="public",version="{before["version"]}"}} 0.0' in metrics
    )


def test_rollback_through_the_api_is_followed_at_once(service):
    client = service.client()
    old = client.get("/v1/ready").json()["version"]
    write_articles(service.articles, NEW)
    new = build_index(service.articles, service.index, encoder="hash:64").version
    assert client.get("/v1/articles/virtual-card").json()["version"] == new
    response = client.post("/v1/admin/rollback", headers=EDITOR_AUTH)
    assert response.json() == {"old": new, "new": old}
    error_of(client.get("/v1/articles/virtual-card"), 404, "article_not_found")
    assert client.get("/v1/search", params={"q": "虚拟卡"}).json()["version"] == old
    stats = client.get("/v1/admin/stats", headers=EDITOR_AUTH).json()
    assert stats["version"] == old and set(stats["versions"]) == {old, new}
    assert stats["serving"]["public"] == old


def test_every_answer_is_from_the_version_it_names(service):
    """Answers from a rebuilt index are checked against the articles of the version named."""
    client = service.client()
    write_articles(service.articles, NEW)
    seen = {}
    for step in range(3):
        if step:
            build_index(service.articles, service.index, encoder="hash:64", force=True)
        body = client.get("/v1/search", params={"q": "虚拟卡 提现", "top_k": 10}).json()
        version_dir = service.index / body["version"]
        manifest = json.loads((version_dir / "manifest.json").read_text(encoding="utf-8"))
        assert {a["slug"] for a in body["answers"]} <= set(manifest["articles"])
        seen[body["version"]] = True
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ValidationError([Problem("articles/x.md", 3, "title is empty")]), 422, "invalid_articles"),
        (BuildLockedError("another build is writing (pid 1)"), 409, "build_locked"),
        (RuntimeError("bug with /srv/secret/path"), 500, "internal"),
    ],
    ids=["articles changed to invalid", "lock taken meanwhile", "bug"],
)
def test_a_failed_build_job_reports_its_error_and_keeps_the_live_version(
    service, monkeypatch, error, status, code
):
    client = service.client()
    live = client.get("/v1/ready").json()["version"]

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr("kb.service.jobs.build_index", failing)
    response = client.post("/v1/admin/build", headers=EDITOR_AUTH)
    record = wait_for_job(client, response.headers["location"])
    assert record["status"] == "failed" and record["report"] is None
    assert (record["error"]["status"], record["error"]["code"]) == (status, code)
    assert "/srv/secret" not in json.dumps(record)  # a bug's detail stays in the log
    if code == "invalid_articles":
        assert record["error"]["problems"][0]["line"] == 3
    assert client.get("/v1/ready").json()["version"] == live


def test_jobs_are_visible_to_every_worker_and_a_dead_worker_is_reported(service):
    first, second = service.client(), service.client()  # two apps: two workers sharing a folder
    write_articles(service.articles, NEW)
    response = first.post("/v1/admin/build", headers=EDITOR_AUTH)
    record = wait_for_job(second, response.headers["location"])
    assert record["status"] == "succeeded"
    jobs = service.app_state(first).jobs
    dead = dict(record, id="f" * 32, status="running", pid=_dead_pid())
    jobs._write(dead)
    found = second.get(f"/v1/admin/jobs/{'f' * 32}", headers=EDITOR_AUTH).json()
    assert found["status"] == "failed" and found["error"]["code"] == "worker_exited"


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_analytics_reports_for_editors(service):
    client = service.client()
    for q in ["提现多久到账", "提现多久到账", "qwxz vbnm"]:
        client.get("/v1/search", params={"q": q})
    vote = {"query": "提现多久到账", "slug": "withdrawal-time", "helpful": False}
    client.post("/v1/feedback", json=vote)
    top = client.get("/v1/admin/analytics/top-queries", headers=EDITOR_AUTH).json()
    assert top["rows"][0]["query"] == "提现多久到账" and top["rows"][0]["searches"] == 2
    unhelpful = client.get("/v1/admin/analytics/unhelpful", headers=EDITOR_AUTH).json()
    assert unhelpful["rows"][0]["slug"] == "withdrawal-time"
    per_day = client.get("/v1/admin/analytics/per-day", params={"days": 7}, headers=EDITOR_AUTH)
    assert per_day.json()["rows"][0]["searches"] == 3
    no_match = client.get("/v1/admin/analytics/no-match", headers=EDITOR_AUTH).json()
    assert [r["query"] for r in no_match["rows"]] == ["qwxz vbnm"]


def test_analytics_reports_count_customers_and_agents_apart(service):
    client = service.client()
    client.get("/v1/search", params={"q": "提现多久到账"})
    client.get("/v1/search", params={"q": "退款审批"}, headers=AGENT_AUTH)

    def top(**params) -> list[str]:
        body = client.get("/v1/admin/analytics/top-queries", params=params, headers=EDITOR_AUTH)
        return sorted(r["query"] for r in body.json()["rows"])

    assert top() == ["提现多久到账"]  # customers by default
    assert top(role="agent") == ["退款审批"]
    assert top(role="all") == ["提现多久到账", "退款审批"]
    bad = client.get("/v1/admin/analytics/top-queries", params={"role": "x"}, headers=EDITOR_AUTH)
    assert bad.status_code == 422
