"""Eval-gated publishing: a version that searches worse is kept but not made live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from kb.curation import GateSettings, compare_ranks, gated_build
from kb.errors import ConfigError, IndexStateError, QueryFileError
from kb.evaluation import Query
from kb.index import history, versions
from kb.testing import TINY, write_articles

EVAL = [
    ("忘记登录密码怎么办", "forgot-password"),
    ("提现多久到账", "withdrawal-time"),
    ("提现手续费", "withdrawal-fees"),
    ("payment failed", "payment-failed-en"),
    ("联系客服", "contact-support"),
]


def eval_file(path: Path, pairs=EVAL) -> Path:
    lines = [json.dumps({"query": q, "relevant": [s]}, ensure_ascii=False) for q, s in pairs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def q(text: str, *slugs: str) -> Query:
    return Query(text, slugs)


# -- the rule, on made-up rankings ----------------------------------------------------------


QUERIES = [q(f"q{i}", f"s{i}") for i in range(20)]
SAME = [[f"s{i}", "x", "y", "z"] for i in range(20)]


def test_identical_rankings_pass():
    _, _, worse, reasons = compare_ranks(SAME, SAME, QUERIES)
    assert worse == [] and reasons == []


@pytest.mark.parametrize("new_rank", [4, 7, None])
def test_a_rank_one_query_falling_out_of_the_top_3_refuses(new_rank):
    after = [list(r) for r in SAME]
    after[5] = ["a", "b", "c", "d", "e", "f", "g", "h"][: (new_rank or 9) - 1] + (
        ["s5"] if new_rank else []
    )
    # a generous tolerance: only the rank-1 rule can refuse
    _, _, worse, reasons = compare_ranks(SAME, after, QUERIES, GateSettings(tolerance=1.0))
    assert [(c.query, c.before, c.after) for c in worse] == [("q5", 1, new_rank)]
    assert len(reasons) == 1 and "top 3" in reasons[0] and "q5" in reasons[0]


def test_rank_one_to_three_within_tolerance_passes_but_is_listed():
    after = [list(r) for r in SAME]
    after[2] = ["a", "b", "s2"]
    old, new, worse, reasons = compare_ranks(SAME, after, QUERIES, GateSettings(tolerance=0.05))
    assert reasons == [] and [(c.before, c.after) for c in worse] == [(1, 3)]
    assert new["mrr@10"] < old["mrr@10"]


def test_metric_drop_beyond_tolerance_refuses_even_without_rank_one_losses():
    before = [["x", f"s{i}"] for i in range(20)]  # every query at rank 2
    after = [["x", "y", "z", "w", f"s{i}"] if i < 6 else before[i] for i in range(20)]
    _, _, worse, reasons = compare_ranks(before, after, QUERIES, GateSettings(tolerance=0.02))
    assert len(worse) == 6 and all(c.before == 2 and c.after == 5 for c in worse)
    assert any(r.startswith("mrr@10 dropped") for r in reasons)
    _, _, _, loose = compare_ranks(before, after, QUERIES, GateSettings(tolerance=0.2))
    assert loose == []


def test_improvements_are_not_worse():
    before = [["x", "y", f"s{i}"] for i in range(20)]
    _, _, worse, reasons = compare_ranks(before, SAME, QUERIES)
    assert worse == [] and reasons == []


@pytest.mark.parametrize("bad", [{"tolerance": -0.1}, {"tolerance": 1.5}, {"keep_top": 0}])
def test_settings_out_of_range_are_refused(bad):
    with pytest.raises(ConfigError):
        GateSettings(**bad)


# -- the build ------------------------------------------------------------------------------


@pytest.fixture
def gated(tmp_path, encoder):
    """(articles, index, eval file) with the tiny corpus built through the gate."""
    articles = write_articles(tmp_path / "articles", TINY)
    index, queries = tmp_path / "index", eval_file(tmp_path / "eval.jsonl")
    report, result = gated_build(articles, index, queries, encoder=encoder)
    assert result.live is None and result.published and not report.held
    return articles, index, queries


def test_a_worse_version_is_kept_but_not_live(gated, encoder):
    articles, index, queries = gated
    live = versions.current_version(index)
    (articles / "withdrawals/withdrawal-time.md").unlink()  # an eval query loses its answer
    report, result = gated_build(articles, index, queries, encoder=encoder)
    assert report.held and not result.passed and not result.published
    assert versions.current_version(index) == live
    assert versions.held_versions(index) == [report.version]
    assert [(c.query, c.before, c.after) for c in result.worse] == [("提现多久到账", 1, None)]
    assert any("rank 1 -> -  提现多久到账" in line for line in result.lines())


def test_force_publish_publishes_and_notes_it_in_history(gated, encoder):
    articles, index, queries = gated
    live = versions.current_version(index)
    (articles / "contact/contact-support.md").unlink()
    report, result = gated_build(articles, index, queries, encoder=encoder, force_publish=True)
    assert result.forced and result.published and not report.held
    assert versions.current_version(index) == report.version != live
    last = history.read(index)[-1]
    assert last.action == "publish" and last.old == live and "eval gate" in last.note
    assert "联系客服" in last.note or "top 3" in last.note
    assert versions.rollback(index) == (report.version, live)  # a forced publish rolls back


def test_a_harmless_change_passes(gated, encoder):
    articles, index, queries = gated
    write_articles(articles, {"new/limits.md": "---\ntitle: 转账限额\n---\n每日转账限额五万元。\n"})
    report, result = gated_build(articles, index, queries, encoder=encoder)
    assert result.passed and result.published and versions.current_version(index) == report.version
    assert result.before["recall@5"] == result.after["recall@5"] == 1.0


def test_nothing_changed_builds_nothing(gated, encoder):
    articles, index, queries = gated
    report, result = gated_build(articles, index, queries, encoder=encoder)
    assert result is None and not report.published


def test_a_bad_query_file_costs_no_build(gated, encoder, tmp_path):
    articles, index, _ = gated
    before = versions.versions(index)
    (articles / "contact/contact-support.md").unlink()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n', encoding="utf-8")
    with pytest.raises(QueryFileError):
        gated_build(articles, index, bad, encoder=encoder)
    assert versions.versions(index) == before
    bad.write_text("\n", encoding="utf-8")  # a gate over no queries would pass any build
    with pytest.raises(QueryFileError, match="no queries in the file"):
        gated_build(articles, index, bad, encoder=encoder)
    assert versions.versions(index) == before


def test_publishing_a_held_version_refuses_when_live_changed(gated, encoder):
    articles, index, queries = gated
    live = versions.current_version(index)
    (articles / "withdrawals/withdrawal-fees.md").unlink()
    report, _ = gated_build(articles, index, queries, encoder=encoder)
    assert report.held
    with pytest.raises(IndexStateError, match="changed"):
        versions.publish_held(index, report.version, "v20000101T000000000000Z-0000")
    assert versions.current_version(index) == live
    assert versions.publish_held(index, report.version, live, "after preview") == live
    assert versions.current_version(index) == report.version
    assert versions.held_versions(index) == []


def test_pruning_keeps_a_held_version(gated, encoder):
    articles, index, queries = gated
    for i in range(6):  # fill the rollback stack past KEEP_VERSIONS
        write_articles(articles, {f"new/a{i}.md": f"---\ntitle: 新文章 {i}\n---\n正文 {i}。\n"})
        gated_build(articles, index, queries, encoder=encoder)
    (articles / "withdrawals/withdrawal-time.md").unlink()
    report, _ = gated_build(articles, index, queries, encoder=encoder)
    assert report.held and report.version in versions.versions(index)


def test_cli_gate_exits_3_and_lists_worse_queries(gated, capsys, monkeypatch):
    articles, index, queries = gated
    monkeypatch.setenv("KB_ENCODER", "hash:64")
    (articles / "payments/payment-failed-en.md").unlink()
    args = ["build", "--gate", "--articles", str(articles), "--index", str(index)]
    code = main([*args, "--queries", str(queries), "--encoder", "hash:64"])
    out = capsys.readouterr().out
    assert code == 3 and "kept, NOT live" in out and "payment failed" in out
    assert "--force-publish" in out


@pytest.mark.parametrize("tolerance", ["5%", "-0.1", "1.5", "nan"])
def test_cli_tolerance_out_of_range_is_a_usage_error(tmp_path, capsys, tolerance):
    with pytest.raises(SystemExit) as exc:
        main(["build", "--gate", "--index", str(tmp_path), "--tolerance", tolerance])
    assert exc.value.code == 1 and "--tolerance" in capsys.readouterr().err


def test_a_held_version_is_the_last_fallback(gated, encoder):
    articles, index, queries = gated
    first = versions.current_version(index)
    write_articles(articles, {"new/x.md": "---\ntitle: 转账限额\n---\n每日转账限额五万元。\n"})
    second, _ = gated_build(articles, index, queries, encoder=encoder)
    (articles / "withdrawals/withdrawal-time.md").unlink()
    held, _ = gated_build(articles, index, queries, encoder=encoder)
    assert held.held
    versions.rollback(index)  # `first` is live; `second` was rolled back from
    assert versions.fallback_order(index) == [first, second.version, held.version]
