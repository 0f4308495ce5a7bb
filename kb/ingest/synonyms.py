"""Editor-maintained synonyms: `synonyms.txt` in the articles folder, applied at query time.

The format follows the site-search engines (Typesense, Algolia, Meilisearch, Elasticsearch's
`synonym` filter "Solr format"): one rule a line, `#` starts a comment.

    退款, 退钱, refund, chargeback      multi-way: any term finds the others
    unlink card => 解绑, 解除绑定        one-way: the left side finds the right, not back

Terms are compared after `normalise` (Traditional, full-width and case fold to one form), so
`退錢` and `REFUND` match the rule above. Every problem is a `Problem(path, line, message)`, like
an article's: an empty term, a group of one term, a rule with two arrows, a term written twice in
one rule, a term in two multi-way groups (the groups would silently merge), a one-way source
written twice, a term over TERM_CHARS characters, a file over MAX_BYTES or not UTF-8.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..text import CJK_RUN_RE, normalise

FILE_NAME = "synonyms.txt"
MAX_BYTES = 1_000_000  # about 30,000 rules; a help center's list has tens to hundreds
TERM_CHARS = 50  # a term is a word or a short phrase, not a sentence
SEPARATORS = re.compile("[,，、]")


@dataclass(frozen=True)
class Rule:
    """One line of the file: `terms` (normalised, in the editor's order) and `one_way`. A
    multi-way rule maps every term to all its terms; a one-way rule maps `terms[0]` (the left
    side) to `terms[1:]`. `line`: 1-based line number in the file."""

    terms: tuple[str, ...]
    one_way: bool
    line: int

    @property
    def sources(self) -> tuple[str, ...]:
        """The terms that trigger the rule when found in a query."""
        return self.terms[:1] if self.one_way else self.terms


def _split(side: str) -> list[str]:
    return [" ".join(normalise(t).split()) for t in SEPARATORS.split(side)]


def _parse_line(text: str, line: int, path: str, problems: list[Problem]) -> Rule | None:
    """The rule on one non-blank, non-comment line, or None with its problems appended."""
    sides = text.split("=>")
    if len(sides) > 2:
        problems.append(Problem(path, line, "a rule has at most one `=>`; split it in two lines"))
        return None
    groups = [_split(side) for side in sides]
    terms = [t for group in groups for t in group]
    bad = [t for t in terms if len(t) > TERM_CHARS]
    if "" in terms:
        hint = "a side of `=>` is empty" if any(s.strip() == "" for s in sides) else ""
        problems.append(
            Problem(
                path,
                line,
                f"empty term{f' ({hint})' if hint else ''} in {text.strip()!r}; "
                "remove the extra comma or write the missing term",
            )
        )
    elif bad:
        problems.append(
            Problem(
                path,
                line,
                f"term {bad[0][:60]!r} is longer than {TERM_CHARS} characters; "
                "a synonym is a word or short phrase",
            )
        )
    elif len(sides) == 2 and len(groups[0]) != 1:
        problems.append(
            Problem(
                path,
                line,
                f"the left side of `=>` must be one term, not {groups[0]}; write one line per term",
            )
        )
    elif len(terms) < 2:
        problems.append(
            Problem(path, line, f"group {terms!r} has one term; add its synonyms after a comma")
        )
    elif len(set(terms)) < len(terms):
        twice = next(t for t in terms if terms.count(t) > 1)
        problems.append(Problem(path, line, f"term {twice!r} is written twice in this rule"))
    else:
        return Rule(tuple(terms), len(sides) == 2, line)
    return None


def _conflicts(rules: list[Rule], path: str) -> list[Problem]:
    """A term in two multi-way groups, or a one-way source on two lines."""
    problems, seen = [], {}
    for rule in rules:
        for term in rule.sources:
            key = (term, rule.one_way)
            if key in seen:
                what = "the one-way rule" if rule.one_way else "the group"
                fix = "merge the two lines" if rule.one_way else "merge the groups or drop it here"
                problems.append(
                    Problem(
                        path,
                        rule.line,
                        f"term {term!r} is also in {what} on line {seen[key]}; {fix}",
                    )
                )
            else:
                seen[key] = rule.line
    return problems


def parse_synonyms(text: str, path: str = FILE_NAME) -> tuple[list[Rule], list[Problem]]:
    """(rules, problems) of the file's `text`; `path` names the file in each problem. A file with
    problems should not be used (the build refuses it)."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            rule = _parse_line(line, number, path, problems)
            if rule is not None:
                rules.append(rule)
    return rules, problems + _conflicts(rules, path)


def read_synonyms(root: str | Path) -> tuple[str, list[Problem]]:
    """(text, problems) of `root`/synonyms.txt; ("", []) when `root` is a file or has no list.
    The text is only meaningful when there are no problems."""
    root = Path(root)
    path = root / FILE_NAME
    if not root.is_dir() or not path.exists():
        return "", []
    shown = f"{root.name}/{FILE_NAME}"
    if not path.is_file() or path.stat().st_size > MAX_BYTES:
        fix = f"keep it a plain text file under {MAX_BYTES:,} bytes"
        return "", [Problem(shown, 0, f"synonyms file is not a regular file or too large; {fix}")]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return "", [Problem(shown, 0, f"not valid UTF-8 ({exc.reason}); save the file as UTF-8")]
    return text, parse_synonyms(text, shown)[1]


def manifest_entry(text: str) -> dict:
    """What the index manifest records of a synonyms file: {"file", "sha256", "text"}; {} for none
    (an empty dict, like an index built before synonyms existed)."""
    if not text.strip():
        return {}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return {"file": FILE_NAME, "sha256": digest, "text": text}


@functools.lru_cache(maxsize=16384)
def _pattern(term: str) -> re.Pattern:
    """CJK anywhere (Chinese has no spaces); other words whole, the words of a Latin term written
    apart, with a hyphen or closed up (`top up` finds `top-up` and `topup`, `log in` finds
    `login`), as English compounds are written all three ways and customers type them closed."""
    if CJK_RUN_RE.search(term):
        return re.compile(r"\s+".join(re.escape(w) for w in term.split()))
    body = r"[\s\-]*".join(re.escape(w) for w in term.split())
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])")


def without_terms(query: str, terms: Sequence[str]) -> str:
    """`query` without each of `terms` where `_pattern` finds it (a Latin word whole), spaces
    collapsed: a word the articles lack matches nothing in BM25 and would only count as
    unmatched in its coverage (kb/retrieval/hybrid.py). The synonyms drop their matched terms
    the articles lack with it, the dictionary bridge the words it translated."""
    for term in terms:
        query = _pattern(term).sub(" ", query)
    return " ".join(query.split())


class Synonyms:
    """Query expansion with a validated rule list; an empty list expands nothing."""

    def __init__(self, rules: list[Rule] = ()):
        self.rules = list(rules)
        self._patterns = {t: _pattern(t) for r in self.rules for t in r.sources}

    @classmethod
    def from_manifest(cls, entry: dict) -> Synonyms:
        """The rules a version was built with (`manifest_entry`'s dict; {} gives none)."""
        rules, _ = parse_synonyms(entry.get("text", "")) if entry else ([], [])
        return cls(rules)

    def words(self) -> set[str]:
        """Every single word of every rule's terms (`cash out` gives `cash` and `out`)."""
        return {w for r in self.rules for t in r.terms for w in t.split()}

    def expansions(self, query: str) -> tuple[str, ...]:
        """Terms the rules add to a normalised `query`, in rule order, none already in it."""
        return _expand(self, query)[0]

    def rewrite(
        self,
        query: str,
        known: Callable[[str], bool],
        matches: tuple[tuple[str, ...], ...] | None = None,
    ) -> tuple[str, str]:
        """(keyword query, dense query) for a normalised `query`: both get the `expansions` the
        articles have words for (`known(term)`; an expansion into a language no article is
        written in only adds noise); the keyword query also drops the matched terms the articles
        do not have, which would otherwise count as unmatched words in BM25 coverage (so
        `refund` against Chinese articles searches BM25 for 退款 alone). A query with Chinese in
        it gets no expansion without Chinese (退款 does not add `refund`): it is answered by the
        Chinese articles, and `refund` would only pull in the English ones. Without a match both
        are `query`. `matches`: `self.matches(query, known)` when the caller has it already."""
        matched, useful = self.matches(query, known) if matches is None else matches
        if not useful:
            return query, query
        keyword = without_terms(query, [term for term in matched if not known(term)])
        extra = " ".join(useful)
        return " ".join(f"{keyword} {extra}".split()), f"{query} {extra}"

    def matches(self, query: str, known: Callable[[str], bool]) -> tuple[tuple[str, ...], ...]:
        """(source terms of the rules found in a normalised `query`, the expansions `rewrite`
        adds for them), each in rule order; ((), ()) without a match."""
        added, matched = _expand(self, query)
        return matched, tuple(useful_expansions(added, query, known))

    def table(self) -> list[dict]:
        """One row per rule for the editor page: {"line", "kind" ("multi-way"/"one-way"),
        "terms" (text as written after normalising, `a => b, c` for one-way)}."""
        return [
            {
                "line": r.line,
                "kind": "one-way" if r.one_way else "multi-way",
                "terms": f"{r.terms[0]} => {', '.join(r.terms[1:])}"
                if r.one_way
                else ", ".join(r.terms),
            }
            for r in self.rules
        ]


def useful_expansions(added, query: str, known: Callable[[str], bool]) -> list[str]:
    """The terms of `added` worth adding to a normalised `query`: those the articles have words
    for, and for a query with Chinese in it only those with Chinese (`Synonyms.rewrite`)."""
    chinese = bool(CJK_RUN_RE.search(query))
    return [t for t in added if known(t) and (CJK_RUN_RE.search(t) or not chinese)]


@functools.lru_cache(maxsize=4096)
def _expand(synonyms: Synonyms, query: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(terms added, source terms found) of `query`, each in rule order without repeats."""
    added: list[str] = []
    matched: list[str] = []
    for rule in synonyms.rules:
        found = [t for t in rule.sources if synonyms._patterns[t].search(query)]
        if found:
            matched += [t for t in found if t not in matched]
            added += [t for t in rule.terms if t not in added and not _pattern(t).search(query)]
    return tuple(added), tuple(matched)
