"""The gate refuses an eval file naming articles the new version lacks; `kb eval` warns of them;
`--force-publish` without `--gate` is a usage error (issue 13 item 10)."""

from __future__ import annotations

import pytest

from kb.cli import main
from kb.curation import gated_build
from kb.evaluation import Query, load_queries, unknown_slugs
from kb.index import versions
from kb.testing import write_articles

from .test_gate import EVAL, eval_file, gated  # noqa: F401  (the fixture)

KNOWN = {"a", "b"}


@pytest.mark.parametrize(
    "pairs, bad",
    [
        ([("密码", "missing-one")], ["missing-one"]),
        ([("x", "a"), ("y", "nope"), ("z", "b")], ["nope"]),
        ([("q", "typo-slug"), ("r", "Typo-Slug")], ["typo-slug", "Typo-Slug"]),
    ],
)
def test_unknown_slugs_names_the_file_lines_and_slugs(tmp_path, pairs, bad):
    path = eval_file(tmp_path / "eval.jsonl", pairs)
    message = unknown_slugs(load_queries(path), KNOWN, path)
    assert str(path) in message and all(slug in message for slug in bad)
    lines = [str(i) for i, (_, slug) in enumerate(pairs, start=1) if slug not in KNOWN]
    assert f"line(s) {', '.join(lines)} " in message and "fix" in message


def test_many_unknown_slugs_are_cut_short_with_a_count():
    queries = [Query(f"q{i}", (f"gone-{i}",), line=i + 1) for i in range(12)]
    message = unknown_slugs(queries, KNOWN, "eval.jsonl")
    assert "gone-0" in message and "gone-11" not in message and "and 7 more" in message


def test_known_slugs_give_no_message():
    assert unknown_slugs([Query("q", ("a",)), Query("r", ("b", "a"))], KNOWN) is None


@pytest.mark.parametrize("slug", ["no-such-article", "forgot-passwrd"])
def test_an_eval_file_of_unknown_slugs_is_refused_not_passed(gated, encoder, slug):  # noqa: F811
    articles, index, _ = gated
    live = versions.current_version(index)
    queries = eval_file(articles.parent / "bad.jsonl", [*EVAL, ("某个问题", slug)])
    write_articles(articles, {"new/x.md": "---\ntitle: 转账限额\n---\n每日转账限额五万元。\n"})
    report, result = gated_build(articles, index, queries, encoder=encoder)
    assert not result.passed and report.held and versions.current_version(index) == live
    assert any(slug in r and f"{queries}: line(s) 6 " in r for r in result.reasons)


def test_kb_eval_warns_of_unknown_slugs(gated, capsys, monkeypatch):  # noqa: F811
    articles, index, _ = gated
    monkeypatch.setenv("KB_ENCODER", "hash:64")
    queries = eval_file(articles.parent / "bad.jsonl", [*EVAL, ("某个问题", "not-an-article")])
    code = main(["eval", "--index", str(index), "--queries", str(queries), "--json"])
    captured = capsys.readouterr()
    assert code == 0 and "warning:" in captured.err and "not-an-article" in captured.err
    assert "forgot-password" not in captured.err


def test_force_publish_without_gate_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["build", "--index", str(tmp_path / "index"), "--force-publish"])
    assert exc.value.code == 1 and "--gate" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def test_a_reason_survives_a_pickle_with_its_key_and_fields():
    import pickle

    reason = unknown_slugs([Query("q", ("gone",), line=3)], KNOWN, "e.jsonl")
    again = pickle.loads(pickle.dumps(reason))
    assert again == reason and again.key == "unknown" and again.fields["slugs"] == "gone"
