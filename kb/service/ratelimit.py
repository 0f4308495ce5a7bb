"""Per-client rate limits on the `limits` library (moving window, in-process memory).

Each worker process counts its own requests, so with N workers a client can get up to N times
the limit when its connections land on different workers (docs/SERVICE.md); a shared store
(`limits` supports Redis and Memcached) would make it exact across workers.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimit:
    """One set of limits (e.g. 20/second and 300/minute) counted per key (a client address).

    `retry_after(key)` says whether one more request fits; `hit(key)` counts one. Callers test
    first and count only what they let through, so a client that waits Retry-After gets in. No
    limits (`items` empty) allows everything. Called from the event loop only (one thread)."""

    def __init__(self, items: list[RateLimitItem], namespace: str):
        self.items = items
        self.namespace = namespace
        self._limiter = MovingWindowRateLimiter(MemoryStorage()) if items else None

    def retry_after(self, key: str) -> int:
        """0 when one more request from `key` fits every limit, else the whole seconds (>= 1)
        until it would: the Retry-After value. Counts nothing."""
        if self._limiter is None:
            return 0
        for item in self.items:
            if not self._limiter.test(item, self.namespace, key):
                reset = self._limiter.get_window_stats(item, self.namespace, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return 0

    def hit(self, key: str) -> None:
        """Count one request from `key` against every limit."""
        if self._limiter is not None:
            for item in self.items:
                self._limiter.hit(item, self.namespace, key)

    def describe(self) -> str:
        """The limits as text ("20 per 1 second, 300 per 1 minute"), for messages."""
        return ", ".join(str(item) for item in self.items)
