"""Secret comparison for the agent and editor pages (the secrets come from kb.config, never a
default): constant time, so timing does not reveal how much of a wrong secret matched."""

from __future__ import annotations

import hmac


def check_secret(given: str | None, expected: str | None) -> bool:
    """True only when a secret is configured (`expected` non-empty) and `given` equals it.

    Compared with `hmac.compare_digest` on UTF-8 bytes."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
