"""Test support shipped with the package, so tests and scripts share it without importing from
tests/: a tiny fixture help center (`fixtures`), corpora of hostile input (`corpora`), searching
during rebuilds (`concurrency`) and the Streamlit + Chromium harness (`browser`).
Imports: any kb stage (it sits above them all, beside the CLI); nothing in kb imports it."""

from .fixtures import TINY, CountingEncoder, write_articles

__all__ = ["TINY", "CountingEncoder", "write_articles"]
