"""Secret comparison for the agent and editor pages (the secrets come from kb.config, never a
default): constant time, so timing does not reveal how much of a wrong secret matched; and signed,
expiring tickets that keep a page unlocked across page loads without storing the secret."""

from __future__ import annotations

import hashlib
import hmac


def check_secret(given: str | None, expected: str | None) -> bool:
    """True only when a secret is configured (`expected` non-empty) and `given` equals it.

    Compared with `hmac.compare_digest` on UTF-8 bytes."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# ------------------------------------------------------------------- remembered unlocks (tickets)
# A page unlocked with its secret stays unlocked across page loads of the same browser session
# through a ticket in a session cookie: "<expiry>.<HMAC-SHA256(secret, scope|expiry)>". The secret
# itself never leaves the server; changing it voids every ticket; a ticket for one page (`scope`)
# does not open another. Source of the lifetime: one working shift, so a browser left open
# overnight asks again.
TICKET_SECONDS = 12 * 3600


def _ticket_mac(secret: str, scope: str, expires: int) -> str:
    message = f"{scope}|{expires}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def issue_ticket(secret: str, scope: str, now: float, lifetime: int = TICKET_SECONDS) -> str:
    """A ticket opening `scope` (e.g. "agent") until `now` + `lifetime` seconds (Unix time),
    signed with `secret` (must be non-empty: raises ValueError otherwise)."""
    if not secret:
        raise ValueError("no secret configured: nothing to sign a ticket with")
    expires = int(now) + int(lifetime)
    return f"{expires}.{_ticket_mac(secret, scope, expires)}"


def ticket_valid(ticket: str | None, secret: str | None, scope: str, now: float) -> bool:
    """True only when a secret is configured and `ticket` is one `issue_ticket(secret, scope)`
    made that has not expired at `now`. Anything else (missing, malformed, tampered, expired,
    another scope or secret) is False: the page stays locked. Constant-time MAC comparison."""
    if not secret or not isinstance(ticket, str) or ticket.count(".") != 1:
        return False
    expires_text, mac = ticket.split(".")
    if not (expires_text.isascii() and expires_text.isdigit() and len(expires_text) <= 12):
        return False
    expires = int(expires_text)
    expected = _ticket_mac(secret, scope, expires)
    return hmac.compare_digest(mac.encode("ascii", "replace"), expected.encode()) and now < expires
