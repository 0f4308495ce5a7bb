"""The shipped Streamlit configuration (issue 14, item 14)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_no_file_watching_in_the_shipped_configuration():
    """Watching the venv, the index and the data folder overflowed inotify and filled the log
    with warnings; a deployed app has nothing to reload."""
    server = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["server"]
    assert server["fileWatcherType"] == "none"
    assert server["headless"] is True
