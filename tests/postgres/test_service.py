"""`kb serve` on a postgresql:// index (with a replica): searches answer from the database, and a
build on the primary is followed without a restart."""

from __future__ import annotations

from kb import build_index
from kb.index.postgres import with_replicas
from kb.testing import TINY, write_articles
from kb.testing.servers import running_service
from tests.service.test_server import search

from .conftest import replica_of

ENV = {"KB_ENCODER": "hash:64", "KB_SERVICE_RATE_LIMIT": "off", "KB_MIN_SCORE": "0.3"}


def test_service_searches_the_database_and_follows_a_build(pg_url, pg_cluster, tmp_path):
    import time

    articles = write_articles(tmp_path / "articles", TINY)
    build_index(articles, pg_url, encoder="hash:64")
    location = with_replicas(pg_url, [replica_of(pg_cluster, pg_url)])
    with running_service(location, env=ENV, log=tmp_path / "serve.log") as url:
        body = search(url, "忘记密码")
        slugs = [r["slug"] for r in body["answers"]]
        assert slugs and slugs[0] == "forgot-password", body
        (articles / "new.md").write_text(
            "---\ntitle: 数据库新文章\n---\n刚刚发布的内容。\n", "utf-8"
        )
        build_index(articles, pg_url, encoder="hash:64")
        for _ in range(50):  # the replica replays the build within a moment
            found = [r["slug"] for r in search(url, "数据库新文章")["answers"]]
            if found[:1] == ["new"]:
                break
            time.sleep(0.2)
        assert found[:1] == ["new"]
