"""Warn when a FAQ row's id changes for the same question (issue 13 item 4): the rows about to be
built against the live version's, matched by kb/ingest/ids.py `id_changes`. Used by `kb build` and
`kb validate` (kb/cli.py) and the editor page's rebuild (kb/app/improve.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import Problem
from ..index import IndexStore, open_store
from ..ingest.ids import TABLE_FILE_RE, FaqEntry, faq_entry, id_changes
from ..ingest.loader import table_entries

LOG = logging.getLogger(__name__)


def live_entries(store: IndexStore, skip: set[str] = frozenset()) -> tuple[list[FaqEntry], set]:
    """(the FAQ rows of `store`'s live version: every article from a .csv, .xlsx or .jsonl source
    whose id is not in `skip`, read back with its sections; every id of that version), or
    ([], set()) when nothing is live."""
    if store.live_manifest() is None:
        return [], set()
    catalog = store.catalog(store.live_version())
    sources = catalog.table.column("source").to_pylist()
    slugs = catalog.table.column("slug").to_pylist()
    rows = [
        row
        for row, (slug, source) in enumerate(zip(slugs, sources, strict=True))
        if slug not in skip and TABLE_FILE_RE.fullmatch(source or "")
    ]
    views = (catalog.view(row) for row in rows)
    entries = (faq_entry(v.slug, v.title, v.source, v.sections) for v in views)
    return [e for e in entries if e is not None], set(slugs)


def id_warnings(articles: str | Path, index: str | Path | IndexStore) -> list[Problem]:
    """Warnings (Problems, `file[sheet]:row: the id of "..." changed from X to Y ...`) for the FAQ
    rows under `articles` whose id replaced the live version's id of the same question in `index`;
    [] without a live version. Never raises for the index: a check that only warns must not stop
    a build, so an index that cannot be read (damaged, another format, a database that does not
    answer) gives [] with a warning on the `kb.curation.ids` logger; the build then reports it."""
    try:  # the build's source cache (kb/ingest/sourcecache.py), only beside a live version
        store = open_store(index)
        cache_dir = store.cache_dir if store.live_manifest() is not None else None
    except Exception:  # warn-only, like below
        cache_dir = None
    now = table_entries(articles, cache_dir)
    if not now:
        return []
    try:
        before, ids = live_entries(open_store(index), skip={e.id for e in now})
    except Exception as exc:  # warn-only: the build reports the index's own errors itself
        LOG.warning("FAQ id check skipped: the live version cannot be read (%s)", exc)
        return []
    return id_changes(before, now, ids)
