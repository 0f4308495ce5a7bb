"""Who is calling: roles by key, and the per-client rate limits that go with them.

No Authorization header: `public`. `Authorization: Bearer <KB_AGENT_TOKEN>`: `agent` (internal
articles). `Bearer <KB_EDITOR_TOKEN>`: `editor` (agent answers plus the admin endpoints). The
scheme is case-insensitive (RFC 7235); anything else present in the header, a wrong key, a key
when none is configured, or the header twice is 401 and never falls back to public. Keys are
compared in constant time (kb.access.check_secret), both of them on every keyed request.

Public requests are rate limited per client address (KB_SERVICE_RATE_LIMIT); wrong keys are
counted per client address (KB_SERVICE_AUTH_FAILURE_LIMIT), and past that limit every keyed
request from that address is refused with 429 before any comparison, which stops key guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from ..access import check_secret
from ..config import AGENT_SECRET, EDITOR_SECRET, secret
from ..options import Role
from .errors import ApiError
from .ratelimit import RateLimit
from .settings import ServiceSettings

BEARER = {"WWW-Authenticate": 'Bearer realm="kb"'}
INVALID = {"WWW-Authenticate": 'Bearer realm="kb", error="invalid_token"'}


@dataclass(frozen=True)
class Caller:
    """The role of one request ("public", "agent" or "editor") and its client address."""

    role: str
    address: str

    @property
    def search_role(self) -> Role:
        """The index partition this caller searches: `public`, or `all` (Role.AGENT) with a key."""
        return Role.PUBLIC if self.role == "public" else Role.AGENT


def _bearer(values: list[str]) -> str:
    """The key of the one Authorization header in `values`; 401 for any other form."""
    if len(values) != 1:
        raise ApiError(
            401,
            "invalid_authorization",
            "send the Authorization header once, as 'Bearer <key>'",
            headers=BEARER,
        )
    parts = values[0].split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise ApiError(  # the header is not echoed: it may hold a key
            401,
            "invalid_authorization",
            "the Authorization header must be 'Bearer <key>' (one scheme word, one key); send no "
            "Authorization header for public answers",
            headers=BEARER,
        )
    return parts[1]


class Gate:
    """Resolves the Caller of each request and applies the rate limits (module docstring).
    Keys are read from the environment through kb.config.secret on every keyed request."""

    def __init__(self, settings: ServiceSettings):
        self.public_limit = RateLimit(settings.rate_items("public"), "public")
        self.failures = RateLimit(settings.rate_items("auth"), "auth")

    def caller(self, request: Request) -> Caller:
        """The Caller of `request`; sets `request.state.role`. Raises ApiError 401 (bad or
        wrong key) or 429 (limit reached, with Retry-After)."""
        address = request.client.host if request.client else "unknown"
        values = request.headers.getlist("authorization")
        if not values:
            self._limit(self.public_limit, address, "requests without a key", count=True)
            request.state.role = "public"
            return Caller("public", address)
        self._limit(self.failures, address, "requests with a wrong key", count=False)
        try:
            key = _bearer(values)
        except ApiError:
            self.failures.hit(address)
            raise
        agent, editor = secret(AGENT_SECRET), secret(EDITOR_SECRET)
        is_agent, is_editor = check_secret(key, agent), check_secret(key, editor)
        if not (is_agent or is_editor):
            self.failures.hit(address)
            configured = "" if agent or editor else " (this service has no keys configured)"
            raise ApiError(
                401,
                "invalid_key",
                f"the key is not a valid agent or editor key{configured}; send no "
                "Authorization header for public answers",
                headers=INVALID,
            )
        request.state.role = "editor" if is_editor else "agent"
        return Caller(request.state.role, address)

    @staticmethod
    def _limit(limit: RateLimit, address: str, what: str, count: bool) -> None:
        wait = limit.retry_after(address)
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                f"too many {what} from this client (limit: {limit.describe()}); retry after "
                f"{wait} s",
                headers={"Retry-After": str(wait)},
            )
        if count:
            limit.hit(address)


def require_editor(caller: Caller) -> Caller:
    """`caller` when it holds the editor key; ApiError 401 without a key, 403 with the agent key."""
    if caller.role == "editor":
        return caller
    if caller.role == "public":
        raise ApiError(
            401,
            "unauthorized",
            "this endpoint needs the editor key: send Authorization: Bearer <editor key>",
            headers=BEARER,
        )
    raise ApiError(
        403, "forbidden", "the agent key cannot use the admin endpoints; use the editor key"
    )
