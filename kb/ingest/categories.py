"""Category display names: `categories.yaml` beside the articles maps each category code to its
name in both interface languages, so customers read "账户安全" / "Account security" instead of
`account-security`.

    account-security:
      zh: 账户安全
      en: Account security

The file is optional. When present it is validated like the articles (every problem as
`path:line: message`): a code must be a valid category code, each entry needs exactly the keys
`zh` and `en` with non-empty text, and every article's category must be listed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from ..errors import Problem
from ..model import Article
from .fields import SLUG_RE, shown

CATEGORIES_FILE = "categories.yaml"
NAME_KEYS = ("zh", "en")
MAX_BYTES = 200_000  # a few thousand categories; a bigger file is a mistake, not a taxonomy


def categories_path(root: str | Path) -> Path | None:
    """`<root>/categories.yaml` when `root` is a folder that has one, else None."""
    path = Path(root) / CATEGORIES_FILE
    return path if Path(root).is_dir() and path.is_file() else None


def _key_lines(node: yaml.Node) -> dict[str, int]:
    """1-based line of each top-level key of a mapping node (the first when given twice)."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            lines.setdefault(str(key.value), key.start_mark.line + 1)
    return lines


def _entry(code: str, value: object, where: tuple[str, int], problems: list[Problem]) -> dict:
    """The {"zh": ..., "en": ...} names of one category, or {} after appending problems."""
    if not SLUG_RE.match(code):
        problems.append(
            Problem(
                *where,
                f"invalid category code {shown(code)}: use the code articles use in "
                "'category:', lower-case letters, digits and '-', e.g. 'payments'",
            )
        )
        return {}
    if not isinstance(value, dict):
        problems.append(
            Problem(
                *where,
                f"category {code!r} must map 'zh' and 'en' to names, got "
                f"{shown(value)}; write e.g. '{code}: {{zh: 支付, en: Payments}}'",
            )
        )
        return {}
    before = len(problems)
    for key in value:
        if key not in NAME_KEYS:
            close = difflib.get_close_matches(str(key), NAME_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    *where,
                    f"unknown key {shown(key)} in category {code!r}; {hint}use 'zh' and 'en'",
                )
            )
    for key in NAME_KEYS:
        name = value.get(key)
        if not isinstance(name, str) or not name.strip():
            problems.append(
                Problem(
                    *where, f"category {code!r} needs a non-empty '{key}' name, got {shown(name)}"
                )
            )
    if len(problems) > before:
        return {}
    return {key: value[key].strip() for key in NAME_KEYS}


def parse_categories(text: str, display: str, problems: list[Problem]) -> dict[str, dict]:
    """code -> {"zh": name, "en": name} from the file's text; problems appended (at the line of
    the code concerned) for invalid YAML, a top level that is not a mapping, a code given twice,
    a bad code, an unknown or missing name key. Never raises."""
    try:
        node = yaml.compose(text) if text.strip() else None
        data = yaml.safe_load(text) if node is not None else {}
    except (yaml.YAMLError, RecursionError) as exc:
        # where the broken construct began (an unclosed '[' or quote), else where it broke
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or "nested too deeply"
        problems.append(
            Problem(
                display,
                line,
                f"invalid YAML: {reason}; write 'code:' lines "
                "each followed by indented 'zh:' and 'en:' names",
            )
        )
        return {}
    if not isinstance(data, dict):
        problems.append(
            Problem(
                display,
                1,
                "categories file must map category codes to names, "
                "e.g. 'payments: {zh: 支付, en: Payments}'",
            )
        )
        return {}
    lines = _key_lines(node)
    seen: set[str] = set()
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if str(key.value) in seen:
                problems.append(
                    Problem(
                        display,
                        key.start_mark.line + 1,
                        f"category {key.value!r} is given twice; keep one",
                    )
                )
            seen.add(str(key.value))
    names = {}
    for code, value in data.items():
        entry = _entry(str(code), value, (display, lines.get(str(code), 1)), problems)
        if entry:
            names[str(code)] = entry
    return names


def read_categories(path: Path, display: str, problems: list[Problem]) -> dict[str, dict]:
    """`parse_categories` of the file at `path` (refused over MAX_BYTES or when not UTF-8)."""
    raw = path.read_bytes()[: MAX_BYTES + 1]
    if len(raw) > MAX_BYTES:
        problems.append(
            Problem(display, 1, f"file is over {MAX_BYTES:,} bytes; keep one entry per category")
        )
        return {}
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        problems.append(Problem(display, 1, "not valid UTF-8; save the file as UTF-8"))
        return {}
    return parse_categories(text, display, problems)


def unlisted_categories(
    articles: Iterable[Article], names: Mapping[str, dict], display: str
) -> list[Problem]:
    """One Problem per article whose category `names` (from `display`) does not list, at the
    article's source and body line, naming the file to add it to and the nearest listed code."""
    problems = []
    for article in articles:
        if article.category in names:
            continue
        close = difflib.get_close_matches(article.category, list(names), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            Problem(
                article.source,
                article.body_line,
                f"category {article.category!r} is not in {display}; {hint}"
                f"add it there with its 'zh' and 'en' names or fix the article's category",
            )
        )
    return problems


def load_category_names(root: str | Path) -> dict[str, dict]:
    """code -> {"zh", "en"} names from `<root>/categories.yaml`; {} when there is none or it has
    problems (the build reports those; a front end then shows the codes)."""
    path = categories_path(root)
    if path is None:
        return {}
    problems: list[Problem] = []
    names = read_categories(path, str(path), problems)
    return {} if problems else names
