"""Secrets for the agent and editor pages: never a default, compared in constant time."""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

AGENT_SECRET = "KB_AGENT_TOKEN"
EDITOR_SECRET = "KB_EDITOR_TOKEN"


def configured_secret(name: str, secrets: Mapping | None = None) -> str | None:
    """The secret from the environment, else from a secrets mapping (st.secrets); None if unset.

    Empty or whitespace-only values count as unset, so a blank variable never opens a page."""
    value = os.environ.get(name)
    if not (value and value.strip()) and secrets is not None:
        try:
            value = secrets.get(name)
        except Exception:  # st.secrets raises when no secrets file exists
            value = None
    return value.strip() if isinstance(value, str) and value.strip() else None


def check_secret(given: str | None, expected: str | None) -> bool:
    """True only when a secret is configured and `given` equals it; timing does not reveal how
    much of a wrong secret matched."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
