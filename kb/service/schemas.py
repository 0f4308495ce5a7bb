"""The request and response bodies, as pydantic models: they validate what comes in (unknown
fields refused) and document what goes out at /docs and /openapi.json."""

import difflib
import typing

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model, model_validator

from ..model import ArticleView, Section
from ..retrieval import Answer


class Strict(BaseModel):
    """A body that refuses fields it does not declare: a misspelt field is a 422 naming the
    nearest valid one, never ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: object) -> object:
        if isinstance(data, dict):
            valid = list(cls.model_fields)
            for key in data:
                if key not in valid:
                    near = difflib.get_close_matches(str(key), valid, n=1)
                    hint = f"did you mean {near[0]!r}? " if near else ""
                    raise ValueError(
                        f"unknown field {str(key)[:50]!r}; {hint}valid fields: {', '.join(valid)}"
                    )
        return data


def _fields(cls: type, names: tuple[str, ...]) -> dict:
    """{name: (type, required)} of the dataclass `cls`'s fields `names`, for create_model."""
    hints = typing.get_type_hints(cls)
    return {name: (hints[name], ...) for name in names}


class SearchOut(BaseModel):
    """A search: the query as given, the index version that answered every field, whether the
    best answer is a good match (dense cosine of the top 3 >= the calibrated threshold), and the
    answers, best first (at most top_k), each with the fields of `kb search --json`."""

    query: str
    version: str
    good_match: bool
    answers: list[Answer]


# An article's metadata (ArticleView's fields); `url` is its source link, or `?article=<slug>`.
SUMMARY_FIELDS = ("slug", "title", "category", "language", "visibility", "url", "updated", "tags")
ArticleSummary = create_model("ArticleSummary", **_fields(ArticleView, SUMMARY_FIELDS))
# One section: heading ("" before the first heading), anchor, level 0..6, plain text, Markdown
# source, and its link `url#anchor`.
SECTION_FIELDS = ("heading", "anchor", "level", "text", "markdown")
SectionOut = create_model("SectionOut", **_fields(Section, SECTION_FIELDS), url=(str, ...))
ArticleFull = create_model("ArticleFull", __base__=ArticleSummary, sections=(list[SectionOut], ...))


class ArticleOut(BaseModel):
    """`GET /v1/articles/{slug}`: the article with its sections, and the version it was read from."""

    version: str
    article: ArticleFull


class RelatedOut(BaseModel):
    """`GET /v1/articles/{slug}/related`: the nearest other articles, nearest first."""

    version: str
    slug: str
    related: list[ArticleSummary]


class FeedbackIn(Strict):
    """A helpful / unhelpful vote on the answer `slug` to `query` (`helpful` must be a JSON
    true or false)."""

    query: str = Field(min_length=1, max_length=10_000)
    slug: str = Field(min_length=1, max_length=200)
    helpful: StrictBool


class BuildIn(Strict):
    """`POST /v1/admin/build`: `force` rebuilds every article from its source."""

    force: StrictBool = False


class Status(BaseModel):
    """A short status answer."""

    status: str
