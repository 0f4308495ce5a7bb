"""Which section of a found article to show: the one that answers the question.

Retrieval ranks chunks, and the best chunk of an article is not always in the section a reader
needs: for `提现要多久到账` the best chunk of "提现多久到账" sat in "可能延迟的原因" while the intro
states "1-3 个工作日到账". Headings name what their section answers (the title names what the
intro answers), so the section whose heading shares the most with the question is shown: the
intro when the title matches best, the retrieved section when no heading matches or it ties for
best. Measured on the labelled set eval/sections.jsonl by scripts/eval_sections.py (figures in
docs/BENCHMARKS.md, "Section choice").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Section
from ..text import normalise, query_terms

CJK_RUN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
LATIN_RE = re.compile(r"^[a-z0-9]+$")


def heading_units(text: str) -> frozenset[str]:
    """What a heading and a question are compared by: the Latin content words of `query_terms`
    (lower-case, stop words dropped) and the character bigrams of each CJK run of the normalised
    text (a lone character when the run has one), so `提现要多久到账` and `提现多久到账` share
    提现, 多久 and 到账 without a word segmenter agreeing on both."""
    units = {t for t in query_terms(text) if LATIN_RE.match(t)}
    for run in CJK_RUN_RE.findall(normalise(text)):
        units.update({run[i : i + 2] for i in range(len(run) - 1)} or {run})
    return frozenset(units)


def answering_section(
    query: str, title: str, sections: Sequence[Section], retrieved: Section
) -> Section:
    """The section of an article (`sections`, in order) to show for `query`: the one whose
    heading (the `title` for the intro, level 0) shares the most `heading_units` with the query;
    on a tie the `retrieved` one (the section of the best chunk) when it is among the best, else
    the earliest (so the intro); `retrieved` when no heading shares anything (e.g. a question in
    another language than the article, found by its vectors)."""
    wanted = heading_units(query)
    best, best_score = retrieved, 0
    for section in sections:
        heading = title if section.level == 0 else section.heading
        score = len(wanted & heading_units(heading))
        if score > best_score or (
            score == best_score and score and section.index == retrieved.index
        ):
            best, best_score = section, score
    return best
