"""Analytics: the SQLite log of what customers ask, what finds nothing and what they mark unhelpful
(editors use it to find content gaps), personal-data masking, retention, and the CSV export.
Imports: kb.config, kb.errors. Content gaps (gaps.py) take an encoder as an argument.

Personal data. Every query (searches and feedback) goes through `mask_personal_data` before it is
stored: card numbers become `[card]`, phone numbers `[phone]`, e-mail addresses `[email]` and
Chinese resident ID numbers `[id]`, so editors still see the question's shape ("我的卡 [card] 被拒了").
The rules are in kb/analytics/privacy.py; in short, a 13-19 digit number is a card when it passes
the Luhn check or is written in card-style groups (4-4-4-4), so an order number typed without
spaces is kept unless it passes Luhn by chance (about 1 in 10). A database written by a version that
did not mask is masked once when it is first opened (`PRAGMA user_version` 0 -> 1).

Retention. Rows whose UTC day is more than `retention_days` before today are deleted
(KB_ANALYTICS_RETENTION_DAYS, default 90), and each table keeps at most `max_rows` rows, oldest
deleted first (KB_ANALYTICS_MAX_ROWS, default 1,000,000; a row is at most about 3 KB). Both run in
the first write of a process and then every `prune_every` (100) writes, so a table holds at most
`max_rows + prune_every` rows; reports never look back further than the retention period.

Failures. Analytics never costs a customer their answers. Writes (`log_search`, `log_feedback`)
never raise: a locked or damaged database, a read-only or missing folder, a full disk are logged
once per kind (logger `kb.analytics`, with the file and the fix) and counted (`failures()`, shown
on the editor page); the next write tries again. Reports raise `AnalyticsError` (a KBError) naming
the file, the cause and the fix. Exports go through `to_csv`, which neutralises cells a spreadsheet
would run as formulas (OWASP CSV injection guidance).
"""

from .export import neutralise_cell, to_csv
from .pgstore import PgAnalytics, open_analytics
from .privacy import mask_personal_data
from .store import MAX_QUERY_CHARS, Analytics, AnalyticsError, Failure, query_key

__all__ = [
    "MAX_QUERY_CHARS",
    "Analytics",
    "AnalyticsError",
    "Failure",
    "PgAnalytics",
    "mask_personal_data",
    "neutralise_cell",
    "open_analytics",
    "query_key",
    "to_csv",
]
