"""The analytics store in PostgreSQL: the same log, policies and reports as `Analytics`
(kb/analytics/store.py), so several app and service instances share one record.

`open_analytics(location)` picks the store: a `postgresql://` URL (KB_ANALYTICS_DB) gives a
`PgAnalytics` (tables `kb_analytics.searches` and `kb_analytics.feedback`), anything else the SQLite
file. `PgAnalytics` reuses every query of `Analytics` through a small adapter that gives a psycopg
connection SQLite's calling shape (`?` placeholders, `with db:` commits), so the masking, retention,
size cap, failure accounting and reports are the same code on both.
"""

from __future__ import annotations

from pathlib import Path

from kb.config import Config

from .store import Analytics, AnalyticsError

SCHEMA = "kb_analytics"
TABLES_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.searches (
        id bigserial PRIMARY KEY, ts text NOT NULL, day text NOT NULL, query text NOT NULL,
        query_key text NOT NULL, role text NOT NULL, results integer NOT NULL, top_slug text,
        good_match integer NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.feedback (
        id bigserial PRIMARY KEY, ts text NOT NULL, day text NOT NULL, query text NOT NULL,
        query_key text NOT NULL, slug text NOT NULL, helpful integer NOT NULL,
        role text NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS searches_day ON {SCHEMA}.searches (day)",
    f"CREATE INDEX IF NOT EXISTS feedback_day ON {SCHEMA}.feedback (day)",
]


class _Connection:
    """A psycopg connection with sqlite3's shape as `Analytics` uses it: `execute(sql, params)`
    with `?` placeholders returns a cursor; `with db:` commits (rolls back on an error); `close`."""

    def __init__(self, url: str):
        import psycopg

        self._conn = psycopg.connect(url, connect_timeout=5, options=f"-c search_path={SCHEMA}")

    def execute(self, statement: str, params: tuple = ()):
        """Run `statement` (`?` placeholders; no literal `?` or `%` in the SQL of Analytics)."""
        return self._conn.execute(statement.replace("?", "%s"), params)

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self._conn.commit()
        else:
            self._conn.rollback()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class PgAnalytics(Analytics):
    """`Analytics` on a PostgreSQL database at `url` (writes never raise, reports raise
    AnalyticsError, as there). Queries are masked before they are stored, as in SQLite."""

    def __init__(self, url: str, **settings):
        super().__init__(Path("kb_analytics"), **settings)
        self.url = url

    def _connect(self) -> _Connection:
        return _Connection(self.url)

    def _frame(self, sql: str, params: tuple = ()):
        import psycopg

        try:
            return super()._frame(sql, params)
        except psycopg.Error as exc:
            cause = self._failed(exc)
            raise AnalyticsError(
                f"cannot read the analytics database (KB_ANALYTICS_DB): {cause}", self.path
            ) from None

    def _ensure(self) -> None:
        if self._ready:
            return
        with _Connection(self.url) as db:
            for statement in TABLES_DDL:
                db.execute(statement)
        self._ready = True


def open_analytics(
    location: str | Path,
    retention_days: int = Config.analytics_retention_days,
    max_rows: int = Config.analytics_max_rows,
) -> Analytics:
    """The analytics store at `location`: PgAnalytics for a postgresql:// (or postgres://) URL,
    else the SQLite file. Raises ConfigError for settings out of range."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return PgAnalytics(text, retention_days=retention_days, max_rows=max_rows)
    return Analytics(location, retention_days=retention_days, max_rows=max_rows)
