"""Prometheus metrics (prometheus-client) for GET /metrics.

    kb_http_requests_total{method,route,status}         requests answered
    kb_http_request_duration_seconds{method,route}      latency histogram (seconds)
    kb_http_errors_total{route,status}                  answers with status >= 400
    kb_http_requests_in_flight                          requests being served
    kb_searches_total{role,good_match}                  searches answered
    kb_index_live_version_info{role,version}            1 for the version a worker serves

`route` is the route template (`/v1/articles/{slug}`), or `unmatched`, so a scan of random paths
cannot grow the label set. With several worker processes `kb serve` sets
PROMETHEUS_MULTIPROC_DIR and every worker's /metrics reads all workers' values (prometheus-client's
multiprocess mode); counters add up, the version gauge shows every version a live worker serves.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as multiprocess_mode

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics in their own registry (one per app, so several apps in one process,
    as in tests, do not collide). Safe from any thread (prometheus-client locks)."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` series: they double the output for nothing
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "kb_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "kb_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, in seconds",
            ["method", "route"],
            buckets=BUCKETS,
            registry=reg,
        )
        self.errors = Counter(
            "kb_http_errors", "Answers with status >= 400", ["route", "status"], registry=reg
        )
        self.in_flight = Gauge(
            "kb_http_requests_in_flight",
            "Requests being served",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.searches = Counter(
            "kb_searches", "Searches answered", ["role", "good_match"], registry=reg
        )
        self.version = Gauge(
            "kb_index_live_version_info",
            "1 for the index version this worker serves to the role",
            ["role", "version"],
            registry=reg,
            multiprocess_mode="livemax",
        )
        self._serving: dict[str, str] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency (seconds); errors when status >= 400."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 400:
            self.errors.labels(route, str(status)).inc()

    def serving(self, role: str, version: str) -> None:
        """Record that this worker now answers `role` from `version` (the old one drops to 0)."""
        old = self._serving.get(role)
        if old == version:
            return
        if old is not None:
            self.version.labels(role, old).set(0)
        self.version.labels(role, version).set(1)
        self._serving[role] = version

    def render(self) -> tuple[bytes, str]:
        """(body, content type) of the text exposition format: this registry, or in
        multiprocess mode every worker's values."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            multiprocess_mode.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def worker_exit(pid: int) -> None:
    """Drop a stopped worker's live gauges (multiprocess mode only; a no-op otherwise)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess_mode.mark_process_dead(pid)
