"""The reviewed suggestions file `<articles>/questions.yaml`: customers' wordings attached to
articles by editors, which the next build indexes like each article's title (the loader, kb/ingest,
reads it; this module only writes it).

Format (the contract with the loader): a YAML mapping slug -> list of question strings, e.g.

    reset-password:
      - 登录密码忘了怎么办
      - can't log in, forgot password

Writes are safe: the file is read, changed and written back whole under an exclusive lock
(`<articles>/.questions.yaml.lock`, so two editors saving at once both keep their question), by
write-then-rename (a crash leaves the old file or the new one), keeping every existing entry and its
order. A question already attached (to the same article) is not added twice and one attached to
another article is refused, compared as the build compares them (kb/ingest/questions.py
`question_key`: width, case, spaces, end punctuation, Traditional/Simplified).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import yaml

from ..atomic import atomic_write_text
from ..errors import Problem, ValidationError
from ..ingest.fields import SLUG_RE
from ..ingest.questions import question_key
from ..text import clean_text

QUESTIONS_FILE = "questions.yaml"
MAX_QUESTION_CHARS = 200
MAX_QUESTIONS = 50  # per article: the loader's limit (kb/ingest/questions.py); more fails the build
HEADER = (
    "# Reviewed alternative questions: article slug -> the ways customers ask for it.\n"
    "# Written by the editor page (Improve content); edit by hand if you like. The next build\n"
    "# indexes each question like the article's title.\n"
)


def _problem(path: Path, line: int, message: str) -> ValidationError:
    return ValidationError([Problem(str(path), line, message)])


def read_questions(articles_dir: str | Path) -> dict[str, list[str]]:
    """slug -> questions of `<articles_dir>/questions.yaml`, in file order; {} when there is no
    such file. Raises ValidationError (path:line) when it is not UTF-8 YAML holding a mapping of
    slugs to lists of strings: the file is then never rewritten, so nothing in it is lost."""
    path = Path(articles_dir) / QUESTIONS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise _problem(path, 0, f"not valid UTF-8 ({exc.reason}); save it as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise _problem(
            path, line, f"{reason}; fix the YAML (slug: then - question lines)"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _problem(path, 1, "must be a mapping of article slug -> list of questions")
    out: dict[str, list[str]] = {}
    for slug, questions in data.items():
        if questions is None:
            questions = []
        if not isinstance(slug, str) or not isinstance(questions, list):
            raise _problem(
                path, _line_of(text, slug), f"{slug!r}: give a slug and a list of questions"
            )
        if not all(isinstance(q, str) for q in questions):
            raise _problem(path, _line_of(text, slug), f"{slug}: every question must be a string")
        out[slug] = list(questions)
    return out


def _line_of(text: str, key: object) -> int:
    """The 1-based line where `key:` starts in `text`, 0 when not found."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 0


@contextlib.contextmanager
def _locked(articles_dir: Path):
    """An exclusive flock on `<articles_dir>/.questions.yaml.lock`, waiting for another writer."""
    fd = os.open(articles_dir / f".{QUESTIONS_FILE}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def clean_question(question: str) -> str:
    """`question` as it is stored: invisible characters removed, blanks collapsed. Raises
    ValidationError (field "question") when it is empty or longer than MAX_QUESTION_CHARS."""
    text = " ".join(clean_text(question).split())
    if not text or len(text) > MAX_QUESTION_CHARS:
        raise _problem(
            Path("question"),
            0,
            f"{len(text)} characters; a question needs 1 to {MAX_QUESTION_CHARS}: shorten it",
        )
    return text


def attach_question(articles_dir: str | Path, slug: str, question: str) -> bool:
    """Attach `question` to the article `slug` in `<articles_dir>/questions.yaml` (created when
    missing). Returns True when added, False when the article already has it (same
    `question_key`: the form the build compares questions of two articles in, so a question the
    build would refuse as shared is refused here). Raises ValidationError: an empty or over-long
    question, a question attached to another article (named, with the fix), an article with
    MAX_QUESTIONS already, a damaged file (left untouched); OSError when the folder
    cannot be written (the file is unchanged then)."""
    articles_dir = Path(articles_dir)
    if not SLUG_RE.fullmatch(slug):
        raise _problem(Path("slug"), 0, f"{slug!r} is not an article slug; pick the article again")
    text = clean_question(question)
    key = question_key(text)
    with _locked(articles_dir):
        data = read_questions(articles_dir)
        for other, questions in data.items():
            if any(question_key(q) == key for q in questions):
                if other == slug:
                    return False
                raise _problem(
                    articles_dir / QUESTIONS_FILE,
                    _line_of_question(articles_dir, other),
                    f"{text!r} is already attached to {other}; remove it there first",
                )
        if len(data.get(slug, [])) >= MAX_QUESTIONS:
            raise _problem(
                articles_dir / QUESTIONS_FILE,
                _line_of_question(articles_dir, slug),
                f"{slug} already has {MAX_QUESTIONS} questions, the most an article may have; "
                "remove one it no longer needs first",
            )
        data.setdefault(slug, []).append(text)
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
        atomic_write_text(articles_dir / QUESTIONS_FILE, HEADER + body)
    return True


def _line_of_question(articles_dir: Path, slug: str) -> int:
    """The line of `slug:` in the questions file (for a message), 0 when it cannot be read."""
    try:
        return _line_of((articles_dir / QUESTIONS_FILE).read_text(encoding="utf-8"), slug)
    except OSError:
        return 0
