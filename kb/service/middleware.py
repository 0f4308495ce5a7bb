"""ASGI middleware around the app, outermost first:

1. `RequestContext`: the request id (kept from X-Request-ID when plain, else new; sent back in
   X-Request-ID and put in every log line), metrics, one access-log line per request (method,
   route template, status, role, milliseconds; never the query string, which may hold personal
   data), and a last-resort 500.
2. CORS (`JsonCORSMiddleware`: Starlette's, with its refusals in the JSON error shape).
3. `Guard`: the body-size limit (413 from Content-Length before reading, or while a chunked body
   streams in) and the 500 for a bug: logged with its traceback and request id, answered
   `{"error": {"code": "internal", ...}}` without it.
"""

from __future__ import annotations

import logging
import time

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import HEADER, REQUEST_ID, new_request_id
from .errors import ApiError, error_body, error_response
from .metrics import Metrics

log = logging.getLogger("kb.service.access")
INTERNAL = "internal error; the service log has the details under this request id"


def route_of(scope: Scope) -> str:
    """The route template that served `scope` (`/v1/articles/{slug}`), or `unmatched`."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


async def _send_error(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    await error_response(error)(scope, receive, send)


class RequestContext:
    """Request id, metrics, access log and the last-resort 500 (module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request (HTTP only; lifespan passes through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id(Headers(scope=scope).get(HEADER))
        token = REQUEST_ID.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started, state = time.perf_counter(), {"status": 500, "started": False, "done": False}

        def finish() -> None:  # once, when the answer's last byte goes out (before background
            state["done"] = True  # tasks such as analytics run), or when the request ends
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self.metrics.observe(scope["method"], route, state["status"], seconds)
            role = scope["state"].get("role", "-")
            shown = route if route != "unmatched" else scope["path"][:120]
            line = "%s %s %s %s %.1fms"
            log.info(line, scope["method"], shown, state["status"], role, seconds * 1e3)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.update(status=message["status"], started=True)
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finish()
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # a bug outside Guard (CORS): logged, never shown
            log.exception("unhandled error in request %s", rid)
            if not state["started"]:
                await _send_error(scope, receive, send_with_id, ApiError(500, "internal", INTERNAL))
        finally:
            self.metrics.in_flight.dec()
            if not state["done"]:
                finish()
            REQUEST_ID.reset(token)


class Guard:
    """Body-size limit (`max_body` bytes) and the JSON 500 for bugs (module docstring)."""

    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    def _too_large(self, size: int | str) -> ApiError:
        return ApiError(
            413,
            "body_too_large",
            f"the request body is {size} bytes; the limit is {self.max_body} bytes: send less",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request, refusing a body over the limit and answering a bug with 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _send_error(scope, receive, send, self._too_large(length))
            return
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_body:
                    state["over"] = True  # stop the app reading; its answer is replaced below
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["over"]:
                log.exception("unhandled error in request %s", REQUEST_ID.get())
                if not state["started"]:
                    await _send_error(scope, receive, send, ApiError(500, "internal", INTERNAL))
                return
        if state["over"]:
            await _send_error(scope, receive, send, self._too_large(f"over {self.max_body}"))


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORSMiddleware whose refused preflight is the JSON error shape (400
    `cors_refused`, naming what was refused and the setting that allows it)."""

    def preflight_response(self, request_headers: Headers):
        """Starlette's preflight answer; a refusal becomes JSON with the same headers."""
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        refused = bytes(response.body).decode("utf-8", "replace").removeprefix("Disallowed CORS ")
        origin = request_headers.get("origin", "")[:100]
        message = (
            f"cross-origin request refused ({refused}) for origin {origin!r}; the service allows "
            "the origins in KB_SERVICE_CORS_ORIGINS, methods GET and POST, headers "
            "Authorization, Content-Type and X-Request-ID"
        )
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return JSONResponse(error_body("cors_refused", message), status_code=400, headers=headers)
