"""The search API: search, articles, related articles, feedback, health, readiness and metrics.

Every answer comes from one `Searcher`, i.e. one complete index version, named in `version`.
Public callers are answered from the public partition only; a key selects the agent partition
(kb/service/auth.py). Searches and votes are recorded in analytics after the answer is sent.
"""

import difflib
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response

from ..errors import ConfigError
from ..model import ArticleView
from ..options import Language, Role
from ..retrieval import Searcher
from .auth import Caller
from .errors import ApiError
from .schemas import (
    SECTION_FIELDS,
    SUMMARY_FIELDS,
    ArticleOut,
    FeedbackIn,
    RelatedOut,
    SearchOut,
    Status,
)
from .settings import ServiceSettings
from .state import ServiceState, allowed, caller, json_body, kb_state

Slug = Annotated[str, Path(max_length=200, description="the article's slug")]
CallerDep = Annotated[Caller, Depends(caller)]


def summary(view: ArticleView) -> dict:
    """An article's metadata as in ArticleSummary (`url`: its link; tags as a list)."""
    return {name: getattr(view, name) for name in SUMMARY_FIELDS} | {
        "url": view.link(),
        "tags": list(view.tags),
    }


def full(view: ArticleView) -> dict:
    """An article with its sections as in ArticleFull."""
    sections = [
        {name: getattr(s, name) for name in SECTION_FIELDS} | {"url": view.link(s.anchor)}
        for s in view.sections
    ]
    return {**summary(view), "sections": sections}


def searcher_for(kb: ServiceState, role: Role) -> Searcher:
    """The live searcher for `role`, noted in the version gauge."""
    searcher = kb.searchers.get(role)
    kb.metrics.serving(role.value, searcher.version)
    return searcher


def article_or_404(searcher: Searcher, slug: str) -> ArticleView:
    """The article `slug` as this searcher's role may see it; 404 otherwise. An internal article
    asked for without a key gets exactly the answer of one that does not exist."""
    view = searcher.article(slug)
    if view is None:
        raise ApiError(
            404,
            "article_not_found",
            f"no article {slug!r}; find articles with GET /v1/search?q=...",
        )
    return view


def check_filters(kb: ServiceState, role: Role, searcher: Searcher, category, language) -> None:
    """422 for a language other than zh/en or a category this role's articles do not have (with
    the nearest one): a misspelt filter is an error, not an empty result."""
    if language is not None:
        try:
            Language.parse(language, "language")
        except ConfigError as exc:
            raise ApiError(422, "invalid_language", str(exc)) from None
    if category is not None:
        valid = sorted(kb.searchers.categories(role, searcher))
        if category not in valid:
            near = difflib.get_close_matches(category, valid, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ApiError(
                422,
                "invalid_category",
                f"unknown category {category[:50]!r}; {hint}use one of: {', '.join(valid)}",
            )


def router(settings: ServiceSettings) -> APIRouter:
    """The routes, with the input limits of `settings` in their declared constraints."""
    api = APIRouter()
    _search(api, settings)
    _articles(api, settings)
    _status(api)
    return api


def _search(api: APIRouter, settings: ServiceSettings) -> None:
    Q = Annotated[str, Query(max_length=settings.max_query_chars, description="the question")]
    TopK = Annotated[int, Query(ge=1, le=settings.max_top_k, description="answers wanted")]

    @api.get(
        "/v1/search",
        response_model=SearchOut,
        dependencies=[allowed("q", "top_k", "category", "language", "analytics")],
    )
    def search(
        request: Request,
        background: BackgroundTasks,
        who: CallerDep,
        q: Q,
        top_k: TopK = 5,
        category: Annotated[str | None, Query(max_length=200)] = None,
        language: Annotated[str | None, Query(max_length=20)] = None,
        analytics: bool = True,
    ) -> dict:
        """Best articles for `q`, best first; `analytics=false` leaves the search out of the
        analytics log (the widget's as-you-type requests)."""
        kb = kb_state(request)
        searcher = searcher_for(kb, who.search_role)
        check_filters(kb, who.search_role, searcher, category, language)
        answers = searcher.search(q, top_k, category=category, language=language)
        good = searcher.good_match(answers, q)
        kb.metrics.searches.labels(who.search_role.value, str(good).lower()).inc()
        if analytics and q.strip():
            top = answers[0].slug if answers else None
            log = kb.analytics().log_search
            background.add_task(log, q, who.search_role.value, len(answers), top, good)
        answered = [a.to_dict() for a in answers]
        return {"query": q, "version": searcher.version, "good_match": good, "answers": answered}


def _articles(api: APIRouter, settings: ServiceSettings) -> None:
    @api.get("/v1/articles/{slug}", response_model=ArticleOut, dependencies=[allowed()])
    def article(request: Request, slug: Slug, who: CallerDep) -> dict:
        """The whole article with its sections; 404 when the caller's role may not see it."""
        searcher = searcher_for(kb_state(request), who.search_role)
        return {"version": searcher.version, "article": full(article_or_404(searcher, slug))}

    @api.get(
        "/v1/articles/{slug}/related", response_model=RelatedOut, dependencies=[allowed("top_k")]
    )
    def related(
        request: Request,
        slug: Slug,
        who: CallerDep,
        top_k: Annotated[int, Query(ge=1, le=min(settings.max_top_k, 20))] = 5,
    ) -> dict:
        """The nearest other articles of the caller's role, nearest first."""
        searcher = searcher_for(kb_state(request), who.search_role)
        article_or_404(searcher, slug)
        found = [summary(v) for v in searcher.related(slug, top_k=top_k)]
        return {"version": searcher.version, "slug": slug, "related": found}

    @api.post(
        "/v1/feedback",
        status_code=202,
        response_model=Status,
        dependencies=[allowed(), Depends(json_body)],
    )
    def feedback(
        request: Request, background: BackgroundTasks, body: FeedbackIn, who: CallerDep
    ) -> dict:
        """Record a helpful / unhelpful vote on an answer the caller's role can see."""
        if len(body.query) > settings.max_query_chars:
            raise ApiError(
                422,
                "invalid_request",
                f"query: {len(body.query)} characters; the limit is {settings.max_query_chars}",
            )
        kb = kb_state(request)
        article_or_404(searcher_for(kb, who.search_role), body.slug)
        log = kb.analytics().log_feedback
        background.add_task(log, body.query, body.slug, body.helpful, who.search_role.value)
        return {"status": "accepted"}


def _status(api: APIRouter) -> None:
    @api.get("/v1/health", response_model=Status, dependencies=[allowed()])
    async def health() -> dict:
        """Alive: the process answers (the index is not touched)."""
        return {"status": "ok"}

    @api.get("/v1/ready", dependencies=[allowed()])
    def ready(request: Request) -> dict:
        """Ready: the public index is loaded; its live version. 503 while there is none."""
        searcher = searcher_for(kb_state(request), Role.PUBLIC)
        return {"status": "ready", "version": searcher.version}

    @api.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format (kb/service/metrics.py)."""
        kb = kb_state(request)
        for role, version in kb.searchers.versions().items():
            kb.metrics.serving(role, version)
        body, content_type = kb.metrics.render()
        return Response(body, media_type=content_type)
