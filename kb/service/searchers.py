"""One `LiveSearcher` per role for a worker process, loaded when first needed.

The public searcher reads the `public` partition only (no internal text in memory). The agent
searcher (the `all` partition) is created on the first request that carries a valid agent or
editor key, never before, so a worker that only serves customers never loads internal data.
Each LiveSearcher follows CURRENT: after a rebuild or rollback the next request is answered by
the new version, without a restart. A failed load (no index yet, a damaged one) raises from the
request that asked and is tried again by the next one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..embed import Encoder
from ..options import Role, SearchSettings
from ..retrieval import LiveSearcher, Searcher


class Searchers:
    """Lazily created LiveSearchers by role over the index at `index`, sharing one `encoder`
    (a spec or an Encoder; make_encoder loads a spec once per process). Thread-safe."""

    def __init__(
        self, index: Path | str, encoder: str | Encoder, settings: SearchSettings = SearchSettings()
    ):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self._live: dict[Role, LiveSearcher] = {}
        self._lock = threading.Lock()
        self._categories: dict[tuple[Role, str], frozenset[str]] = {}

    def get(self, role: Role) -> Searcher:
        """The searcher of the live version for `role` (Role.PUBLIC or Role.AGENT): a Searcher is
        one loaded version, so everything answered from it comes from that version. Raises what
        LiveSearcher raises (IndexNotFoundError, CorruptIndexError, EncoderMismatchError,
        ConfigError)."""
        live = self._live.get(role)
        if live is None:
            with self._lock:
                live = self._live.get(role)
                if live is None:
                    live = LiveSearcher(self.index, role, self.encoder, self.settings)
                    self._live[role] = live
        return live.current()

    def versions(self) -> dict[str, str]:
        """Role value -> the version its searcher serves, for the roles loaded in this process
        (as of their last search; nothing is loaded or reloaded here)."""
        return {role.value: live.version for role, live in sorted(self._live.items())}

    def categories(self, role: Role, searcher: Searcher) -> frozenset[str]:
        """The categories of `searcher`'s articles, read once per (role, version)."""
        key = (role, searcher.version)
        if key not in self._categories:
            self._categories = {key: frozenset(searcher.categories())} | {
                k: v for k, v in self._categories.items() if k[0] != role
            }
        return self._categories[key]
