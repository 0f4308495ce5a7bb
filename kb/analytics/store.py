"""The analytics store: the SQLite log of searches and feedback, its retention and size cap, the
one-time masking migration, failure accounting, and the editor reports (policies in
kb/analytics/__init__.py)."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kb.config import Config
from kb.errors import ConfigError, KBError

from .privacy import mask_personal_data

MAX_QUERY_CHARS = 500
BUSY_TIMEOUT_S = 2.0  # a write waits this long for a lock before it is counted as failed
PRUNE_EVERY = 100  # writes between two retention and size-cap passes
SCHEMA_VERSION = 1  # PRAGMA user_version: 1 = queries are masked
TABLES = ("searches", "feedback")
LOG = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, query TEXT NOT NULL,
    query_key TEXT NOT NULL, role TEXT NOT NULL, results INTEGER NOT NULL, top_slug TEXT,
    good_match INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, query TEXT NOT NULL,
    query_key TEXT NOT NULL, slug TEXT NOT NULL, helpful INTEGER NOT NULL, role TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS searches_day ON searches(day);
CREATE INDEX IF NOT EXISTS feedback_day ON feedback(day);
"""

DAMAGED_FIX = (
    "move it and its -wal and -shm files aside (a new one is started), or restore a backup"
)
# (SQLite error name prefix, kind, what to do); OSError (the folder) is "folder"
CAUSES = [
    ("SQLITE_BUSY", "locked", "another process holds its lock; it clears when that one finishes"),
    ("SQLITE_LOCKED", "locked", "another connection holds its lock; it clears when that finishes"),
    ("SQLITE_NOTADB", "damaged", DAMAGED_FIX),
    ("SQLITE_CORRUPT", "damaged", DAMAGED_FIX),
    ("SQLITE_FULL", "disk full", "free disk space, or lower KB_ANALYTICS_MAX_ROWS"),
    ("SQLITE_READONLY", "read-only", "give the app write access to the file and its folder"),
    (
        "SQLITE_CANTOPEN",
        "read-only",
        "give the app write access to the folder, or set KB_ANALYTICS_DB",
    ),
    ("SQLITE_PERM", "read-only", "give the app write access to the file and its folder"),
    ("SQLITE_IOERR", "i/o error", "check the disk (is it full?) and the file system"),
]
FOLDER_FIX = "create the folder with write access for the app, or set KB_ANALYTICS_DB elsewhere"


class AnalyticsError(KBError):
    """A report could not be read from the analytics database. The message names the file (its
    name and KB_ANALYTICS_DB, never the server path, as pages show it), the cause and the fix;
    `path` is the full path, which the log also names."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Failure:
    """How often one kind of failure happened since the store was created, and its last message
    (cause and fix, without the server path). `kind`: locked, damaged, disk full, read-only,
    i/o error, folder or other."""

    kind: str
    count: int
    message: str


def query_key(query: str) -> str:
    """Grouping key: the same question typed with other spacing, case or width counts once."""
    return " ".join(unicodedata.normalize("NFKC", query).lower().split())[:MAX_QUERY_CHARS]


def _whole(name: str, value: int, most: int = 10**12) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise ConfigError(f"Analytics: {name}={value!r} must be a whole number from 1 to {most}")
    return value


class Analytics:
    """The log and its reports, in the SQLite file at `path` (folders, tables, WAL mode and the
    masking migration are set up on first use, and again after a failure). Safe from any thread:
    every call opens its own connection (BUSY_TIMEOUT_S lock wait). Queries are masked, stripped
    and cut to MAX_QUERY_CHARS characters; times are UTC (ISO 8601, seconds); reports are pandas
    DataFrames. `retention_days` (1..36500), `max_rows`, `prune_every`: whole numbers >= 1, else
    ConfigError."""

    def __init__(
        self,
        path: str | Path,
        retention_days: int = Config.analytics_retention_days,
        max_rows: int = Config.analytics_max_rows,
        prune_every: int = PRUNE_EVERY,
    ):
        self.path = Path(path)
        self.retention_days = _whole("retention_days", retention_days, 36_500)
        self.max_rows = _whole("max_rows", max_rows)
        self.prune_every = _whole("prune_every", prune_every)
        self._lock = threading.Lock()
        self._ready = False
        self._writes = 0
        self._failures: dict[str, Failure] = {}

    # ---------------------------------------------------------------------------- plumbing

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        # WAL + NORMAL: no fsync per write (about 15 ms each); a power cut may lose the last
        # rows but never damages the file (sqlite.org/pragma.html#pragma_synchronous)
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _ensure(self) -> None:
        """Folder, tables, WAL and the masking migration, once (again after a failure)."""
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            with db:
                db.executescript(SCHEMA)
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                with db:
                    _mask_existing_rows(db)
        self._ready = True

    def _failed(self, exc: BaseException) -> str:
        """Count and describe a failure (cause and fix, no server path); log it with the path
        the first time its kind is seen (with the traceback when the kind is unknown)."""
        kind, fix = "other", "see the server log"
        if isinstance(exc, OSError):
            kind, fix = "folder", FOLDER_FIX
        name = getattr(exc, "sqlite_errorname", "") or ""
        kind, fix = next(((k, f) for p, k, f in CAUSES if name.startswith(p)), (kind, fix))
        cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        message = f"{kind}: {cause}; {fix}"
        with self._lock:
            self._ready = False
            seen = self._failures.get(kind)
            self._failures[kind] = Failure(kind, (seen.count if seen else 0) + 1, message)
        if seen is None:
            LOG.error(
                "analytics database %s: %s (logged once per kind, counted on the editor page)",
                self.path,
                message,
                exc_info=kind == "other",
            )
        return message

    def failures(self) -> list[Failure]:
        """Every kind of failure since this store was created, most frequent first."""
        with self._lock:
            return sorted(self._failures.values(), key=lambda f: -f.count)

    @staticmethod
    def _now() -> tuple[str, str]:
        now = dt.datetime.now(dt.UTC)
        return now.isoformat(timespec="seconds"), now.date().isoformat()

    # ------------------------------------------------------------------------------- writes

    def log_search(
        self, query: str, role: str, results: int, top_slug: str | None, good_match: bool
    ) -> None:
        """Record one search: its role, the number of answers, the top answer's slug (None when
        there is none) and whether it was a good match (`Searcher.good_match`). Never raises."""
        self._insert(
            "searches",
            query,
            role=role,
            results=results,
            top_slug=top_slug,
            good_match=int(good_match),
        )

    def log_feedback(self, query: str, slug: str, helpful: bool, role: str) -> None:
        """Record one helpful / unhelpful vote on the answer `slug` to `query`. Never raises."""
        self._insert("feedback", query, slug=slug, helpful=int(helpful), role=role)

    def _insert(self, table: str, query: str, **values: object) -> None:
        with self._lock:
            self._writes += 1
            prune = self._writes % self.prune_every == 1 or self.prune_every == 1
        try:
            ts, day = self._now()
            # mask a little beyond the cut, so a number across it is masked whole; lone
            # surrogate halves (which SQLite cannot store) become U+FFFD
            text = query.strip()[: MAX_QUERY_CHARS + 100]
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            masked = mask_personal_data(text)[:MAX_QUERY_CHARS]
            row = {"ts": ts, "day": day, "query": masked, "query_key": query_key(masked)}
            row.update(values)
            self._ensure()
            with closing(self._connect()) as db, db:
                db.execute(
                    f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    tuple(row.values()),
                )
                if prune:
                    self._prune(db)
        except Exception as exc:  # writes never raise (module docstring); unknown kinds are
            self._failed(exc)  # logged with their traceback

    def _prune(self, db: sqlite3.Connection) -> None:
        """Delete rows past the retention period, then the oldest rows beyond max_rows."""
        cutoff = (
            dt.datetime.now(dt.UTC).date() - dt.timedelta(days=self.retention_days)
        ).isoformat()
        for table in TABLES:
            db.execute(f"DELETE FROM {table} WHERE day < ?", (cutoff,))
            db.execute(
                f"DELETE FROM {table} WHERE id <= "
                f"(SELECT id FROM {table} ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (self.max_rows,),
            )

    # -------------------------------------------------------------------------------- reads

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        try:
            self._ensure()
            with closing(self._connect()) as db:
                cursor = db.execute(sql, params)
                columns = [d[0] for d in cursor.description]
                return pd.DataFrame(cursor.fetchall(), columns=columns)
        except (sqlite3.Error, OSError) as exc:
            cause = self._failed(exc)
            raise AnalyticsError(
                f"cannot read the analytics database {self.path.name} (KB_ANALYTICS_DB): {cause}",
                self.path,
            ) from None

    def _since(self, days: int) -> str:
        days = min(days, self.retention_days + 1)
        return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()

    def _window(self, days: int, role: str | None) -> tuple[str, tuple]:
        """The WHERE clause and parameters of a report: the last `days` days, and one role's
        rows (customers' "public" or support agents' "agent") unless `role` is None."""
        if role is None:
            return "day >= ?", (self._since(days),)
        return "day >= ? AND role = ?", (self._since(days), role)

    def _ranked(
        self,
        table: str,
        columns: str,
        where: str,
        group: str,
        order: str,
        days: int,
        limit: int,
        role: str | None,
    ) -> pd.DataFrame:
        window, params = self._window(days, role)
        return self._frame(
            f"SELECT MIN(query) AS query, {columns}, MAX(ts) AS last_seen FROM {table} "
            f"WHERE {window}{where} GROUP BY {group} ORDER BY {order} DESC, last_seen DESC LIMIT ?",
            (*params, limit),
        )

    def top_queries(
        self, days: int = 30, limit: int = 50, role: str | None = "public"
    ) -> pd.DataFrame:
        """The most asked questions of the last `days` UTC days, today included, one row per
        `query_key`: query (one of its spellings), searches, no_good_match, last_seen; most
        searched first, then most recent; at most `limit` rows. Every report counts one role
        (`role`: "public" = customers, the default; "agent"; None = both), so agents' searches
        do not mix into what customers ask. Raises AnalyticsError."""
        columns = "COUNT(*) AS searches, SUM(1 - good_match) AS no_good_match"
        return self._ranked("searches", columns, "", "query_key", "searches", days, limit, role)

    def no_match_queries(
        self, days: int = 30, limit: int = 50, role: str | None = "public"
    ) -> pd.DataFrame:
        """Like `top_queries`, counting only searches without a good match: query, searches,
        last_seen. Content gaps. Raises AnalyticsError."""
        where = " AND good_match = 0"
        return self._ranked(
            "searches", "COUNT(*) AS searches", where, "query_key", "searches", days, limit, role
        )

    def unhelpful_answers(
        self, days: int = 30, limit: int = 50, role: str | None = "public"
    ) -> pd.DataFrame:
        """Answers voted unhelpful in the last `days` days, one row per (query_key, slug): query,
        slug, unhelpful, last_seen; most votes first, then most recent; at most `limit` rows.
        Raises AnalyticsError."""
        columns, where = "slug, COUNT(*) AS unhelpful", " AND helpful = 0"
        return self._ranked(
            "feedback", columns, where, "query_key, slug", "unhelpful", days, limit, role
        )

    def per_day(self, days: int = 30, role: str | None = "public") -> pd.DataFrame:
        """One row per UTC day of the last `days` with a search or a vote, oldest first: day,
        searches, no_good_match, helpful, unhelpful (ints, 0 where a day has none). Raises
        AnalyticsError."""
        window, params = self._window(days, role)
        searches = self._frame(
            "SELECT day, COUNT(*) AS searches, SUM(1 - good_match) AS no_good_match "
            f"FROM searches WHERE {window} GROUP BY day",
            params,
        )
        feedback = self._frame(
            "SELECT day, SUM(helpful) AS helpful, SUM(1 - helpful) AS unhelpful "
            f"FROM feedback WHERE {window} GROUP BY day",
            params,
        )
        merged = searches.merge(feedback, on="day", how="outer").fillna(0)
        for column in ("searches", "no_good_match", "helpful", "unhelpful"):
            merged[column] = merged[column].astype(int)
        return merged.sort_values("day").reset_index(drop=True)

    def reports(self, days: int = 30, role: str | None = "public") -> dict[str, pd.DataFrame]:
        """The editor page's four reports by name, for one role: top queries, no good match,
        unhelpful answers, per day (each as above). Raises AnalyticsError."""
        return {
            "top queries": self.top_queries(days, role=role),
            "no good match": self.no_match_queries(days, role=role),
            "unhelpful answers": self.unhelpful_answers(days, role=role),
            "per day": self.per_day(days, role=role),
        }


def _mask_existing_rows(db: sqlite3.Connection) -> None:
    """The one-time migration to SCHEMA_VERSION: mask the stored queries of every table."""
    for table in TABLES:
        rows = db.execute(f"SELECT id, query FROM {table}").fetchall()
        changed = [(m, query_key(m), i) for i, q in rows if (m := mask_personal_data(q)) != q]
        db.executemany(f"UPDATE {table} SET query = ?, query_key = ? WHERE id = ?", changed)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
