"""Load and validate every article source under a folder (or one file).

Markdown (.md, .markdown, .mdx) files become one article each, FAQ tables (every sheet of a
workbook) one article per row, a help-center export (.json) one per exported article. Every
problem is collected (not raised one at a time) so a single `build` run lists them all as
`path:line: message`; notices (drafts, files and sheets skipped and why, merged cells filled,
header rows found, docs-site layout fields ignored) are collected beside them (`load_report`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import base_url as base_url_setting
from ..errors import Problem, ValidationError
from ..model import Article
from ..options import LIMITS
from ..text import clean_text
from .categories import CATEGORIES_FILE, categories_path, read_categories, unlisted_categories
from .chunking import split_sections
from .docsite import Notes, strip_mdx
from .faq import load_table
from .fields import check_size, decode_text, default_slug, read_limited
from .helpcenter import read_export
from .ids import FaqEntry, faq_entry
from .markdown import parse_markdown
from .questions import SUGGESTIONS_FILE, attach_suggestions, shared_questions
from .sourcecache import SourceCache, open_cache
from .synonyms import FILE_NAME as SYNONYMS_FILE
from .synonyms import read_synonyms
from .translations import translation_problems

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")
EXPORT_SUFFIXES = (".json",)
SOURCE_SUFFIXES = MARKDOWN_SUFFIXES + TABLE_SUFFIXES + EXPORT_SUFFIXES
# files beside the articles that are not articles: read by their own code, never listed as skipped
SIDECAR_FILES = (SUGGESTIONS_FILE, CATEGORIES_FILE, "categories.yml", SYNONYMS_FILE)
SKIPPED_SHOWN = 50  # files of other formats named one by one; the rest counted
LOG = logging.getLogger("kb.ingest")


@dataclass(frozen=True)
class LoadReport:
    """What a load found: `articles` (sorted by slug, valid only when `problems` is empty),
    `problems` (errors: the build refuses) and `notices` (done without asking, worth knowing)."""

    articles: list[Article]
    problems: list[Problem]
    notices: list[Problem]


def _display_path(path: Path, root: Path) -> str:
    """`path` relative to the folder holding `root` (or as given), always printable: a byte that
    is not UTF-8 in a file name is shown as `\\xff` instead of a lone surrogate, which would
    fail when the CLI prints it or the index stores the article's source."""
    try:
        shown = path.relative_to(root.parent) if root.is_dir() else path
    except ValueError:
        shown = path
    return os.fsencode(shown).decode("utf-8", "backslashreplace")


def discover(root: Path, notes: Notes | None = None) -> list[Path]:
    """Article source files under `root` (or `root` itself), sorted for a stable build order:
    SOURCE_SUFFIXES at any depth (symbolic links included, so the caller can refuse broken ones),
    skipping anything under a folder or with a name starting with '.'. Other files (images, .txt,
    .html, ...) are skipped with a notice in `notes` each (SIDECAR_FILES silently)."""
    if root.is_file():
        return [root]
    files, others = [], []
    for p in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        if not (p.is_file() or p.is_symlink()):
            continue
        if p.suffix.lower() in SOURCE_SUFFIXES:
            files.append(p)
        elif not (p.parent == root and p.name in SIDECAR_FILES):
            others.append(p)
    if notes is not None:
        for p in others[:SKIPPED_SHOWN]:
            why = f"'{p.suffix}' files" if p.suffix else "files without a suffix"
            notes.add(_display_path(p, root), 0, f"skipped: {why} are not articles ({_FORMATS})")
        if len(others) > SKIPPED_SHOWN:
            notes.add(str(root), 0, f"skipped {len(others) - SKIPPED_SHOWN} more such files")
    return files


_FORMATS = "articles are .md, .mdx, .markdown, .csv, .xlsx, .jsonl or a .json export"


def load_file(
    path: Path, display: str, problems: list[Problem], notes: Notes | None = None, memo=None
) -> list[Article]:
    """Articles of one source file, problems appended with `display` as their path, nothing raised:
    a FAQ table (.csv, .xlsx, .jsonl) gives one per usable row, a help-center export (.json) one
    per article, a Markdown file (.mdx with its import/export/JSX lines removed) at most one.
    A Markdown file over LIMITS.article_bytes (2,000,000 bytes) is refused by its size, before it
    is read; its slug defaults to `default_slug` of the file name. `memo`: a table's rows parsed
    before (kb/ingest/sourcecache.py RowMemo)."""
    notes = Notes() if notes is None else notes
    if not path.is_file():
        problems.append(
            Problem(display, 1, "not a regular file (a device, pipe or folder); remove it")
        )
        return []
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return load_table(path, display, problems, notes, memo)
    if suffix in EXPORT_SUFFIXES:
        return read_export(path, display, problems, notes)
    raw = read_limited(path, LIMITS.article_bytes, display, problems, "split the article")
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None or not check_size(text, display, problems):
        return []
    text = strip_mdx(text) if suffix == ".mdx" else text
    article = parse_markdown(clean_text(text), display, default_slug(path.stem), problems, notes)
    return [article] if article else []


def load_report(
    root: str | Path, base_url: str | None = None, cache_dir: Path | None = None
) -> LoadReport:
    """Articles, problems and notices of everything under `root` (a folder, a Markdown file, a
    FAQ table or an export). `base_url` (default: KB_BASE_URL, see kb/config.py) turns relative
    urls (`/help/fees/`) into absolute links under it. Suggestions in `root/questions.yaml`
    are added to their articles' questions. With `cache_dir` (a build's cache folder), files
    whose bytes did not change since their last clean parse are taken from the source cache
    (kb/ingest/sourcecache.py: same articles and notices). Raises ConfigError for a bad
    KB_BASE_URL only."""
    root = Path(root)
    base = base_url_setting() if base_url is None else base_url.rstrip("/")
    if not root.exists():
        missing = Problem(
            str(root),
            0,
            "no such file or folder; pass --articles with a folder of Markdown files or a FAQ table",
        )
        return LoadReport([], [missing], [])
    problems: list[Problem] = []
    notes = Notes()
    articles: list[Article] = []
    cache = open_cache(cache_dir, root, _display_path(root, root))
    for path in discover(root, notes):
        articles.extend(_load_checked(path, root, problems, notes, cache))
    cache.save()
    if root.is_dir() and not articles and not problems:
        problems.append(Problem(str(root), 0, f"no articles found ({_FORMATS}); add at least one"))
    problems.extend(duplicate_slugs(articles))
    problems.extend(category_problems(root, articles))
    problems.extend(translation_problems(articles))
    problems.extend(shared_questions(articles))
    if not problems and root.is_dir():
        display = _display_path(root / SUGGESTIONS_FILE, root)
        articles = attach_suggestions(articles, root, display, problems)
    relative = sum(a.url.startswith("/") for a in articles)
    if base:
        articles = [_absolute(a, base) for a in articles]
    elif relative:
        notes.add(
            str(root),
            0,
            f"{relative} article(s) have a site-path url like /help/...: set KB_BASE_URL to your "
            "docs site's address (e.g. https://help.example.com) to make them absolute links",
        )
    return LoadReport(
        sorted(articles, key=lambda a: a.slug), problems, notes.all(_display_path(root, root))
    )


def _load_checked(
    path: Path, root: Path, problems: list[Problem], notes: Notes, cache: SourceCache
) -> list[Article]:
    """`load_file` (through `cache`) after refusing a link outside the folder and a broken
    link."""
    display = _display_path(path, root)
    if root.is_dir() and not path.resolve().is_relative_to(root.resolve()):
        problems.append(
            Problem(
                display,
                1,
                "symbolic link points outside the articles folder; "
                "copy the file into the folder instead",
            )
        )
        return []
    if not path.exists():
        problems.append(Problem(display, 1, "broken symbolic link; remove it or fix its target"))
        return []
    return cache.load(path, display, problems, notes, load_file)


def _absolute(article: Article, base: str) -> Article:
    """`article` with a site-path url (`/help/fees/`) joined to `base`."""
    if not article.url.startswith("/"):
        return article
    return dataclasses.replace(article, url=base + article.url)


def load_articles(
    root: str | Path, base_url: str | None = None, cache_dir: Path | None = None
) -> list[Article]:
    """All articles under `root` (a folder, a Markdown file, a FAQ table or an export), validated
    (see `load_report`, also for `cache_dir`); each notice is logged at WARNING on the `kb.ingest`
    logger (printed on stderr by the CLI's build). Raises ValidationError listing every problem;
    returns articles sorted by slug otherwise."""
    report = load_report(root, base_url, cache_dir)
    for notice in report.notices:
        LOG.warning("%s", notice)
    if report.problems:
        raise ValidationError(report.problems)
    return report.articles


def duplicate_slugs(articles: Iterable[Article]) -> list[Problem]:
    """One Problem per article whose slug an earlier one already has, at the later article's
    `slug:` line (its body line when the slug was not written), naming where the first one is."""
    first: dict[str, Article] = {}
    problems = []
    for article in articles:
        if article.slug in first:
            other = first[article.slug]
            problems.append(
                Problem(
                    article.source,
                    article.slug_line or article.body_line,
                    f"duplicate slug {article.slug!r} (also used by "
                    f"{other.source}:{other.slug_line or other.body_line}); "
                    "give one of them a different 'slug'",
                )
            )
        else:
            first[article.slug] = article
    return problems


def category_problems(root: Path, articles: list[Article]) -> list[Problem]:
    """Problems of `<root>/categories.yaml` (kb/ingest/categories.py) and of articles whose
    category it does not list; [] without that file."""
    path = categories_path(root)
    if path is None:
        return []
    display = _display_path(path, root)
    problems: list[Problem] = []
    names = read_categories(path, display, problems)
    return problems or unlisted_categories(articles, names, display)


def validate(root: str | Path) -> list[Problem]:
    """Problems in the article sources and the synonyms list (kb/ingest/synonyms.py), without
    building anything (for editors and the app), sorted by path and line; [] when a build would
    accept them. Notices: `load_report`."""
    synonym_problems = read_synonyms(root)[1]  # the synonyms list is checked with them
    return ValidationError(load_report(root).problems + synonym_problems).problems


def table_entries(root: str | Path, cache_dir: Path | None = None) -> list[FaqEntry]:
    """The FAQ rows under `root` (tables only, read like `load_report` reads them, through the
    source cache in `cache_dir` when given; problems ignored: the build reports them) as
    FaqEntry for the id check (kb/ingest/ids.py `id_changes`); [] when `root` does not exist."""
    root = Path(root)
    if not root.exists():
        return []
    entries = []
    cache = open_cache(cache_dir, root, _display_path(root, root))
    for path in discover(root):
        if path.suffix.lower() in TABLE_SUFFIXES:
            for a in _load_checked(path, root, [], Notes(), cache):
                entries.append(faq_entry(a.slug, a.title, a.source, split_sections(a)))
    cache.save(prune=False, create=False)  # a draft folder's check leaves no cache behind
    return [e for e in entries if e is not None]
