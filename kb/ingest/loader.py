"""Load and validate every article source under a folder (or one file).

Markdown files become one article each, FAQ tables one article per row. Every problem is collected
(not raised one at a time) so a single `build` run lists them all as `path:line: message`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import Problem, ValidationError
from ..model import Article
from ..options import LIMITS
from ..text import clean_text
from .faq import load_table
from .fields import check_size, decode_text, default_slug, read_limited
from .markdown import parse_markdown
from .synonyms import read_synonyms

MARKDOWN_SUFFIXES = (".md", ".markdown")
TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")


def _display_path(path: Path, root: Path) -> str:
    """`path` relative to the folder holding `root` (or as given), always printable: a byte that
    is not UTF-8 in a file name is shown as `\\xff` instead of a lone surrogate, which would
    fail when the CLI prints it or the index stores the article's source."""
    try:
        shown = path.relative_to(root.parent) if root.is_dir() else path
    except ValueError:
        shown = path
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def discover(root: Path) -> list[Path]:
    """Article source files under `root` (or `root` itself), sorted for a stable build order:
    .md, .markdown, .csv, .xlsx and .jsonl at any depth (symbolic links included, so the caller
    can refuse broken ones), skipping anything under a folder or with a name starting with '.'."""
    if root.is_file():
        return [root]
    files = [
        p
        for p in root.rglob("*")
        if (p.is_file() or p.is_symlink())
        and p.suffix.lower() in MARKDOWN_SUFFIXES + TABLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files)


def load_file(path: Path, display: str, problems: list[Problem]) -> list[Article]:
    """Articles of one source file, problems appended with `display` as their path, nothing raised:
    a FAQ table (.csv, .xlsx, .jsonl) gives one per usable row, a Markdown file at most one.
    A Markdown file over LIMITS.article_bytes (2,000,000 bytes) is refused by its size, before it
    is read; its slug defaults to `default_slug` of the file name."""
    if not path.is_file():
        problems.append(
            Problem(display, 1, "not a regular file (a device, pipe or folder); remove it")
        )
        return []
    if path.suffix.lower() in TABLE_SUFFIXES:
        return load_table(path, display, problems)
    raw = read_limited(path, LIMITS.article_bytes, display, problems, "split the article")
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None or not check_size(text, display, problems):
        return []
    article = parse_markdown(clean_text(text), display, default_slug(path.stem), problems)
    return [article] if article else []


def load_articles(root: str | Path) -> list[Article]:
    """All articles under `root` (a folder, a Markdown file or a FAQ table), validated.

    Raises ValidationError listing every problem; returns articles sorted by slug otherwise.
    """
    root = Path(root)
    if not root.exists():
        raise ValidationError(
            [
                Problem(
                    str(root),
                    0,
                    "no such file or folder; pass --articles with "
                    "a folder of Markdown files or a FAQ table",
                )
            ]
        )
    problems: list[Problem] = []
    articles: list[Article] = []
    real_root = root.resolve()
    for path in discover(root):
        display = _display_path(path, root)
        if root.is_dir() and not path.resolve().is_relative_to(real_root):
            problems.append(
                Problem(
                    display,
                    1,
                    "symbolic link points outside the articles folder; "
                    "copy the file into the folder instead",
                )
            )
            continue
        if not path.exists():
            problems.append(
                Problem(display, 1, "broken symbolic link; remove it or fix its target")
            )
            continue
        articles.extend(load_file(path, display, problems))
    if root.is_dir() and not articles and not problems:
        problems.append(
            Problem(
                str(root), 0, "no articles found (.md, .csv, .xlsx or .jsonl); add at least one"
            )
        )
    problems.extend(duplicate_slugs(articles))
    if problems:
        raise ValidationError(problems)
    return sorted(articles, key=lambda a: a.slug)


def duplicate_slugs(articles: Iterable[Article]) -> list[Problem]:
    """One Problem per article whose slug an earlier one already has, at the later article's
    source and body line, naming where the first one is."""
    first: dict[str, Article] = {}
    problems = []
    for article in articles:
        if article.slug in first:
            other = first[article.slug]
            problems.append(
                Problem(
                    article.source,
                    article.body_line,
                    f"duplicate slug {article.slug!r} (also used by {other.source}:{other.body_line}); "
                    "give one of them a different 'slug'",
                )
            )
        else:
            first[article.slug] = article
    return problems


def validate(root: str | Path) -> list[Problem]:
    """Problems in the article sources and the synonyms list (kb/ingest/synonyms.py), without
    building anything (for editors and the app); [] when a build would accept them."""
    synonym_problems = read_synonyms(root)[1]  # the synonyms list is checked with them
    try:
        load_articles(root)
    except ValidationError as exc:
        return exc.problems + synonym_problems
    return synonym_problems
