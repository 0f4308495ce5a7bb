"""Roles by key: no key is public and never sees internal articles, through any endpoint; the
agent key sees them; the editor key also opens the admin endpoints. A wrong or malformed key is
401 and never falls back to public; the agent partition is loaded only for a valid key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb import build_index, load_articles
from kb.config import Config
from kb.options import Role
from kb.testing.corpora import probes, secret_phrases
from tests.service.conftest import AGENT, AGENT_AUTH, EDITOR, EDITOR_AUTH, error_of

ROOT = Path(__file__).resolve().parent.parent.parent
ARTICLES = ROOT / "articles"
INTERNAL = {a.slug for a in load_articles(ARTICLES) if not a.is_public}


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("service-leak") / "index"
    build_index(ARTICLES, index, encoder="hash:64")
    return index


@pytest.fixture
def sample_client(service, sample_index, tmp_path):
    config = Config(
        index=sample_index,
        articles=ARTICLES,
        analytics_db=tmp_path / "analytics.sqlite",
        encoder="hash:64",
    )
    return service.client(config=config)


def test_public_never_gets_internal_articles_through_any_endpoint(sample_client):
    """The leak test through HTTP: title, headings and sentences of every internal article of
    the sample help center, searched without a key; then every internal slug asked for directly,
    for its related articles and voted on."""
    assert len(INTERNAL) >= 4
    texts = [text for _, text in probes(ARTICLES)]
    assert len(texts) >= 40
    phrases = secret_phrases(ARTICLES)
    for text in texts:
        response = sample_client.get("/v1/search", params={"q": text[:500], "top_k": 20})
        body = response.json()
        assert not {a["slug"] for a in body["answers"]} & INTERNAL, text
        assert {a["visibility"] for a in body["answers"]} <= {"public"}
        answered = json.dumps(body["answers"], ensure_ascii=False)  # the query is echoed apart
        assert not any(phrase in answered for phrase in phrases), text
    for slug in INTERNAL:
        error_of(sample_client.get(f"/v1/articles/{slug}"), 404, "article_not_found")
        error_of(sample_client.get(f"/v1/articles/{slug}/related"), 404, "article_not_found")
        vote = {"query": "x", "slug": slug, "helpful": True}
        error_of(sample_client.post("/v1/feedback", json=vote), 404, "article_not_found")
    related = sample_client.get("/v1/articles/withdrawal-time/related", params={"top_k": 20})
    assert not {a["slug"] for a in related.json()["related"]} & INTERNAL
    categories = sample_client.get("/v1/search", params={"q": "x", "category": "internal"})
    assert "internal" not in error_of(categories, 422)["message"].split("use one of:")[1]


def test_the_internal_answer_for_missing_and_hidden_articles_is_the_same(service):
    client = service.client()
    hidden = error_of(client.get("/v1/articles/agent-refund-approval"), 404)
    missing = error_of(client.get("/v1/articles/agent-refund-approvals"), 404)
    assert hidden["message"].replace("agent-refund-approval", "S") == missing["message"].replace(
        "agent-refund-approvals", "S"
    )


def test_agent_key_sees_internal_articles(service):
    client = service.client()
    body = client.get("/v1/search", params={"q": "ZEBRA-42 退款审批"}, headers=AGENT_AUTH).json()
    assert body["answers"][0]["slug"] == "agent-refund-approval"
    assert body["answers"][0]["visibility"] == "internal"
    article = client.get("/v1/articles/agent-refund-approval", headers=EDITOR_AUTH)
    assert article.status_code == 200


WRONG_KEYS = {
    "wrong key": f"Bearer {AGENT}x",
    "prefix of the key": f"Bearer {AGENT[:-1]}",
    "other case": f"Bearer {AGENT.upper()}",
    "empty value": "",
    "scheme only": "Bearer",
    "scheme and spaces": "Bearer   ",
    "no scheme": AGENT,
    "basic scheme": f"Basic {AGENT}",
    "token scheme": f"Token {AGENT}",
    "three parts": f"Bearer {AGENT} {AGENT}",
    "key with a comma": f"Bearer {AGENT},",
    "unicode lookalike": ("Bearer " + AGENT.replace("a", "\u0430")).encode("utf-8"),
}


@pytest.mark.parametrize("header", list(WRONG_KEYS.values()), ids=list(WRONG_KEYS))
def test_wrong_or_malformed_key_is_401_never_public(service, header):
    client = service.client()
    state = service.app_state(client)
    for path in ["/v1/search?q=提现", "/v1/articles/withdrawal-time", "/v1/admin/stats"]:
        response = client.get(path, headers={"Authorization": header})
        error = error_of(response, 401)
        assert error["code"] in {"invalid_key", "invalid_authorization"}
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert AGENT not in response.text and EDITOR not in response.text
    assert state.searchers.versions().keys() <= {"public"}  # the agent partition never loaded


def test_authorization_header_twice_is_401(service):
    client = service.client()
    headers = [("Authorization", f"Bearer {AGENT}"), ("Authorization", "Bearer other")]
    response = client.get("/v1/search", params={"q": "提现"}, headers=headers)
    error_of(response, 401, "invalid_authorization")


def test_bearer_scheme_is_case_insensitive(service):
    client = service.client()
    for scheme in ["bearer", "BEARER", "Bearer"]:
        headers = {"Authorization": f"{scheme} {AGENT}"}
        answers = client.get("/v1/search", params={"q": "ZEBRA-42"}, headers=headers).json()
        assert answers["answers"][0]["slug"] == "agent-refund-approval"


def test_no_keys_configured_means_every_key_is_401(service, monkeypatch):
    monkeypatch.delenv("KB_AGENT_TOKEN")
    monkeypatch.setenv("KB_EDITOR_TOKEN", "   ")  # blank counts as unset
    client = service.client()
    for key in [AGENT, "   ", "anything"]:
        response = client.get("/v1/search?q=x", headers={"Authorization": f"Bearer {key}"})
        error = error_of(response, 401)
        assert error["code"] in {"invalid_key", "invalid_authorization"}
    assert client.get("/v1/search", params={"q": "提现"}).status_code == 200


def test_public_worker_loads_the_agent_partition_only_on_a_valid_key(service):
    client = service.client()
    state = service.app_state(client)
    assert list(state.searchers.versions()) == ["public"]  # loaded at startup
    client.get("/v1/search", params={"q": "退款审批"})
    client.get("/v1/articles/agent-refund-approval")
    assert list(state.searchers.versions()) == ["public"]
    client.get("/v1/search", params={"q": "退款审批"}, headers=AGENT_AUTH)
    assert sorted(state.searchers.versions()) == ["agent", "public"]
    loaded_public = state.searchers.get(Role.PUBLIC)
    assert loaded_public.index.articles.get("agent-refund-approval") is None


@pytest.mark.parametrize(
    "path",
    ["/v1/admin/stats", "/v1/admin/analytics/top-queries", "/v1/admin/jobs/" + "0" * 32],
)
def test_admin_needs_the_editor_key(service, path):
    client = service.client()
    error_of(client.get(path), 401, "unauthorized")
    error_of(client.get(path, headers=AGENT_AUTH), 403, "forbidden")
    assert client.get(path, headers=EDITOR_AUTH).status_code in {200, 404}


@pytest.mark.parametrize("path", ["/v1/admin/build", "/v1/admin/rollback"])
def test_admin_actions_need_the_editor_key(service, path):
    client = service.client()
    live = client.get("/v1/ready").json()["version"]
    error_of(client.post(path), 401, "unauthorized")
    error_of(client.post(path, headers=AGENT_AUTH), 403, "forbidden")
    assert client.get("/v1/ready").json()["version"] == live
