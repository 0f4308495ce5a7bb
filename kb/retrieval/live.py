"""A searcher that follows the live index: after a rebuild or rollback switches CURRENT, the next
search is answered by the new version, without restarting the process.

Each search reads CURRENT (one small file); when it names another version, a new Searcher is loaded
while the old one keeps answering, then swapped in. A search always runs on one complete version.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..embed import Encoder, make_encoder
from ..index import IndexStore, open_store
from ..options import Role, SearchSettings
from .searcher import Answer, Searcher, load_searcher

log = logging.getLogger(__name__)


class LiveSearcher:
    """The `Searcher` of whichever version is live, reloaded when CURRENT moves. Thread-safe.

    Raises what `load_searcher` raises at construction. Afterwards a reload that fails raises from
    the search that asked for it and keeps the searcher it has; the next search tries again."""

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

    def current(self) -> Searcher:
        """The searcher for the live version, loaded first if CURRENT moved (one thread loads, the
        others wait for it). Keeps the current searcher when CURRENT cannot be read, or when it
        names the damaged version this one stands in for; a failed load raises what
        `load_searcher` raises, and the old searcher stays."""
        searcher = self._searcher
        try:
            live = self.store.live_version()
        except Exception as exc:  # CURRENT unreadable for a moment: keep serving what we have
            log.warning("cannot read the live version (%s); serving %s", exc, searcher.version)
            return searcher
        if live == searcher.version or live == searcher.index.fallback_from:
            return searcher
        with self._lock:
            if self._searcher.version == searcher.version:
                self._searcher = load_searcher(self.store, self.role, self.encoder, self.settings)
                self.reloads += 1
                log.info("now serving %s (was %s)", self._searcher.version, searcher.version)
            return self._searcher

    def search(self, query: str, top_k: int = 10, **kwargs) -> list[Answer]:
        """`Searcher.search` on the live version."""
        return self.current().search(query, top_k=top_k, **kwargs)

    @property
    def version(self) -> str:
        """The version being served (as of the last `current`, so it may lag CURRENT until the
        next search)."""
        return self._searcher.version
