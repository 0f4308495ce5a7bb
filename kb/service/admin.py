"""The editors' endpoints, behind KB_EDITOR_TOKEN: build (a background job), job status,
rollback, index stats and the analytics reports."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..errors import IndexNotFoundError, ValidationError
from ..index import describe_index, open_store
from ..ingest import validate
from .auth import Caller
from .errors import ApiError
from .schemas import BuildIn
from .state import allowed, editor, json_body, kb_state

EditorDep = Annotated[Caller, Depends(editor)]
REPORTS = {
    "top-queries": "top_queries",
    "no-match": "no_match_queries",
    "unhelpful": "unhelpful_answers",
    "per-day": "per_day",
}


def router() -> APIRouter:
    """The admin routes (every one needs the editor key)."""
    api = APIRouter(prefix="/v1/admin")
    _builds(api)
    _index_and_reports(api)
    return api


def _builds(api: APIRouter) -> None:
    @api.post("/build", status_code=202, dependencies=[allowed(), Depends(json_body)])
    def build(request: Request, response: Response, who: EditorDep, body: BuildIn | None = None):
        """Validate the articles (422 with the problems), check that no build holds the lock
        (409), then build and publish in the background: 202 with the job record; follow it at
        the Location given (GET /v1/admin/jobs/{id})."""
        kb = kb_state(request)
        problems = validate(kb.config.articles)
        if problems:
            raise ValidationError(problems)
        with open_store(kb.config.index).lock():  # BuildLockedError (409) while a build runs
            pass
        job = kb.jobs.start(force=body.force if body else False)
        response.headers["Location"] = f"/v1/admin/jobs/{job['id']}"
        return job

    @api.get("/jobs/{job_id}", dependencies=[allowed()])
    def job(request: Request, who: EditorDep, job_id: Annotated[str, Path(max_length=64)]):
        """A build job's record: status queued, running, succeeded (report) or failed (error)."""
        record = kb_state(request).jobs.get(job_id)
        if record is None:
            raise ApiError(404, "job_not_found", f"no build job {job_id!r}; POST /v1/admin/build")
        return record


def _index_and_reports(api: APIRouter) -> None:
    @api.post("/rollback", dependencies=[allowed()])
    def rollback(request: Request, who: EditorDep) -> dict:
        """Make the previous version live: {"old", "new"}. 409 while a build holds the lock or
        when there is no older version."""
        try:
            old, new = open_store(kb_state(request).config.index).rollback()
        except IndexNotFoundError as exc:
            raise ApiError(409, "nothing_to_roll_back", str(exc)) from None
        return {"old": old, "new": new}

    @api.get("/stats", dependencies=[allowed()])
    def stats(request: Request, who: EditorDep) -> dict:
        """`kb stats --json` of the index, plus the versions this worker serves per role."""
        kb = kb_state(request)
        return {**describe_index(kb.config.index).to_dict(), "serving": kb.searchers.versions()}

    @api.get("/analytics/{report}", dependencies=[allowed("days", "limit", "role")])
    def analytics(
        request: Request,
        who: EditorDep,
        report: Annotated[str, Path(max_length=40)],
        days: Annotated[int, Query(ge=1, le=366)] = 30,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        role: Literal["public", "agent", "all"] = "public",
    ) -> dict:
        """An analytics report as rows: top-queries, no-match, unhelpful (each with `limit`) or
        per-day, over the last `days` UTC days, for one role (`public` = customers, the
        default; `agent`; `all`)."""
        if report not in REPORTS:
            raise ApiError(
                404,
                "report_not_found",
                f"no report {report[:40]!r}; use one of: {', '.join(REPORTS)}",
            )
        store = kb_state(request).analytics()
        method = getattr(store, REPORTS[report])
        who_asked = None if role == "all" else role
        frame = (
            method(days, role=who_asked)
            if report == "per-day"
            else method(days, limit, role=who_asked)
        )
        rows = json.loads(frame.to_json(orient="records", force_ascii=False))
        return {"report": report, "days": days, "role": role, "rows": rows}
