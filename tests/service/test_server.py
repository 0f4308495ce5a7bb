"""`kb serve` for real: uvicorn worker processes on loopback. Two workers share the index and
their metrics and both follow a rebuild; idle connections, a slow client, a client that hangs up
and a 1 MB body do not stop the service answering others. Every loop is bounded in count and
time."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from urllib.parse import quote, urlsplit

import pytest

from kb import build_index
from kb.testing import write_articles
from kb.testing.servers import running_service
from tests.service.test_live import NEW

ENV = {"KB_ENCODER": "hash:64", "KB_SERVICE_RATE_LIMIT": "off", "KB_MIN_SCORE": "0.3"}


def get(url: str, path: str, headers: dict | None = None, timeout: float = 10.0):
    """(status, headers, JSON body) of one GET on a new connection."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        kind = response.getheader("content-type", "")
        return (
            response.status,
            dict(response.getheaders()),
            (json.loads(body) if "json" in kind else body.decode("utf-8", "replace")),
        )
    finally:
        conn.close()


def search(url: str, q: str) -> dict:
    status, _, body = get(url, f"/v1/search?q={quote(q)}")
    assert status == 200, body
    return body


@pytest.fixture
def tiny_index(service, tmp_path, monkeypatch):
    monkeypatch.setenv("KB_ANALYTICS_DB", str(tmp_path / "analytics.sqlite"))
    return service


def test_two_workers_share_metrics_and_both_follow_a_rebuild(tiny_index, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**ENV, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with running_service(tiny_index.index, workers=2, env=env) as url:
        old = search(url, "提现")["version"]
        for _ in range(40):
            assert search(url, "提现多久到账")["answers"][0]["slug"] == "withdrawal-time"
        pids = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in metrics_dir.glob("*.db")}
        assert len(pids) == 2, pids  # both workers answered (one counter file per process)
        _, _, text = get(url, "/metrics")
        ok = 'kb_http_requests_total{method="GET",route="/v1/search",status="200"}'
        count = float(next(line for line in text.splitlines() if line.startswith(ok)).split()[-1])
        assert count == 41  # every worker's requests, whichever worker answers /metrics
        write_articles(tiny_index.articles, NEW)
        new = build_index(tiny_index.articles, tiny_index.index, encoder="hash:64").version
        versions = [search(url, "虚拟卡怎么申请") for _ in range(20)]
        assert {v["version"] for v in versions} == {new} != {old}  # no worker kept the old one
        assert all(v["answers"][0]["slug"] == "virtual-card" for v in versions)


def _slow_request(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(b"GET /v1/search?q=%E6%8F%90%E7%8E%B0 HTTP/1.1\r\nHost: x\r\n")  # not finished
    return sock


def test_idle_slow_hung_up_and_huge_clients_do_not_stop_others(tiny_index):
    with running_service(tiny_index.index, workers=1, env=ENV) as url:
        parts = urlsplit(url)
        address = (parts.hostname, parts.port)
        idle = [socket.create_connection(address, timeout=5) for _ in range(200)]
        slow = _slow_request(address)
        for _ in range(5):  # clients that send a search and hang up before the answer
            with socket.create_connection(address, timeout=5) as gone:
                gone.sendall(b"GET /v1/search?q=x HTTP/1.1\r\nHost: x\r\n\r\n")
        big = socket.create_connection(address, timeout=10)
        big.sendall(
            b"POST /v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1048576\r\n\r\n" + b"x" * 65536
        )
        big_answer = big.recv(4096)
        assert big_answer.startswith(b"HTTP/1.1 413"), big_answer[:200]
        started = time.monotonic()
        for i in range(20):
            slow.sendall(b"X" if i % 2 else b"-")  # one byte at a time, still unfinished
            assert search(url, "提现多久到账")["answers"][0]["slug"] == "withdrawal-time"
        assert time.monotonic() - started < 20
        slow.sendall(b"-Slow: 1\r\n\r\n")
        assert slow.recv(200).startswith(b"HTTP/1.1 200")
        for sock in [*idle, slow, big]:
            sock.close()
        assert get(url, "/v1/health")[0] == 200
