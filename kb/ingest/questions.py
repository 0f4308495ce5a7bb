"""Alternative questions: the other ways customers ask for an article, each indexed like its title.

Three sources, one check (`as_questions`): a front-matter list (`questions: [忘了密码怎么办, ...]`),
a FAQ-table column (`questions`, or 相似问题 / 其他问法 / 相似问法, one question per line of the
cell, or separated by ';' / '；' / '|'), and the reviewed suggestions file `<articles>/questions.yaml`
that the editor page writes:

    forgot-password:
      - 密码忘了登不上
      - reset my password
    withdrawal-fees: [提现收费吗]

The file maps a slug to a list of questions. An unknown slug, a value that is not a list of texts,
an empty or over-long question, a question given twice (for one article) and a slug given twice
are problems on the file's own line; the build then fails like for any other source. One question
under two articles (from any of the sources; compared after `normalise` and without spaces and
end punctuation) is refused naming both places: the search could not tell which one was meant.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from ..errors import Problem
from ..model import Article
from ..options import LIMITS
from ..text import clean_text, normalise
from .fields import decode_text, read_limited, shown
from .ids import TABLE_FILE_RE, question_similarity, row_id

SUGGESTIONS_FILE = "questions.yaml"
MAX_QUESTIONS = 50  # per article: more reads like pasted logs, and each one is a vector
MAX_QUESTION_CHARS = 300  # a question, not an answer
CELL_SPLIT_RE = re.compile(r"[\n;；|]")
LIST_FIX = "write them as a list like [忘了密码怎么办, reset my password]"


def as_questions(
    value: object,
    where: tuple[str, int],
    problems: list[Problem],
    name: str = "questions",
    item_lines: list[int] | None = None,
) -> tuple[str, ...]:
    """The questions of a list of texts (each `clean_text`, stripped), or () after Problems at
    `where` (path, line): not a list (a single text too: `questions: a, b` is one question by
    accident), an item that is not text or number, an empty one, one over MAX_QUESTION_CHARS
    characters, one given twice (compared in lower case), more than MAX_QUESTIONS. `item_lines`:
    the line of each item, where its problem is reported (else `where`'s line)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(
            Problem(*where, f"field '{name}' must be a list, got {shown(value)}; {LIST_FIX}")
        )
        return ()
    before = len(problems)
    out: list[str] = []
    seen: set[str] = set()
    for number, item in enumerate(value):
        here = (where[0], item_lines[number]) if item_lines else where
        text = (
            clean_text(str(item)).strip()
            if isinstance(item, str | int | float) and not isinstance(item, bool)
            else None
        )
        if not text:
            problems.append(Problem(*here, f"'{name}' has an empty or non-text item {shown(item)}"))
        elif len(text) > MAX_QUESTION_CHARS:
            problems.append(
                Problem(
                    *here,
                    f"question {shown(text)} is {len(text)} characters (limit "
                    f"{MAX_QUESTION_CHARS}); write it as a customer would ask it",
                )
            )
        elif text.lower() in seen:
            problems.append(Problem(*here, f"question {shown(text)} is given twice; keep one"))
        else:
            seen.add(text.lower())
            out.append(text)
    if len(out) > MAX_QUESTIONS:
        problems.append(
            Problem(
                *where, f"{len(out)} questions, over the limit of {MAX_QUESTIONS}; keep the best"
            )
        )
    return tuple(out) if len(problems) == before else ()


def cell_questions(cell: str, where: tuple[str, int], problems: list[Problem]) -> tuple[str, ...]:
    """The questions of a FAQ-table cell: one per line, or separated by ';', '；' or '|'."""
    parts = [p.strip() for p in CELL_SPLIT_RE.split(cell)]
    return as_questions([p for p in parts if p], where, problems, "questions")


def _node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def read_suggestions(
    path: Path, display: str, problems: list[Problem]
) -> dict[str, tuple[tuple[str, ...], int]]:
    """slug -> (questions, line of the slug) from a suggestions file; {} after a Problem (too
    big, not UTF-8, not YAML, not a mapping of slugs to lists, a slug given twice, a bad item)."""
    raw = read_limited(path, LIMITS.table_bytes, display, problems, "keep fewer suggestions")
    text = None if raw is None else decode_text(raw, display, problems)
    if text is None or not text.strip():
        return {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or "not YAML"
        problems.append(Problem(display, line, f"invalid YAML ({reason}); {_FORMAT}"))
        return {}
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        problems.append(
            Problem(display, _node_line(root), f"expected slug: [questions]; {_FORMAT}")
        )
        return {}
    out: dict[str, tuple[tuple[str, ...], int]] = {}
    for key_node, value_node in root.value:
        line = _node_line(key_node)
        slug = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not slug:
            problems.append(Problem(display, line, f"a key must be an article's slug; {_FORMAT}"))
        elif slug in out:
            problems.append(
                Problem(
                    display,
                    line,
                    f"slug {slug!r} is given twice (also on line {out[slug][1]}); merge the lists",
                )
            )
        else:
            value = yaml.load(yaml.serialize(value_node), Loader=yaml.SafeLoader)
            lines = (
                [_node_line(n) for n in value_node.value]
                if isinstance(value_node, yaml.SequenceNode)
                else None
            )
            out[slug] = (as_questions(value, (display, line), problems, slug, lines), line)
    return out


_FORMAT = "write one 'slug: [question, ...]' entry per article, e.g. 'forgot-password: [忘了密码]'"


def attach_suggestions(
    articles: list[Article], root: Path, display: str, problems: list[Problem]
) -> list[Article]:
    """`articles` with the suggestions of `root/questions.yaml` (when the file exists) appended
    to their questions; an unknown slug or a question the article already has is a Problem on
    the file's line."""
    path = root / SUGGESTIONS_FILE
    if not root.is_dir() or not path.is_file():
        return articles
    suggestions = read_suggestions(path, display, problems)
    by_slug = {a.slug: a for a in articles}
    owners = _owners(articles)
    for slug, (questions, line) in suggestions.items():
        if slug in by_slug and _clash(owners, slug, questions, f"{display}:{line}", problems):
            continue
        article = by_slug.get(slug)
        if article is None:
            hint = renamed_row_hint(slug, questions, articles, set(suggestions))
            problems.append(
                Problem(
                    display,
                    line,
                    hint
                    or f"unknown slug {shown(slug)}: no article has it; fix the slug or delete "
                    "the entry",
                )
            )
            continue
        known = {q.lower() for q in (article.title, *article.questions)}
        repeated = [q for q in questions if q.lower() in known]
        if repeated:
            problems.append(
                Problem(
                    display,
                    line,
                    f"{slug}: {shown(repeated[0])} is already the title or a question of the "
                    "article; delete it here",
                )
            )
            continue
        by_slug[slug] = dataclasses.replace(article, questions=article.questions + questions)
    return [by_slug[a.slug] for a in articles]


_KEY_DROP_RE = re.compile(r"[\s?？!！.。,，、~～]+")


def question_key(question: str) -> str:
    """The form two questions are compared in across articles: `normalise` (width, case,
    Traditional/Simplified), then without spaces and punctuation (`忘了密码怎么办？` = `忘了 密码怎么办`)."""
    return _KEY_DROP_RE.sub("", normalise(question))


def _owners(articles: list[Article]) -> dict[str, tuple[str, str]]:
    """question key -> (slug, "source:line") of the first article that has the question."""
    owners: dict[str, tuple[str, str]] = {}
    for article in articles:
        if article.questions:
            place = f"{article.source}:{article.slug_line or article.body_line}"
            for question in article.questions:
                owners.setdefault(question_key(question), (article.slug, place))
    return owners


def _clash(owners: dict, slug: str, questions, place: str, problems: list[Problem]) -> bool:
    """Whether one of `questions` (of article `slug`, written at `place` "path:line") is already
    another article's (a Problem naming both places, added to `problems`); else records them."""
    for question in questions:
        other = owners.get(question_key(question))
        if other is not None and other[0] != slug:
            path, _, line = place.rpartition(":")
            problems.append(
                Problem(
                    path,
                    int(line),
                    f"question {shown(question)} of {slug!r} is also a question of {other[0]!r} "
                    f"({other[1]}); keep it under one article only",
                )
            )
            return True
    for question in questions:
        owners.setdefault(question_key(question), (slug, place))
    return False


def shared_questions(articles: list[Article]) -> list[Problem]:
    """One Problem per article that has a question another (earlier) article already has, at
    the later article's slug line (its body line when the slug was not written), naming the first
    place."""
    owners: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    for article in articles:
        if article.questions:  # most have none: no place to format (0.15 s per 100,000)
            place = f"{article.source}:{article.slug_line or article.body_line}"
            _clash(owners, article.slug, article.questions, place, problems)
    return problems


LIKELY = 0.3  # difflib ratio: below it a row's question shares too little to be named
_ROW_ID_RE = re.compile(r"(?P<stem>.+)-[0-9a-f]{8}")


def renamed_row_hint(
    slug: str, questions: tuple[str, ...], articles: list[Article], referenced: set[str]
) -> str:
    """The message for an unknown `slug` that has the shape of a FAQ row id made from a question
    (`<file>-<8 hex>`, kb/ingest/ids.py `row_id`) of a table file still present: the row's
    question was edited (or the row deleted), so its id changed. Names the likely new id (the
    file's row, not itself `referenced`, whose question is nearest the entry's `questions` or the
    only such row) and both fixes; "" when `slug` is not such an id."""
    found = _ROW_ID_RE.fullmatch(slug)
    rows = [
        a
        for a in articles
        if found
        and (m := TABLE_FILE_RE.fullmatch(a.source))
        and row_id(Path(m.group("file")).stem, "")[:-9] == found.group("stem")
    ]
    if not rows:
        return ""
    file = TABLE_FILE_RE.fullmatch(rows[0].source).group("file")
    free = [a for a in rows if a.slug not in referenced]
    scored = sorted(
        ((max((question_similarity(q, a.title) for q in questions), default=0.0), a) for a in free),
        key=lambda pair: -pair[0],
    )
    fix = f"or add an 'id' column with {slug} to that row of {file}"
    if len(scored) == 1 or (scored and scored[0][0] >= LIKELY and scored[0][0] > scored[1][0]):
        new = scored[0][1]
        return (
            f"{slug} is no longer the id of a row of {file}: ids are made from the question, so "
            f"editing it changed the id; it is probably now {new.slug} "
            f'("{new.title[:80]}", {new.source}:{new.body_line}): write {new.slug} here, {fix}'
        )
    return (
        f"{slug} is no longer the id of a row of {file}: ids are made from the question, so "
        f"editing it changed the id (or the row was deleted); write the row's new id here "
        f"(the build's id-change warning names it), {fix}, or delete the entry"
    )
