"""The HTTP service: FastAPI app (search, articles, feedback, admin, metrics), the embeddable
search widget (static/widget.js) and `kb serve` (uvicorn, one or more worker processes).
Imports: any kb stage (it sits on top, beside kb.app); nothing in kb imports kb.service."""
