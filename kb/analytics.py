"""Search analytics in a local SQLite file: what customers ask, what finds nothing, what they
mark unhelpful. Editors use it to find content gaps.

One short-lived connection per call keeps it safe across Streamlit's threads; WAL lets the app keep
writing while an editor reads a report.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from contextlib import closing
from pathlib import Path

import pandas as pd

MAX_QUERY_CHARS = 500

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


def query_key(query: str) -> str:
    """Grouping key: the same question typed with other spacing, case or width counts once."""
    return " ".join(unicodedata.normalize("NFKC", query).lower().split())[:MAX_QUERY_CHARS]


class Analytics:
    """The log and its reports, in the SQLite file at `path` (folders, tables and WAL mode set up
    at construction). Safe from any thread: every call opens its own connection (10 s busy
    timeout). Queries are kept stripped and cut to MAX_QUERY_CHARS characters; times are UTC
    (ISO 8601, seconds); reports are pandas DataFrames."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    @staticmethod
    def _now() -> tuple[str, str]:
        now = dt.datetime.now(dt.UTC)
        return now.isoformat(timespec="seconds"), now.date().isoformat()

    def log_search(
        self, query: str, role: str, results: int, top_slug: str | None, good_match: bool
    ) -> None:
        """Record one search: its role, the number of answers, the top answer's slug (None when
        there is none) and whether it was a good match (`Searcher.good_match`)."""
        self._insert(
            "searches",
            query,
            role=role,
            results=results,
            top_slug=top_slug,
            good_match=int(good_match),
        )

    def log_feedback(self, query: str, slug: str, helpful: bool, role: str) -> None:
        """Record one helpful / unhelpful vote on the answer `slug` to `query`."""
        self._insert("feedback", query, slug=slug, helpful=int(helpful), role=role)

    def _insert(self, table: str, query: str, **values: object) -> None:
        ts, day = self._now()
        row = {
            "ts": ts,
            "day": day,
            "query": query.strip()[:MAX_QUERY_CHARS],
            "query_key": query_key(query),
            **values,
        }
        with closing(self._connect()) as db, db:
            db.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with closing(self._connect()) as db:
            return pd.read_sql_query(sql, db, params=params)

    def _since(self, days: int) -> str:
        return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()

    def _ranked(
        self, table: str, columns: str, where: str, group: str, order: str, days: int, limit: int
    ) -> pd.DataFrame:
        return self._frame(
            f"SELECT MIN(query) AS query, {columns}, MAX(ts) AS last_seen FROM {table} "
            f"WHERE day >= ?{where} GROUP BY {group} ORDER BY {order} DESC, last_seen DESC LIMIT ?",
            (self._since(days), limit),
        )

    def top_queries(self, days: int = 30, limit: int = 50) -> pd.DataFrame:
        """The most asked questions of the last `days` UTC days, today included, one row per
        `query_key`: query (one of its spellings), searches, no_good_match, last_seen; most
        searched first, then most recent; at most `limit` rows."""
        columns = "COUNT(*) AS searches, SUM(1 - good_match) AS no_good_match"
        return self._ranked("searches", columns, "", "query_key", "searches", days, limit)

    def no_match_queries(self, days: int = 30, limit: int = 50) -> pd.DataFrame:
        """Like `top_queries`, counting only searches without a good match: query, searches,
        last_seen. Content gaps."""
        where = " AND good_match = 0"
        return self._ranked(
            "searches", "COUNT(*) AS searches", where, "query_key", "searches", days, limit
        )

    def unhelpful_answers(self, days: int = 30, limit: int = 50) -> pd.DataFrame:
        """Answers voted unhelpful in the last `days` days, one row per (query_key, slug): query,
        slug, unhelpful, last_seen; most votes first, then most recent; at most `limit` rows."""
        columns, where = "slug, COUNT(*) AS unhelpful", " AND helpful = 0"
        return self._ranked("feedback", columns, where, "query_key, slug", "unhelpful", days, limit)

    def per_day(self, days: int = 30) -> pd.DataFrame:
        """One row per UTC day of the last `days` with a search or a vote, oldest first: day,
        searches, no_good_match, helpful, unhelpful (ints, 0 where a day has none)."""
        searches = self._frame(
            "SELECT day, COUNT(*) AS searches, SUM(1 - good_match) AS no_good_match "
            "FROM searches WHERE day >= ? GROUP BY day",
            (self._since(days),),
        )
        feedback = self._frame(
            "SELECT day, SUM(helpful) AS helpful, SUM(1 - helpful) AS unhelpful "
            "FROM feedback WHERE day >= ? GROUP BY day",
            (self._since(days),),
        )
        merged = searches.merge(feedback, on="day", how="outer").fillna(0)
        for column in ("searches", "no_good_match", "helpful", "unhelpful"):
            merged[column] = merged[column].astype(int)
        return merged.sort_values("day").reset_index(drop=True)
