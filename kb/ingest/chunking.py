"""Article -> sections (split at headings, each with a stable anchor) -> chunks.

The anchor comes from the heading text alone, so it stays the same when other sections are edited and
a help-center link like `.../forgot-password#重置密码的步骤` keeps working. The text before the first
heading is the article's short answer; its anchor is `top`, which browsers treat as the page top.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata

from ..model import Article, ArticleView, Chunk, Section
from ..options import ChunkSettings
from ..text import markdown_to_text, sentences

INTRO_ANCHOR = "top"
# first character of an alternative question's chunk id instead of a hex digit (20 characters still)
QUESTION_MARK = "q"
FENCES = ("```", "~~~")


def parse_heading(line: str) -> tuple[int, str] | None:
    """(level 1..6, heading text) of an ATX heading line (`## Title ##`), else None. Linear time
    with string methods: the pattern it replaces, `^(#{1,6})\\s+(.+?)\\s*#*\\s*$`, took cubic time
    on `# a` + 10,000 spaces + `b`. Same results: 1 to 6 '#', whitespace, then the text without
    the closing '#'s and surrounding whitespace (text made only of '#'s keeps one '#'); a line
    whose text would be a single whitespace character is not a heading."""
    rest = line.lstrip("#")
    level = len(line) - len(rest)
    if not 1 <= level <= 6 or not rest[:1].isspace() or len(rest) < 2:
        return None
    text = rest.lstrip()
    if not text:  # only whitespace after the '#'s: the pattern left one character as the text
        return level, ""
    core = text.rstrip().rstrip("#").rstrip()
    return level, (core or text[0]).strip()


def anchor_for(heading: str) -> str:
    """URL fragment from a heading: lower-case, punctuation dropped, spaces to '-', CJK kept."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    text = "".join(ch if (ch.isalnum() or ch in "-_ ") else " " for ch in text)
    return re.sub(r"[\s-]+", "-", text).strip("-") or "section"


def split_sections(article: Article) -> list[Section]:
    """Sections in document order; headings inside code fences are text, not boundaries."""
    blocks: list[tuple[str, int, int, list[str]]] = [(article.title, 0, article.body_line, [])]
    in_fence = False
    for offset, line in enumerate(article.body.split("\n")):
        if line.lstrip().startswith(FENCES):
            in_fence = not in_fence
        heading = None if in_fence else parse_heading(line)
        if heading:
            blocks.append((heading[1], heading[0], article.body_line + offset, []))
        else:
            blocks[-1][3].append(line)
    sections: list[Section] = []
    used: dict[str, int] = {}
    for heading, level, line, body_lines in blocks:
        markdown = "\n".join(body_lines).strip()
        if level == 0 and not markdown:
            continue
        base = INTRO_ANCHOR if level == 0 else anchor_for(heading)
        used[base] = used.get(base, 0) + 1
        anchor = base if used[base] == 1 else f"{base}-{used[base]}"
        sections.append(
            Section(
                slug=article.slug,
                index=len(sections),
                heading=heading,
                anchor=anchor,
                level=level,
                markdown=markdown,
                text=markdown_to_text(markdown),
                line=line,
            )
        )
    return sections


def _windows(text: str, settings: ChunkSettings) -> list[str]:
    """Sentence-aligned windows of about max_chars, with up to overlap_chars of whole sentences
    carried over; a window that starts with carried sentences can reach max_chars + overlap_chars."""
    if len(text) <= settings.max_chars:
        return [text]
    pieces: list[str] = []
    step = settings.max_chars - settings.overlap_chars
    for sentence in sentences(text):
        start = 0  # a run-on line without punctuation is cut into overlapping pieces
        while len(sentence) - start > settings.max_chars:
            pieces.append(sentence[start : start + settings.max_chars])
            start += step
        pieces.append(sentence[start:])
    windows: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and sum(map(len, current)) + len(piece) > settings.max_chars:
            windows.append("".join(current))
            carry: list[str] = []
            for prev in reversed(current):
                if sum(map(len, carry)) + len(prev) > settings.overlap_chars:
                    break
                carry.insert(0, prev)
            current = carry
        current.append(piece)
    if current and (not windows or "".join(current) not in windows[-1]):
        windows.append("".join(current))
    return windows


def chunk_article(
    article: Article | ArticleView,
    sections: list[Section],
    settings: ChunkSettings = ChunkSettings(),
) -> list[Chunk]:
    """Chunks of one article, section by section in order. The embedded text starts with the title
    and heading so a chunk that never repeats the topic ("点击下一步即可") is still found for it.
    A section without text is one chunk of its heading. After them, one chunk per alternative
    question (`article.questions`, embedded alone like the title vector's text) and one for the
    `summary` (after the title), all of the first section: a query worded like one of them finds
    the article by its vector and, through the title and tags BM25 adds to every chunk, by its
    words; the card shows the first section, as for a title match."""
    chunks: list[Chunk] = []
    for section in sections:
        body = section.text or section.heading
        for position, text in enumerate(_windows(body, settings)):
            prefix = (
                article.title
                if section.index == 0 and section.level == 0
                else (f"{article.title} - {section.heading}")
            )
            chunks.append(_chunk(article.slug, section, position, text, f"{prefix}\n{text}"))
    if sections:
        first = sections[0]
        start = sum(1 for c in chunks if c.section_index == first.index)
        # an ArticleView read back from the index (cache compaction, kb/build/compact.py) has
        # neither: the index does not store them yet
        summary = getattr(article, "summary", "")
        questions = getattr(article, "questions", ())
        asked = [(q, q) for q in questions]
        if summary:
            asked.append((summary, f"{article.title}\n{summary}"))
        for offset, (text, embed_text) in enumerate(asked):
            chunk = _chunk(article.slug, first, start + offset, text, embed_text)
            # an alternative question's id says so (QUESTION_MARK): search counts it only for a
            # query worded like it (kb/retrieval/questions.py)
            marked = QUESTION_MARK + chunk.chunk_id[1:] if offset < len(questions) else ""
            chunks.append(dataclasses.replace(chunk, chunk_id=marked) if marked else chunk)
    return chunks


def is_question_chunk(chunk_id: str) -> bool:
    """Whether `chunk_id` is an alternative question's chunk (marked by `chunk_article`)."""
    return chunk_id.startswith(QUESTION_MARK)


def _chunk(slug: str, section: Section, position: int, text: str, embed_text: str) -> Chunk:
    """A Chunk of `section` with its content-hash id."""
    digest = hashlib.sha256(
        f"{slug}\x00{section.anchor}\x00{position}\x00{embed_text}".encode()
    ).hexdigest()[:20]
    return Chunk(
        chunk_id=digest,
        slug=slug,
        section_index=section.index,
        position=position,
        text=text,
        embed_text=embed_text,
    )
