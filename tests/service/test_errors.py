"""Every error a client can cause gets the JSON shape `{"error": {"code", "message",
"request_id"}}` with the right status, names what to fix, and never carries a traceback: each
status with several inputs of its kind (`error_of` checks the shape of every one)."""

from __future__ import annotations

import pytest

from kb import open_store
from kb.service.settings import ServiceSettings
from tests.service.conftest import EDITOR_AUTH, error_of

FEEDBACK = {"query": "提现", "slug": "withdrawal-time", "helpful": True}


@pytest.mark.parametrize(
    "body",
    [b"{bad", b'{"query": "x",}', b"\xff\xfe{}", b'"unterminated', b"{'single': 'quotes'}"],
    ids=["bare key", "trailing comma", "not UTF-8", "unterminated", "single quotes"],
)
def test_400_body_that_is_not_json(service, body):
    response = service.client().post(
        "/v1/feedback", content=body, headers={"content-type": "application/json"}
    )
    error = error_of(response, 400, "invalid_json")
    assert "Content-Type: application/json" in error["message"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/nothing-here", "not_found"),
        ("/v1/articles/no-such-article", "article_not_found"),
        ("/v1/articles/no-such-article/related", "article_not_found"),
        ("/v1/admin/jobs/0123456789abcdef0123456789abcdef", "job_not_found"),
        ("/v1/admin/jobs/..%2F..%2Fetc%2Fpasswd", "not_found"),
        ("/v1/admin/jobs/not-a-job", "job_not_found"),
        ("/v1/admin/analytics/secrets", "report_not_found"),
    ],
)
def test_404_unknown_path_article_job_report(service, path, code):
    error = error_of(service.client().get(path, headers=EDITOR_AUTH), 404, code)
    assert "passwd" not in error["message"] or code == "not_found"


def test_404_feedback_on_an_unknown_article(service):
    vote = {**FEEDBACK, "slug": "no-such-article"}
    error_of(service.client().post("/v1/feedback", json=vote), 404, "article_not_found")


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/v1/search"), ("POST", "/v1/ready")])
def test_405_wrong_method(service, method, path):
    error_of(service.client().request(method, path), 405, "method_not_allowed")


def test_409_build_while_another_holds_the_lock_and_nothing_to_roll_back(service):
    client = service.client()
    with open_store(service.index).lock():
        error = error_of(client.post("/v1/admin/build", headers=EDITOR_AUTH), 409, "build_locked")
        assert "pid" in error["message"]
        error_of(client.post("/v1/admin/rollback", headers=EDITOR_AUTH), 409, "build_locked")
    error = error_of(
        client.post("/v1/admin/rollback", headers=EDITOR_AUTH), 409, "nothing_to_roll_back"
    )
    assert "older" in error["message"]


@pytest.mark.parametrize("size", [1_024 + 1, 1_000_000])
def test_413_body_over_the_limit_declared(service, size):
    client = service.client(ServiceSettings(rate_limit="", max_body_bytes=1_024))
    body = b'{"query": "' + b"x" * size + b'"}'
    error = error_of(
        client.post("/v1/feedback", content=body, headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )
    assert "1024" in error["message"]


def test_413_body_over_the_limit_streamed_without_length(service):
    client = service.client(ServiceSettings(rate_limit="", max_body_bytes=1_024))

    def chunks():
        yield b'{"query": "'
        for _ in range(200):
            yield b"x" * 100

    response = client.post(
        "/v1/feedback", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers  # sent chunked
    error_of(response, 413, "body_too_large")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_415_body_that_is_not_declared_json(service, content_type):
    response = service.client().post(
        "/v1/feedback", content=b'{"query": "x"}', headers={"content-type": content_type}
    )
    error_of(response, 415, "unsupported_media_type")


SEARCH_422 = [
    ({}, "invalid_request", "q"),
    ({"q": "x", "top_k": "0"}, "invalid_request", "top_k"),
    ({"q": "x", "top_k": "-3"}, "invalid_request", "top_k"),
    ({"q": "x", "top_k": "51"}, "invalid_request", "top_k"),
    ({"q": "x", "top_k": "five"}, "invalid_request", "top_k"),
    ({"q": "x", "top_k": "1.5"}, "invalid_request", "top_k"),
    ({"q": "长" * 513}, "invalid_request", "q"),
    ({"q": "x", "topk": "3"}, "unknown_parameter", "did you mean 'top_k'"),
    ({"q": "x", "Q": "y"}, "unknown_parameter", "'Q'"),
    ({"q": "x", "token": "agent-key"}, "unknown_parameter", "token"),
    ({"q": "x", "category": "withdrawal"}, "invalid_category", "did you mean 'withdrawals'"),
    ({"q": "x", "category": "internal"}, "invalid_category", "use one of"),
    ({"q": "x", "language": "cn"}, "invalid_language", "zh, en"),
    ({"q": "x", "language": "ZH"}, "invalid_language", "zh, en"),
    ({"q": "x", "analytics": "maybe"}, "invalid_request", "analytics"),
]


@pytest.mark.parametrize(("params", "code", "named"), SEARCH_422)
def test_422_search_field_out_of_range_or_unknown(service, params, code, named):
    error = error_of(service.client().get("/v1/search", params=params), 422, code)
    assert named in error["message"]


def test_422_repeated_parameter(service):
    response = service.client().get("/v1/search?q=a&q=b")
    error = error_of(response, 422, "repeated_parameter")
    assert "'q'" in error["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({**FEEDBACK, "helpfull": True}, "did you mean 'helpful'"),
        ({"query": "x", "slug": "withdrawal-time"}, "helpful"),
        ({**FEEDBACK, "helpful": "true"}, "helpful"),
        ({**FEEDBACK, "helpful": 1}, "helpful"),
        ({**FEEDBACK, "slug": ""}, "slug"),
        ({**FEEDBACK, "query": ""}, "query"),
        ({**FEEDBACK, "query": "x" * 513}, "query"),
        ([FEEDBACK], "body"),
    ],
    ids=[
        "misspelt",
        "missing",
        "string bool",
        "int bool",
        "empty slug",
        "empty query",
        "long",
        "list",
    ],
)
def test_422_feedback_body(service, body, named):
    error = error_of(service.client().post("/v1/feedback", json=body), 422)
    assert named in error["message"]


def test_422_build_body(service):
    client = service.client()
    error = error_of(client.post("/v1/admin/build", json={"forse": True}, headers=EDITOR_AUTH), 422)
    assert "did you mean 'force'" in error["message"]


def test_422_build_of_invalid_articles_lists_the_problems_and_publishes_nothing(service):
    (service.articles / "bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    live = open_store(service.index).live_version()
    client = service.client()
    error = error_of(client.post("/v1/admin/build", headers=EDITOR_AUTH), 422, "invalid_articles")
    assert error["problems"] and error["problems"][0]["path"].endswith("bad.md")
    assert {"path", "line", "message"} == set(error["problems"][0])
    assert open_store(service.index).live_version() == live


def test_503_without_an_index_then_serves_once_one_is_built(service, tmp_path):
    from dataclasses import replace

    from kb import build_index

    empty = tmp_path / "empty-index"
    client = service.client(config=replace(service.config, index=empty))
    assert client.get("/v1/health").status_code == 200
    for path in ["/v1/ready", "/v1/search?q=提现", "/v1/articles/withdrawal-time"]:
        response = client.get(path)
        error = error_of(response, 503, "index_not_found")
        assert response.headers["retry-after"].isdigit()
        assert str(empty) not in error["message"]  # server folders are not shown to the public
    stats = error_of(client.get("/v1/admin/stats", headers=EDITOR_AUTH), 503, "index_not_found")
    assert str(empty) in stats["message"] and "kb build" in stats["message"]  # editors see how
    build_index(service.articles, empty, encoder="hash:64")
    assert client.get("/v1/search", params={"q": "提现"}).status_code == 200


def test_503_damaged_index(service):
    live = open_store(service.index).live_version()
    for path in (service.index / live).rglob("*.faiss"):
        path.write_bytes(b"damaged")
    error_of(service.client().get("/v1/search", params={"q": "提现"}), 503, "index_damaged")


def test_500_for_a_bug_is_json_without_the_traceback(service, monkeypatch, caplog):
    from kb.retrieval import Searcher

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail /srv/kb")

    client = service.client()
    monkeypatch.setattr(Searcher, "search", broken)
    response = client.get("/v1/search", params={"q": "提现"})
    error = error_of(response, 500, "internal")
    assert "secret internal detail" not in response.text
    assert any(
        "secret internal detail" in str(r.exc_info) and error["request_id"] in r.getMessage()
        for r in caplog.records
        if r.exc_info
    )
