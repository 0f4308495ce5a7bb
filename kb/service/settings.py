"""Service settings from `KB_SERVICE_*` variables: CORS origins, rate limits, input limits,
workers, trusted proxies and where build jobs are recorded.

    KB_SERVICE_CORS_ORIGINS          origins allowed to call the API from a browser, comma-separated
                                     (https://help.example.com), or *; default none
    KB_SERVICE_RATE_LIMIT            requests without a key, per client address and worker, in the
                                     `limits` syntax (`;` between limits), or off; 20/second;300/minute
    KB_SERVICE_AUTH_FAILURE_LIMIT    requests with a wrong key per client address and worker before
                                     every keyed request from it gets 429; 10/minute
    KB_SERVICE_MAX_QUERY_CHARS       longest `q` accepted (422 above); 512 (SearchSettings)
    KB_SERVICE_MAX_TOP_K             largest `top_k` accepted; 50
    KB_SERVICE_MAX_BODY_BYTES        largest request body (413 above); 65536
    KB_SERVICE_WORKERS               worker processes of `kb serve` (--workers wins); 1
    KB_SERVICE_FORWARDED_ALLOW_IPS   proxies whose X-Forwarded-For is trusted (uvicorn's
                                     forwarded_allow_ips); default none: the peer is the client
    KB_SERVICE_JOBS_DIR              folder of build-job records shared by the workers; default
                                     jobs/ beside KB_ANALYTICS_DB

Every bad value, and every `KB_SERVICE_*` name not listed here, raises ConfigError
naming the variable, the value and the fix. (This reader moves into kb/config.py later.)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from limits import RateLimitItem, parse_many

from ..config import variables
from ..errors import ConfigError
from ..options import SearchSettings

PREFIX = "KB_SERVICE_"
ORIGIN_RE = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")


@dataclass(frozen=True)
class ServiceSettings:
    """How the service limits and exposes itself; see the module docstring for each variable.

    `rate_limit` / `auth_failure_limit`: `limits` strings (validated), or "" for no limit;
    `max_query_chars` 1..10,000 characters; `max_top_k` 1..1,000; `max_body_bytes` 1..16 MiB;
    `workers` 1..64; `jobs_dir` None means `jobs/` beside the analytics database."""

    cors_origins: tuple[str, ...] = ()
    rate_limit: str = "20/second;300/minute"
    auth_failure_limit: str = "10/minute"
    max_query_chars: int = SearchSettings.max_query_chars
    max_top_k: int = 50
    max_body_bytes: int = 65_536
    workers: int = 1
    forwarded_allow_ips: str = ""
    jobs_dir: Path | None = None

    def rate_items(self, which: str) -> list[RateLimitItem]:
        """The parsed limits of `rate_limit` ("public") or `auth_failure_limit` ("auth"); [] when
        that limit is off."""
        text = self.rate_limit if which == "public" else self.auth_failure_limit
        return parse_many(text) if text else []


def _cors(name: str, value: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not ORIGIN_RE.fullmatch(origin):
            raise ConfigError(
                f"{name}={value!r}: {origin!r} is not an origin; list scheme://host[:port] "
                "values without a path, comma-separated (https://help.example.com), or *"
            )
    if "*" in origins and len(origins) > 1:
        raise ConfigError(f"{name}={value!r}: * already allows every origin; give * alone")
    return origins


def _rate(name: str, value: str) -> str:
    text = value.strip()
    if text.lower() == "off":
        return ""
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise ConfigError(
            f"{name}={value!r} is not a rate limit; write amount/period with ';' between "
            "limits, like 20/second;300/minute, or off"
        )
    return text


def _integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise ConfigError(f"{name}={value!r} must be a whole number from {low} to {high}")
        return number

    return parse


def _proxies(name: str, value: str) -> str:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    bad = [p for p in parts if p != "*" and not re.fullmatch(r"[0-9A-Fa-f:./]+", p)]
    if bad:
        raise ConfigError(
            f"{name}={value!r}: {bad[0]!r} is not an IP address or network; list the proxies' "
            "addresses comma-separated (127.0.0.1,10.0.0.0/8)"
        )
    return ",".join(parts)


# variable suffix -> (field, parser of (variable name, raw value))
FIELDS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "CORS_ORIGINS": ("cors_origins", _cors),
    "RATE_LIMIT": ("rate_limit", _rate),
    "AUTH_FAILURE_LIMIT": ("auth_failure_limit", _rate),
    "MAX_QUERY_CHARS": ("max_query_chars", _integer(1, 10_000)),
    "MAX_TOP_K": ("max_top_k", _integer(1, 1_000)),
    "MAX_BODY_BYTES": ("max_body_bytes", _integer(1, 16 * 2**20)),
    "WORKERS": ("workers", _integer(1, 64)),
    "FORWARDED_ALLOW_IPS": ("forwarded_allow_ips", _proxies),
    "JOBS_DIR": ("jobs_dir", lambda name, value: Path(value.strip())),
}


def load_service_settings(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """ServiceSettings from `environ` (default: the process environment); unset or blank
    variables keep their defaults. Raises ConfigError for a bad value or an unknown
    `KB_SERVICE_*` name (with the nearest valid one)."""
    env = variables(PREFIX) if environ is None else environ
    names = [PREFIX + suffix for suffix in FIELDS]
    for key in env:
        if key.startswith(PREFIX) and key not in names:
            near = difflib.get_close_matches(key, names, n=1)
            hint = f"did you mean {near[0]}?" if near else f"valid names: {', '.join(names)}"
            raise ConfigError(f"unknown setting {key}; {hint}")
    values = {}
    for suffix, (field, parse) in FIELDS.items():
        raw = env.get(PREFIX + suffix)
        if raw is not None and raw.strip():
            values[field] = parse(PREFIX + suffix, raw)
    return ServiceSettings(**values)
