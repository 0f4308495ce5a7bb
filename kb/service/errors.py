"""Every error the service sends, in one JSON shape with the right status:

    {"error": {"code": "rate_limited", "message": "...", "request_id": "..."}}

(`problems` is added for invalid article sources and invalid request fields). No traceback
ever reaches a client: a bug is logged with its request id and answered 500 `internal`.

Status by cause: 400 malformed request (JSON body, Authorization header of the wrong form is 401),
401 missing or wrong key, 403 a valid key without the right, 404 unknown path, article or job,
405 method, 409 a build holds the lock or nothing to roll back to, 413 body too large,
422 a field out of range or unknown (with the nearest valid name), 429 rate limited (with
Retry-After), 503 no usable index (with Retry-After).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors as kb
from .context import request_id

log = logging.getLogger(__name__)

UNAVAILABLE_RETRY_S = 5  # Retry-After on 503: a build or a repair usually takes seconds
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answer: HTTP `status`, a stable snake_case `code`, a `message` naming the field,
    the bad value and the fix; optional `problems` (list of dicts) and response `headers`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        problems: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems, self.headers = problems, headers or {}


def error_body(code: str, message: str, problems: list[dict] | None = None) -> dict:
    """`{"error": {"code", "message", "request_id"[, "problems"]}}` with the current request id."""
    error = {"code": code, "message": message, "request_id": request_id()}
    if problems is not None:
        error["problems"] = problems
    return {"error": error}


def error_response(error: ApiError) -> JSONResponse:
    """The JSON response of `error`, with its status and headers."""
    return JSONResponse(
        error_body(error.code, error.message, error.problems),
        status_code=error.status,
        headers=error.headers,
    )


def from_kb_error(exc: kb.KBError, detail: bool) -> ApiError:
    """The ApiError for a KBError: ValidationError 422 with the problems (path, line, message);
    BuildLockedError 409; IndexNotFoundError 503 `index_not_found`; CorruptIndexError 503
    `index_damaged`; EncoderMismatchError 503
    `encoder_mismatch`; ConfigError 503 `misconfigured` (a server setting); others 400.
    Index messages name server folders, so only `detail` callers (editors) get them; others get
    a generic message (the log has the full one)."""
    if isinstance(exc, kb.ValidationError):
        problems = [{"path": p.path, "line": p.line, "message": p.message} for p in exc.problems]
        message = (
            f"{len(problems)} problem(s) in the articles (listed in problems); nothing was "
            "built and the live index is unchanged: fix them and build again"
        )
        return ApiError(422, "invalid_articles", message, problems=problems)
    if isinstance(exc, kb.BuildLockedError):
        return ApiError(409, "build_locked", str(exc))
    if isinstance(exc, kb.IndexStateError | kb.ConfigError):
        code = {
            kb.IndexNotFoundError: "index_not_found",
            kb.CorruptIndexError: "index_damaged",
            kb.EncoderMismatchError: "encoder_mismatch",
        }.get(
            type(exc), "misconfigured" if isinstance(exc, kb.ConfigError) else "index_unavailable"
        )
        log.error("index unavailable (%s): %s", code, exc)
        message = str(exc) if detail else "search is unavailable for a moment; try again later"
        return ApiError(503, code, message, headers={"Retry-After": str(UNAVAILABLE_RETRY_S)})
    return ApiError(400, "bad_request", str(exc))


def _validation_problems(exc: RequestValidationError) -> list[dict]:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        problem = {"field": field, "message": error.get("msg", "invalid")}
        if error.get("type") != "missing":
            value = repr(error.get("input"))
            problem["value"] = value if len(value) <= 80 else value[:77] + "..."
        problems.append(problem)
    return problems


def validation_error(exc: RequestValidationError) -> ApiError:
    """400 `invalid_json` for a body that is not JSON; otherwise 422 `invalid_request` naming each
    field, what is wrong, the value given (cut to 80 characters) and the fix."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {})
        return ApiError(
            400,
            "invalid_json",
            f"the request body is not valid JSON ({detail.get('error', 'parse error')}); send a "
            "JSON object with Content-Type: application/json",
        )
    problems = _validation_problems(exc)
    message = "; ".join(
        f"{p['field']}: {p['message']}" + (f" (got {p['value']})" if "value" in p else "")
        for p in problems
    )
    return ApiError(
        422,
        "invalid_request",
        f"{message}; see /docs for the valid fields and ranges",
        problems=problems,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn ApiError, KBError, FastAPI's validation errors and
    Starlette's HTTP errors (404 path, 405 method) into the JSON shape."""

    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    async def kb_error(request: Request, exc: kb.KBError) -> JSONResponse:
        detail = getattr(request.state, "role", None) == "editor"
        return error_response(from_kb_error(exc, detail))

    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(exc))

    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "error")
        message = {
            404: f"no such endpoint: {request.url.path[:100]}; see /docs for the endpoints",
            405: f"{request.method} is not allowed on {request.url.path[:100]}; see /docs",
        }.get(exc.status_code, str(exc.detail))
        return error_response(ApiError(exc.status_code, code, message, headers=exc.headers))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(kb.KBError, kb_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
