"""The one check of an article's `url`, shared by every source format (front matter and each FAQ
table format): the link becomes `Answer.url`, which front ends and API clients put into pages.

Allowed: an absolute `http://` or `https://` link (scheme in lower case) with a host name and no
user name, or a path on the help site starting with a single '/'. Everything else is refused, with
the reason: other schemes (`javascript:`, `data:`, `vbscript:`, `mailto:`), a scheme in mixed case
(`JavaScript:`, `HTTPS:`), `//host` (a link to another site), a backslash (browsers read `\\` as
'/', so `/\\evil.example` is `//evil.example`), whitespace, control or invisible characters, HTML
character references (`&#106;avascript:`, `&sol;`), credentials (`https://user@host`) and links
over `LIMITS.url_chars` characters. This follows the WHATWG URL standard's reading of those
characters, so what passes here means the same in every browser.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from ..errors import Problem
from ..options import LIMITS
from .fields import shown

# `&#` starts a numeric character reference; `&name;` a named one (`&colon;`, `&sol;`)
CHARACTER_REFERENCE_RE = re.compile(r"&(?:#|[a-z][a-z0-9]*;)", re.I)
SCHEME_RE = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
HOST_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# whitespace, controls, format characters (zero-width, bidirectional), surrogates, separators
REFUSED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"))
EXAMPLE = "use a link like https://help.example.com/fees or a site path like /help/fees"


def url_problem(url: str) -> str | None:
    """None when `url` may be published, else why not (a phrase naming the offending part).
    Linear time: character checks, then one urlsplit."""
    if len(url) > LIMITS.url_chars:
        return f"it is {len(url):,} characters long (limit {LIMITS.url_chars:,})"
    bad = next((ch for ch in url if unicodedata.category(ch) in REFUSED_CATEGORIES), None)
    if bad is not None:
        return f"it contains whitespace or an invisible character (U+{ord(bad):04X})"
    if "\\" in url:
        return "it contains a backslash, which browsers read as '/'"
    if CHARACTER_REFERENCE_RE.search(url):
        return "it contains an HTML character reference (&#...; or &name;)"
    if url.startswith("/"):
        if url.startswith("//"):
            return "'//' starts a link to another site; a site path starts with a single '/'"
        return None
    if url.startswith(("http://", "https://")):
        return _host_problem(url)
    scheme = SCHEME_RE.match(url)
    if scheme and scheme.group().lower() in ("http:", "https:"):
        return f"write the scheme {scheme.group()!r} in lower case, followed by '//'"
    if scheme:
        return f"the scheme {scheme.group()!r} is not allowed, only http: and https:"
    return "it is neither an http(s) link nor a path starting with '/'"


def _host_problem(url: str) -> str | None:
    """Why the authority of an http(s) `url` is unacceptable, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        return f"it cannot be read as a link ({exc})"
    if "@" in parts.netloc:
        return "it has a user name before '@', which hides the real host"
    host = parts.hostname or ""
    if not host:
        return "it has no host name after '//'"
    if host.startswith("[") or ":" in host:
        return None  # an IPv6 address, already checked by urlsplit
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"the host name {shown(host)} is not valid"
    labels = ascii_host.removesuffix(".").split(".")
    if not all(HOST_LABEL_RE.fullmatch(label) for label in labels):
        return f"the host name {shown(host)} is not valid"
    return None


def check_url(url: str, where: tuple[str, int], problems: list[Problem]) -> str:
    """`url` when it is empty or acceptable (`url_problem`), else "" after appending a Problem
    at `where` (path, line): `invalid url '...': <reason>; use a link like ...`."""
    reason = url_problem(url) if url else None
    if reason is None:
        return url
    problems.append(Problem(*where, f"invalid url {shown(url)}: {reason}; {EXAMPLE}"))
    return ""
