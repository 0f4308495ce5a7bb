"""The data model every stage shares: an article, its sections, its chunks, and the view of a
stored article that search and the front ends show.

An `Article` comes from ingest (a Markdown file or one FAQ row), is split into `Section`s at its
headings and into `Chunk`s for retrieval. The index stores the sections and article metadata;
`ArticleView` is an article read back from the index, with its sections and without its raw body.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass

from .options import Language, Visibility


def article_link(url: str, slug: str, anchor: str = "") -> str:
    """Source link of an article: its canonical `url`, or the app's own article view
    (`?article=<slug>`) when it has none; `#anchor` appended when given."""
    base = url or f"?article={slug}"
    return f"{base}#{anchor}" if anchor else base


@dataclass(frozen=True)
class Article:
    """One help-center article, from a Markdown file or one row of a FAQ table.

    `source` is the editor's path (relative to the articles folder's parent) and `body_line` the
    1-based line of the body's first line in it, so problems and sections point at real lines."""

    slug: str
    title: str
    body: str
    category: str = "general"
    language: Language = Language.ZH
    visibility: Visibility = Visibility.PUBLIC
    tags: tuple[str, ...] = ()
    url: str = ""
    updated: str = ""
    source: str = ""
    body_line: int = 1
    # import fidelity (issue 13): a one-line summary (front matter `description`), the other ways
    # customers ask for the article (each indexed like the title), the line of its slug
    summary: str = ""
    questions: tuple[str, ...] = ()
    slug_line: int = 0  # 0: the slug was not written; problems point at body_line instead
    translation_of: str = ""  # slug of the article this one translates ("" for an original)

    @property
    def is_public(self) -> bool:
        """True for `Visibility.PUBLIC`: the article is in the public partition too."""
        return self.visibility is Visibility.PUBLIC

    @functools.cached_property
    def content_hash(self) -> str:
        """16 hex characters of sha256 over everything that affects search or what is stored, so
        an unchanged article is recognised on rebuild (`source`, `body_line` and `slug_line` are
        left out: moving an article inside its file changes no vector). `summary`, `questions` and
        `translation_of` count only when set, so articles without them keep their hashes."""
        payload = json.dumps(
            [
                self.slug,
                self.title,
                self.body,
                self.category,
                self.language.value,
                self.visibility.value,
                list(self.tags),
                self.url,
            ]
            # only when given, so articles without them keep the hashes they had
            + ([self.summary, list(self.questions)] if self.summary or self.questions else [])
            + ([self.translation_of] if self.translation_of else []),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def link(self, anchor: str = "") -> str:
        """`article_link` of this article (its url, else `?article=<slug>`), with `#anchor`."""
        return article_link(self.url, self.slug, anchor)


@dataclass(frozen=True)
class Section:
    """A part of an article under one heading (index 0 with level 0 is the text before the first
    heading, anchor `top`). `markdown` is the source, `text` its plain text for search and
    snippets, `line` the 1-based line of the heading in the source file."""

    slug: str
    index: int
    heading: str
    anchor: str
    level: int  # 0 for the intro, else the Markdown heading level 1..6
    markdown: str
    text: str
    line: int


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: a sentence-aligned window of one section's text, about
    `ChunkSettings.max_chars` characters (at most max_chars + overlap_chars, kb/ingest/chunking.py).

    `embed_text` is what the encoder sees (title and heading first); `chunk_id` is 20 hex
    characters of sha256 over slug, anchor, position and embed_text (a content-hash id)."""

    chunk_id: str
    slug: str
    section_index: int
    position: int  # 0-based window number inside the section
    text: str
    embed_text: str


@dataclass(frozen=True)
class ArticleView:
    """An article as read back from the index: metadata and its sections in order (empty when
    read for a result list). Enum fields are plain strings here (`"zh"`, `"public"`)."""

    slug: str
    title: str
    category: str
    language: str
    visibility: str
    url: str
    updated: str
    tags: tuple[str, ...]
    source: str
    sections: tuple[Section, ...] = ()
    translation_of: str = ""  # slug of the original this article translates, "" if none

    def link(self, anchor: str = "") -> str:
        """Same as `Article.link`: the source link, with `#anchor` when given."""
        return article_link(self.url, self.slug, anchor)
