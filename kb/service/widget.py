"""The embeddable search box: `GET /widget.js` (kb/service/static/widget.js) and the demo page
`GET /demo`, read once from the package data."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

# The demo page runs only our own script; styles may be inline (the page's own and the widget's
# fallback <style> in its shadow root); the search calls go to this origin only.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@functools.cache
def asset(name: str) -> bytes:
    """The bytes of kb/service/static/`name` (read once per process)."""
    return resources.files("kb.service").joinpath("static", name).read_bytes()


def router() -> APIRouter:
    """GET /widget.js and GET /demo."""
    api = APIRouter()

    @api.get("/widget.js", include_in_schema=False)
    async def widget_js() -> Response:
        """The widget script (cached 5 minutes by browsers; nosniff)."""
        return Response(
            asset("widget.js"),
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    @api.get("/demo", include_in_schema=False)
    async def demo() -> HTMLResponse:
        """A page with the widget in Chinese and in English, under a strict CSP."""
        return HTMLResponse(
            asset("demo.html"),
            headers={"Content-Security-Policy": DEMO_CSP, "X-Content-Type-Options": "nosniff"},
        )

    return api
