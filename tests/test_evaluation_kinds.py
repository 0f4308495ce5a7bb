"""`kb eval` per kind and hubness (issue 17: targets per kind, hub articles measured)."""

from __future__ import annotations

import json

from kb.cli import main
from kb.evaluation import Query, evaluate, format_table, hubness, load_queries


class Fixed:
    """A searcher stand-in returning fixed slugs per query text."""

    def __init__(self, ranked: dict[str, list[str]]):
        self.ranked = ranked

    def search(self, text, top_k=10, mode=None):
        return [type("A", (), {"slug": s})() for s in self.ranked[text][:top_k]]


def test_hubness_counts_top3_places_in_queries_an_article_does_not_answer():
    ranked = [["hub", "a", "x"], ["b", "hub", "y"], ["hub", "c", "z"], ["d", "e", "hub"]]
    relevant = [("a",), ("b",), ("hub",), ("d",)]
    result = hubness(ranked, relevant, k=3)
    assert result["worst"][0] == ["hub", 3, 0.75]  # query 3 is its own: not counted
    assert result["share"] == round(8 / 12, 4)
    assert hubness(ranked, relevant, k=1)["worst"] == [["hub", 1, 0.25]]
    assert hubness([], [], 3)["share"] == 0.0
    # 8 wrong places: hub 3, x, y, c, z and e 1 each; the 5 worst take 3 + 4 of them
    assert result["concentration"] == round(7 / 8, 4)
    assert hubness([["a", "b"]], [("a",)], k=2)["concentration"] == 1.0
    assert hubness([["a"]], [("a",)], k=1)["concentration"] == 0.0  # nothing wrong


def test_figures_per_kind_and_the_table_lists_them():
    queries = [
        Query("q1", ("a",), "en", "english"),
        Query("q2", ("b",), "en", "english"),
        Query("q3", ("c",), "zh", "pinyin"),
        Query("q4", ("d",), "zh"),
    ]
    searcher = Fixed({"q1": ["a", "hub"], "q2": ["hub", "b"], "q3": ["hub", "x"], "q4": ["d"]})
    result = evaluate(searcher, queries)
    kinds = result["by_kind"]
    assert set(kinds) == {"english", "pinyin", "unknown"}
    assert kinds["english"]["recall@1"] == 0.5 and kinds["english"]["mrr@10"] == 0.75
    assert kinds["pinyin"]["recall@5"] == 0.0
    assert result["hubness"]["worst"][0][:2] == ["hub", 3]
    table = format_table(result)
    assert "kind english" in table and "kind pinyin" in table and "hubness:" in table
    assert "hub 3" in table


def test_kind_is_read_from_the_query_file(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"query": "refund", "relevant": ["a"], "lang": "en", "kind": "english"},
        {"query": "x", "relevant": ["a"]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [q.kind for q in load_queries(path)] == ["english", ""]


def test_cli_eval_prints_kinds_and_hubness(built, tmp_path, capsys, monkeypatch):
    _, index_dir, encoder = built
    path = tmp_path / "q.jsonl"
    rows = [
        {"query": "忘记密码", "relevant": ["forgot-password"], "kind": "question"},
        {"query": "card declined", "relevant": ["payment-failed-en"], "kind": "english"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    from kb import load_searcher

    monkeypatch.setattr(
        "kb.cli.load_searcher", lambda *a, **k: load_searcher(index_dir, "public", encoder=encoder)
    )
    assert main(["eval", "--queries", str(path), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "kind english" in out and "kind question" in out and "hubness:" in out
    assert "the 5 most frequent take" in out
