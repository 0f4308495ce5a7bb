"""The request id of the request being served, for log lines and error bodies.

The middleware sets it per request (kb/service/middleware.py); threads that serve the request
(FastAPI's thread pool, anyio copies the context) see it too. Log records get it as
`record.request_id` through `RequestIdFilter` ("-" outside a request).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("kb_request_id", default="-")
HEADER = "X-Request-ID"
# a caller's id is kept when it is short and plain (it ends up in logs); otherwise a new one
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def new_request_id(given: str | None) -> str:
    """`given` (the X-Request-ID header) when it is 1-64 characters of letters, digits and
    `._:-`, else 32 fresh hex characters (uuid4): a client cannot inject text into the log."""
    if given and VALID_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def request_id() -> str:
    """The id of the request this code serves, "-" outside a request."""
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, so the format can print it; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Sets `record.request_id` (unless already set) and returns True."""
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True
