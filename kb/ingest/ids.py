"""Stable ids and category names for rows that come from other tools (FAQ tables, exports).

A FAQ row without an `id` column used to get `<file>-<row number>`: inserting a row shifted every
later id, so links, feedback and analytics pointed at other questions. The id is now made from the
question itself (`question_id`), which survives adding, deleting and moving rows and editing the
answer; rewording the question changes it, and an `id` column keeps ids through any edit.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..model import Section
from ..text import clean_text, normalise
from .fields import ASCII_WORD_RE, SLUG_CHARS, default_slug

# names a spreadsheet program gives a new sheet (English, Chinese, French, German, Spanish)
DEFAULT_SHEET_RE = re.compile(r"(sheet|工作表|feuil|tabelle|hoja)\s*\d*", re.I)


def sheet_category(title: str) -> str:
    """The default category of a sheet's rows: its name as a category (`Payments` ->
    `payments`, `常见问题` -> a stable hashed slug, see `default_slug`), or `faq` for a name a
    spreadsheet program gives by itself (Sheet1, 工作表1, Feuil1, Tabelle1)."""
    name = clean_text(title).strip()
    return "faq" if not name or DEFAULT_SHEET_RE.fullmatch(name) else category_slug(name)


def category_slug(name: str) -> str:
    """A category for a name from another tool (a sheet, a help-center section): its words in
    lower case joined by '-' when it is ASCII (`Account & Security` -> `account-security`),
    else `default_slug` (stable, with a hash for CJK names)."""
    words = "-".join(ASCII_WORD_RE.findall(name.lower()))[:SLUG_CHARS].strip("-")
    return words if name.isascii() and words else default_slug(name)


def question_id(question: str) -> str:
    """8 hex digits of sha256 over the question as normalised for search (kb.text.normalise:
    NFKC, Traditional to Simplified) in lower case without spaces and punctuation: the same for
    `如何退款？` and `如何退款`, for a row moved or a row inserted above it."""
    key = "".join(ch for ch in normalise(question).lower() if ch.isalnum())
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def row_id(file_stem: str, question: str) -> str:
    """The id a FAQ row without an id column gets: the file name's slug and `question_id`
    (`faq-1a2b3c4d`), at most SLUG_CHARS characters."""
    return f"{default_slug(file_stem, SLUG_CHARS - 9)}-{question_id(question)}"


# Warning when an id changes for the same question (issue 13 item 4). A FAQ row's id is made from
# its question, so a typo fix or a reworded question gives the row a new id and every link, feedback
# vote and analytics line that named the old one silently stops reaching it.
#
# Two rows of one file, one whose id is gone and one whose id is new, are taken for the same
# question when (best first): their questions are equal as `question_id` compares them (the id
# cell was edited or emptied); their answers are identical and no other gone or new row of the file
# has that answer (a generic answer like "请联系客服" shared by several rows proves nothing); or
# their questions are similar: difflib's ratio of the two `_key`s >= SIMILAR_QUESTION.
# 0.8 admits a one-character typo in a question of 5+ characters, an added polite word
# (请问如何退款 / 如何退款: 0.80) and an English rewording (How do I / How can I reset my
# password: 0.88), and refuses two different short questions (如何退款 / 如何退货: 0.75; How do I
# reset my password / How do I change my email: 0.55); tests/ingest/test_id_changes.py.
SIMILAR_QUESTION = 0.8
QUOTED = 80  # characters of the question quoted in a warning
MAX_COMPARED = 250_000  # question pairs compared by similarity per file (about a second)
TABLE_FILE_RE = re.compile(r"(?P<file>.+\.(csv|xlsx|jsonl))(\[[^\]]*\])?", re.I)


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ row as the id check sees it, from an article being built or one read back from
    the live version: its id (slug), question (title), answer (its sections' headings and
    Markdown, joined), `source` (`faq.csv`, `faq.xlsx[Sheet]`) and `line` (its row)."""

    id: str
    question: str
    answer: str
    source: str
    line: int

    @property
    def file(self) -> str:
        """The table file without a sheet (`faq.xlsx`): rows may move between sheets."""
        found = TABLE_FILE_RE.fullmatch(self.source)
        return found.group("file") if found else self.source

    @property
    def explicit(self) -> bool:
        """Whether the id was written (an id or slug column), not made from the question."""
        return self.id != row_id(Path(self.file).stem, self.question)


def faq_entry(slug: str, title: str, source: str, sections: Sequence[Section]) -> FaqEntry | None:
    """The FaqEntry of an article (an Article with `split_sections`, or an ArticleView with its
    sections), or None when it does not come from a FAQ table (.csv, .xlsx, .jsonl)."""
    if not TABLE_FILE_RE.fullmatch(source):
        return None
    answer = "\n".join((s.heading if s.level else "") + "\n" + s.markdown for s in sections)
    return FaqEntry(slug, title, answer, source, sections[0].line if sections else 0)


def _key(text: str) -> str:
    """What questions and answers are compared by: normalised, lower case, letters and digits."""
    return "".join(ch for ch in normalise(text).lower() if ch.isalnum())


def question_similarity(one: str, other: str) -> float:
    """difflib's ratio (0..1) of two questions compared as `_key`s (what SIMILAR_QUESTION
    thresholds)."""
    return difflib.SequenceMatcher(None, _key(one), _key(other)).ratio()


def _pairs(gone: list[FaqEntry], new: list[FaqEntry]) -> list[tuple[float, int, int]]:
    """(score, gone index, new index) of the pairs taken for the same question, best first: 4 for
    an equal question, 2 + ratio for a unique identical answer, the ratio for a similar question
    (compared only among at most MAX_COMPARED pairs: a table whose every id changed, e.g. an id
    column deleted, is matched by its equal questions alone)."""
    questions = [_key(e.question) for e in gone], [_key(e.question) for e in new]
    answers = [_key(e.answer) for e in gone], [_key(e.answer) for e in new]
    counts = Counter(answers[0]) + Counter(answers[1])
    compare = len(gone) * len(new) <= MAX_COMPARED
    pairs = []
    for i, old in enumerate(questions[0]):
        for j, now in enumerate(questions[1]):
            if old == now:
                pairs.append((4.0, i, j))
                continue
            if not compare and answers[0][i] != answers[1][j]:
                continue
            matcher = difflib.SequenceMatcher(None, old, now)
            if answers[0][i] and answers[0][i] == answers[1][j] and counts[answers[0][i]] == 2:
                pairs.append((2.0 + matcher.ratio(), i, j))
            elif compare and matcher.quick_ratio() >= SIMILAR_QUESTION:
                ratio = matcher.ratio()
                if ratio >= SIMILAR_QUESTION:
                    pairs.append((ratio, i, j))
    return sorted(pairs, key=lambda p: (-p[0], p[1], p[2]))


def id_changes(
    before: Iterable[FaqEntry], after: Iterable[FaqEntry], before_ids: set[str] | None = None
) -> list[Problem]:
    """One warning per FAQ row of `after` whose id replaced the id of the same question in
    `before` (the live version) in the same file, at the row's `file[sheet]:line`, naming the old
    and new ids and how to keep the old one; sorted by path and line. Rows whose ids did not
    change, and genuinely new or deleted questions, give nothing. `before_ids`: every id of the
    previous version when `before` holds only some of its rows (default: the ids of `before`)."""
    before, after = list(before), list(after)
    new_ids = {e.id for e in after}
    old_ids = {e.id for e in before} if before_ids is None else before_ids
    by_file: dict[str, tuple[list[FaqEntry], list[FaqEntry]]] = {}
    for entry in before:
        if entry.id not in new_ids:
            by_file.setdefault(entry.file, ([], []))[0].append(entry)
    for entry in after:
        if entry.id not in old_ids and entry.file in by_file:
            by_file[entry.file][1].append(entry)
    warnings = []
    for gone, new in by_file.values():
        used_old, used_new = set(), set()
        for _, i, j in _pairs(gone, new):
            if i not in used_old and j not in used_new:
                used_old.add(i), used_new.add(j)
                warnings.append(_warning(gone[i], new[j]))
    return sorted(warnings, key=lambda p: (p.path, p.line))


def _warning(old: FaqEntry, now: FaqEntry) -> Problem:
    """The warning for one changed id, with the fix that fits how the new id was made."""
    if _key(old.question) != _key(now.question):
        why = "question edited"
    else:
        why = "id cell edited" if now.explicit else "id cell emptied or id column removed"
    fix = (
        f"put {old.id} back in its id cell"
        if now.explicit
        else f"add an 'id' column with {old.id} on this row"
    )
    return Problem(
        now.source,
        now.line,
        f'the id of "{now.question[:QUOTED]}" changed from {old.id} to {now.id} ({why}); links, '
        f"feedback and analytics for {old.id} no longer reach it; to keep {old.id} {fix}",
    )
