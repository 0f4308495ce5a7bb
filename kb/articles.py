"""Articles: the model, Markdown loading and validation.

Every problem an editor can make is collected (not raised one at a time) so a single `build` run lists
them all as `path:line: message`, each naming the fix.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem, ValidationError
from .options import Language, Visibility
from .text import clean_text

MARKDOWN_SUFFIXES = (".md", ".markdown")
TABLE_SUFFIXES = (".csv", ".xlsx", ".jsonl")
KNOWN_FIELDS = ("title", "slug", "category", "language", "visibility", "tags", "url", "updated")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_ARTICLE_BYTES = 2_000_000  # refused before decoding, so a 20 MB file costs nothing
MAX_ARTICLE_CHARS = 100_000
MAX_WORD_CHARS = 5_000  # a Chinese paragraph has no spaces; 5,000 characters is several pages


@dataclass(frozen=True)
class Article:
    """One help-center article, from a Markdown file or one row of a FAQ table."""

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
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_public(self) -> bool:
        return self.visibility is Visibility.PUBLIC

    @functools.cached_property
    def content_hash(self) -> str:
        """Hash of everything that affects search, so an unchanged article is recognised on rebuild."""
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
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def link(self, anchor: str = "") -> str:
        """Source link: the canonical URL, or the app's own article view when there is none."""
        base = self.url or f"?article={self.slug}"
        return f"{base}#{anchor}" if anchor else base


def guess_language(text: str) -> Language:
    return Language.ZH if CJK_RE.search(text) else Language.EN


def check_slug(slug: object, where: tuple[str, int], problems: list[Problem]) -> str | None:
    """A slug becomes a URL part and a file name; refuse anything that could escape either."""
    path, line = where
    if not isinstance(slug, str) or not slug.strip():
        problems.append(Problem(path, line, "slug must be a non-empty text like 'forgot-password'"))
        return None
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                line,
                f"invalid slug {slug!r}: use lower-case letters, digits, '-' and '_' only "
                f"(no spaces, '/', '..'), at most 120 characters, e.g. 'forgot-password'",
            )
        )
        return None
    return slug


def parse_choice(
    enum_cls, value: object, field_name: str, where: tuple[str, int], problems: list[Problem]
):
    """Enum value from a front-matter field or table cell; a bad one is a problem naming the choices."""
    try:
        return enum_cls.parse(
            value.strip().lower() if isinstance(value, str) else value, field_name
        )
    except ValueError as exc:
        problems.append(Problem(where[0], where[1], f"{exc} (field '{field_name}')"))
        return None


def decode_text(raw: bytes, path: str, problems: list[Problem]) -> str | None:
    """Bytes to text, refusing binary, UTF-16 and invalid UTF-8 with a message that says how to fix it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(path, 1, "file is UTF-16 encoded; save it as UTF-8"))
        return None
    if b"\x00" in raw[:8192]:
        problems.append(
            Problem(
                path,
                1,
                "binary file (contains NUL bytes), not text; "
                "remove it or save it as UTF-8 Markdown",
            )
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                path,
                line,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                f"save the file as UTF-8 (e.g. convert it from GBK/Big5)",
            )
        )
        return None
    return text.removeprefix("\ufeff")


def _field_line(front_lines: list[str], key: str, default: int) -> int:
    """1-based file line of `key:` in the front matter (front matter starts on file line 2)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for i, line in enumerate(front_lines):
        if pattern.match(line):
            return i + 2
    return default


def _as_text(value: object, name: str, where: tuple[str, int], problems: list[Problem]) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    problems.append(
        Problem(
            where[0], where[1], f"field '{name}' must be text, got {type(value).__name__} {value!r}"
        )
    )
    return ""


def _as_tags(value: object, where: tuple[str, int], problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(t.strip() for t in re.split(r"[,，]", value) if t.strip())
    if isinstance(value, list) and all(isinstance(t, (str, int)) for t in value):
        return tuple(str(t).strip() for t in value if str(t).strip())
    problems.append(
        Problem(
            where[0],
            where[1],
            f"field 'tags' must be a list of words like [密码, 登录] or a comma-separated text, "
            f"got {type(value).__name__} {value!r}",
        )
    )
    return ()


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice: PyYAML would keep the last one silently, so
    `visibility: internal` followed by `visibility: public` would publish the article."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # unhashable keys are refused by the base class
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"field {key!r} is given twice; keep one of them",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def split_front_matter(
    text: str, path: str, problems: list[Problem]
) -> tuple[dict, int, str] | None:
    """(front matter mapping, first body line, body) or None after recording why not."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(
            Problem(
                path,
                1,
                "missing front matter: start the file with a '---' line, "
                "then 'title: ...', then a closing '---' line",
            )
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        problems.append(
            Problem(
                path,
                1,
                "front matter opened on line 1 is never closed; "
                "add a '---' line after the last field",
            )
        )
        return None
    front_text = "\n".join(lines[1:end])
    try:
        meta = yaml.load(front_text, Loader=_UniqueKeyLoader) if front_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        fix = "" if "given twice" in reason else "; quote values that contain ':' or '#'"
        problems.append(Problem(path, line, f"invalid YAML in front matter: {reason}{fix}"))
        return None
    if not isinstance(meta, dict):
        problems.append(
            Problem(path, 2, f"front matter must be 'key: value' lines, got {type(meta).__name__}")
        )
        return None
    return meta, end + 2, "\n".join(lines[end + 1 :])


def parse_markdown(
    text: str, path: str, default_slug: str, problems: list[Problem]
) -> Article | None:
    """One Markdown article; problems are appended, None returned when it cannot be used."""
    if not text.strip():
        problems.append(Problem(path, 1, "file is empty; add front matter with a title and a body"))
        return None
    parts = split_front_matter(text, path, problems)
    if parts is None:
        return None
    meta, body_line, body = parts
    front_lines = text.split("\n")[1 : body_line - 2]
    before = len(problems)

    def where(key: str) -> tuple[str, int]:
        return path, _field_line(front_lines, key, 1)

    for key in meta:
        if key not in KNOWN_FIELDS:
            close = difflib.get_close_matches(str(key).strip().lower(), KNOWN_FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    *where(str(key)),
                    f"unknown field {key!r}; {hint}known fields: {', '.join(KNOWN_FIELDS)}",
                )
            )
    title = _as_text(meta.get("title"), "title", where("title"), problems)
    if not title:
        problems.append(
            Problem(*where("title"), "missing title: add 'title: ...' to the front matter")
        )
    slug = check_slug(meta.get("slug", default_slug), where("slug"), problems)
    category = _as_text(meta.get("category", "general"), "category", where("category"), problems)
    if category and not SLUG_RE.match(category):
        problems.append(
            Problem(
                *where("category"),
                f"invalid category {category!r}: use lower-case "
                "letters, digits and '-', e.g. 'payments'",
            )
        )
    language = (
        parse_choice(Language, meta["language"], "language", where("language"), problems)
        if "language" in meta
        else guess_language(title + body)
    )
    visibility = parse_choice(
        Visibility, meta.get("visibility", "public"), "visibility", where("visibility"), problems
    )
    tags = _as_tags(meta.get("tags"), where("tags"), problems)
    url = _as_text(meta.get("url"), "url", where("url"), problems)
    if url and not re.match(r"^(https?://|/)\S*$", url):
        problems.append(
            Problem(
                *where("url"),
                f"invalid url {url!r}: use an http(s):// link or a path starting with '/'",
            )
        )
    updated = _as_text(meta.get("updated"), "updated", where("updated"), problems)
    if not body.strip():
        problems.append(
            Problem(
                path,
                body_line,
                "article body is empty; write the answer below the "
                "closing '---' of the front matter",
            )
        )
    if len(problems) > before:
        return None
    stripped = body.lstrip("\n")
    return Article(
        slug=slug,
        title=title,
        body=stripped.rstrip("\n"),
        category=category or "general",
        language=language,
        visibility=visibility,
        tags=tags,
        url=url,
        updated=updated,
        source=path,
        body_line=body_line + len(body) - len(stripped),
    )


def _display_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent)) if root.is_dir() else str(path)
    except ValueError:
        return str(path)


def discover(root: Path) -> list[Path]:
    """Article source files under `root` (or `root` itself), sorted for a stable build order."""
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
    from .faq import load_table  # local import: pandas/openpyxl only when a table is present

    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return load_table(path, display, problems)
    raw = path.read_bytes()
    if len(raw) > MAX_ARTICLE_BYTES:
        problems.append(
            Problem(
                display,
                1,
                f"file is {len(raw):,} bytes, over the "
                f"{MAX_ARTICLE_BYTES:,}-byte limit; split the article",
            )
        )
        return []
    text = decode_text(raw, display, problems)
    if text is None or not check_size(text, display, problems):
        return []
    article = parse_markdown(clean_text(text), display, path.stem.lower(), problems)
    return [article] if article else []


def check_size(text: str, display: str, problems: list[Problem], first_line: int = 1) -> bool:
    """Refuse text that would flood the index: too long overall, or a run-on line (e.g. pasted
    base64) that no customer could read and that would become hundreds of chunks."""
    for offset, line in enumerate(text.split("\n")):
        longest = max((len(w) for w in line.split()), default=0)
        if longest > MAX_WORD_CHARS:
            problems.append(
                Problem(
                    display,
                    first_line + offset,
                    f"line has a run of {longest:,} characters without a space or line break "
                    f"(limit {MAX_WORD_CHARS:,}); remove pasted data or break it into sentences",
                )
            )
            return False
    if len(text) > MAX_ARTICLE_CHARS:
        problems.append(
            Problem(
                display,
                first_line,
                f"text is {len(text):,} characters, over the "
                f"{MAX_ARTICLE_CHARS:,}-character limit; "
                "split it into several articles",
            )
        )
        return False
    return True


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
    """Problems in the article sources, without building anything (for editors and the app)."""
    try:
        load_articles(root)
    except ValidationError as exc:
        return exc.problems
    return []
