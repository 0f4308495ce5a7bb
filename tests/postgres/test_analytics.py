"""Analytics in PostgreSQL: two instances (two app or service processes) write to one record, the
reports see both, queries are masked, failures are counted and reports fail cleanly."""

from __future__ import annotations

import psycopg
import pytest

from kb.analytics import Analytics, AnalyticsError, PgAnalytics, open_analytics
from kb.config import load_config


def test_two_instances_share_one_record(pg_url):
    first, second = open_analytics(pg_url), open_analytics(pg_url)
    assert isinstance(first, PgAnalytics) and first is not second
    first.log_search("提现多久到账", "public", 3, "withdrawal-time", True)
    second.log_search("提现多久到账 ", "public", 3, "withdrawal-time", True)
    second.log_search("我的卡 4111 1111 1111 1111 被拒了", "public", 0, None, False)
    first.log_search("内部退款审批", "agent", 2, "agent-refund-approval", True)
    second.log_feedback("提现多久到账", "withdrawal-time", False, "public")
    assert not first.failures() and not second.failures()
    reports = first.reports(days=7)
    top = reports["top queries"]
    assert top.iloc[0]["searches"] == 2 and top.iloc[0]["query"].startswith("提现多久到账")
    assert list(reports["no good match"]["query"]) == ["我的卡 [card] 被拒了"]
    assert reports["unhelpful answers"].iloc[0]["slug"] == "withdrawal-time"
    assert int(reports["per day"]["searches"].sum()) == 3  # customers only by default
    assert int(second.per_day(7, role=None)["searches"].sum()) == 4
    with psycopg.connect(pg_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT query FROM kb_analytics.searches")]
    assert not any("4111" in q for q in stored)


def test_unreachable_database_is_counted_and_reports_fail_cleanly():
    store = open_analytics("postgresql://nobody@127.0.0.1:1/kb")
    store.log_search("密码", "public", 1, "forgot-password", True)  # never raises
    assert store.failures() and store.failures()[0].count == 1
    with pytest.raises(AnalyticsError, match="KB_ANALYTICS_DB"):
        store.top_queries()


def test_configuration_picks_the_store(tmp_path):
    config = load_config({"KB_ANALYTICS_DB": "postgresql://u@db.example.com:5432/kb"})
    assert config.analytics_db == "postgresql://u@db.example.com:5432/kb"
    assert isinstance(open_analytics(tmp_path / "a.sqlite"), Analytics)
    assert not isinstance(open_analytics(tmp_path / "a.sqlite"), PgAnalytics)
