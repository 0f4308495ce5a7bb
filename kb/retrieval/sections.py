"""Which section of a found article to show: the one that answers the question.

Retrieval ranks chunks, and the best chunk of an article is not always in the section a reader
needs: for `提现要多久到账` the best chunk of "提现多久到账" sat in "可能延迟的原因" while the intro
states "1-3 个工作日到账". Headings name what their section answers (the title names what the
intro answers), so the section whose heading shares the most with the question is shown: the
intro when the title matches best, the retrieved section when no heading matches or it ties for
best. Measured on the labelled set eval/sections.jsonl by scripts/eval_sections.py (share right
and cost in docs/BENCHMARKS.md, "Section choice").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..text import CJK_RUN_RE, STOPWORDS, normalise

LATIN_WORD_RE = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=16384)
def heading_units(text: str) -> frozenset[str]:
    """What a heading and a question are compared by: the Latin words of the normalised text
    (lower-case, STOPWORDS dropped) and the character bigrams of each CJK run (a lone character
    when the run has one), so `提现要多久到账` and `提现多久到账` share 提现, 多久 and 到账
    without a word segmenter agreeing on both. Memoised: headings repeat across questions."""
    norm = normalise(text).lower()
    units = {w for w in LATIN_WORD_RE.findall(norm) if w not in STOPWORDS}
    for run in CJK_RUN_RE.findall(norm):
        units.update({run[i : i + 2] for i in range(len(run) - 1)} or {run})
    return frozenset(units)


def answering_index(
    query: str, title: str, headings: Sequence[tuple[int, str]], retrieved: int
) -> int:
    """Index (into `headings`, the article's sections in order as (level, heading)) of the section
    to show for `query`: the one whose heading (the `title` for the intro, level 0) shares the
    most `heading_units` with the query; on a tie the `retrieved` one (the section of the best
    chunk) when it is among the best, else the earliest (so the intro); `retrieved` when no
    heading shares anything (e.g. a question in another language, found by its vectors)."""
    wanted = heading_units(query)
    best, best_score = retrieved, 0
    for index, (level, heading) in enumerate(headings):
        score = len(wanted & heading_units(title if level == 0 else heading))
        if score > best_score or (score == best_score and score and index == retrieved):
            best, best_score = index, score
    return best


def with_text(index: int, headings: Sequence[tuple[int, str]], empty: bool) -> int:
    """`index`, or the next section's when section `index` has no text of its own (`empty`) and
    subsections follow it (the next heading is deeper): a `##` whose text is all in its `###`s
    (common in docs-site exports) is shown by its first subsection rather than as a card of its
    heading alone (a new user's test, twentieth session). `headings`: (level, heading) of the
    article's sections in order."""
    following = index + 1
    if empty and following < len(headings) and headings[following][0] > headings[index][0]:
        return following
    return index
