"""Locust users for scripts/bench_load.py, which runs them as
`locust -f scripts/load_users.py --headless --host http://127.0.0.1:PORT ...` (loopback only).

Each user searches without pause, one question at a time from the query list, as a widget does
while typing (`analytics=false`). Settings, from the environment bench_load.py sets:

    BENCH_QUERIES  JSON file with the list of questions
    BENCH_TIMES    file to write every request's latency to (JSON list of seconds) at the end
    BENCH_INDEX    index folder; with it every answer is checked: status below 500, only public
                   articles, and every answered slug in the public partition of the version the
                   answer names (one complete version). A failed check is a Locust failure
                   named after its kind; each version seen is counted as a "VERSION" entry.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task

QUERIES = json.loads(Path(os.environ["BENCH_QUERIES"]).read_text(encoding="utf-8"))
INDEX = Path(os.environ["BENCH_INDEX"]) if os.environ.get("BENCH_INDEX") else None
TIMES: list[float] = []
_public: dict[str, set[str]] = {}


def public_slugs(version: str) -> set[str]:
    """Slugs of the public partition of `version` (read once per version)."""
    if version not in _public:
        from kb.testing.concurrency import public_slugs as read

        _public[version] = read(INDEX, version)
    return _public[version]


def problem(body: dict) -> str | None:
    """What is wrong with one search answer, or None."""
    answers = body.get("answers", [])
    if any(a.get("visibility") != "public" for a in answers):
        return "internal answer for a public request"
    try:
        slugs = public_slugs(body["version"])
    except Exception:  # a version that cannot be read is itself a finding
        return "answer names a version that cannot be read"
    if not {a["slug"] for a in answers} <= slugs:
        return "answer not from the one version it names"
    return None


class Searcher(FastHttpUser):
    """Searches one random question after another (no think time)."""

    wait_time = constant(0)

    @task
    def search(self) -> None:
        """GET /v1/search?q=...&top_k=10&analytics=false, checked when BENCH_INDEX is set."""
        query = urlencode({"q": random.choice(QUERIES), "top_k": 10, "analytics": "false"})
        started = time.perf_counter()
        with self.client.get(
            f"/v1/search?{query}", name="/v1/search", catch_response=True
        ) as response:
            TIMES.append(time.perf_counter() - started)
            if response.status_code >= 500:
                response.failure(f"5xx: {response.status_code}")
                return
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            if INDEX is None:
                return
            body = response.json()
            found = problem(body)
            if found:
                response.failure(found)
                return
            self.environment.events.request.fire(
                request_type="VERSION",
                name=body["version"],
                response_time=0,
                response_length=0,
                exception=None,
                context={},
            )


@events.quitting.add_listener
def _write_times(environment, **kwargs) -> None:
    path = os.environ.get("BENCH_TIMES")
    if path:
        Path(path).write_text(json.dumps(TIMES), encoding="utf-8")
