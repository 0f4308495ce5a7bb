"""A searcher that follows the live index: after a rebuild or rollback switches CURRENT, the next
search is answered by the new version, without restarting the process.

Each search reads CURRENT (one small file); when it names another version, a new Searcher is loaded
while the old one keeps answering, then swapped in. A search always runs on one complete version.
When the new version cannot be loaded (built with another encoder, damaged), the loaded one keeps
answering: the failure is logged once per version and the load retried at most every
RETRY_SECONDS, so a bad switch costs neither errors nor a reload attempt per search.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ..embed import Encoder, make_encoder
from ..errors import KBError
from ..index import IndexStore, open_store
from ..options import Role, SearchSettings
from .searcher import Answer, Searcher, load_searcher

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # a live version that failed to load is tried again after this long


class LiveSearcher:
    """The `Searcher` of whichever version is live, reloaded when CURRENT moves. Thread-safe.

    Raises what `load_searcher` raises at construction. Afterwards a reload that fails keeps the
    searcher it has (logged once per version; retried after RETRY_SECONDS, or at once when CURRENT
    moves again); `failed` names the version that could not be loaded, None when all is well."""

    def __init__(
        self,
        index_dir: str | Path | IndexStore = "index",
        role: Role | str = Role.PUBLIC,
        encoder: str | Encoder | None = None,
        settings: SearchSettings = SearchSettings(),
    ):
        self.store = open_store(index_dir)
        self.role = role
        self.encoder = (
            make_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder
        )
        self.settings = settings
        self._lock = threading.Lock()
        self._searcher = load_searcher(self.store, role, self.encoder, settings)
        self.reloads = 0
        self.failed: str | None = None  # the live version that could not be loaded
        self._retry_at = 0.0  # time.monotonic() before which `failed` is not tried again
        self._unreadable = ""  # the last problem reading the live version's name, logged once

    def current(self) -> Searcher:
        """The searcher for the live version, loaded first if CURRENT moved (one thread loads, the
        others wait for it). Keeps the current searcher when the live version's name cannot be
        read, when it names the damaged version this one stands in for, and when loading it fails
        (any error; logged once, retried after RETRY_SECONDS). Never raises."""
        searcher = self._searcher
        try:
            live = self.store.live_version()
        except Exception as exc:  # no version left to name: keep serving what we have
            if str(exc) != self._unreadable:
                self._unreadable = str(exc)
                log.warning("cannot read the live version (%s); serving %s", exc, searcher.version)
            return searcher
        if live in (searcher.version, searcher.index.fallback_from) or self._waiting(live):
            return searcher
        with self._lock:
            if self._searcher is not searcher or self._waiting(live):
                return self._searcher
            try:
                self._searcher = load_searcher(self.store, self.role, self.encoder, self.settings)
            except Exception as exc:  # the old searcher still works: serve it, try again later
                self._failed(live, exc, searcher.version)
                return searcher
            self.reloads += 1
            self.failed = None
            log.info("now serving %s (was %s)", self._searcher.version, searcher.version)
            return self._searcher

    def _waiting(self, live: str) -> bool:
        """Whether `live` failed to load less than RETRY_SECONDS ago."""
        return live == self.failed and time.monotonic() < self._retry_at

    def _failed(self, live: str, exc: Exception, serving: str) -> None:
        """Note a failed load of `live`, logging it the first time (a traceback only for what is
        not a KBError: that is a bug, not a state of the index)."""
        if live != self.failed:
            log.error(
                "cannot load index version %s (%s); still serving %s, retrying every %.0f s",
                live,
                exc,
                serving,
                RETRY_SECONDS,
                exc_info=not isinstance(exc, KBError),
            )
        self.failed, self._retry_at = live, time.monotonic() + RETRY_SECONDS

    def search(self, query: str, top_k: int = 10, **kwargs) -> list[Answer]:
        """`Searcher.search` on the live version."""
        return self.current().search(query, top_k=top_k, **kwargs)

    @property
    def version(self) -> str:
        """The version being served (as of the last `current`, so it may lag CURRENT until the
        next search)."""
        return self._searcher.version
