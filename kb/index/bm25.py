"""The BM25 formula, in one place: bm25s's Lucene variant (`BM25(method="lucene")`), which the
legacy single-file index (`KeywordIndex`), the segmented index (`SegmentedKeywordIndex`) and the
PostgreSQL build (`postgres.write.Impacts`) and reader all score with.

    score(query, document) = sum over query tokens t of idf(t) * tf / (tf + norm(document))
    idf(t)        = ln(1 + (N - df + 0.5) / (df + 0.5))       N documents, df holding t; > 0
    norm(document) = k1 * (1 - b + b * length / average length)

k1 = 1.2 and b = 0.75 are Lucene's (and bm25s's) defaults. Every function works on numpy arrays
(elementwise, float64) as on scalars; the callers choose where to round to float32, and
`impact` keeps the one order of operations whose float32 results the backends compare bit for
bit (tests/index/test_impacts.py).
"""

from __future__ import annotations

import numpy as np

K1, B = 1.2, 0.75


def idf(n_docs, df):
    """Lucene's idf, ln(1 + (N - df + 0.5) / (df + 0.5)): > 0 for 0 <= df <= N, and at its
    largest (ln(1 + 2N + 1)) for a term no document holds. `df` an int or an int array."""
    return np.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def length_norm(lengths, average: float):
    """k1 * (1 - b + b * length / average) of each document `lengths` (token counts)."""
    return K1 * ((1 - B) + B * lengths / average)


def saturation(tf, norm):
    """tf / (tf + norm): a posting's score before idf, in 0..1 (float64 for float64 input)."""
    return tf / (norm + tf)


def impact(term_idf, tf, norm):
    """idf * tf / (tf + norm): a posting's whole score, float64 (round it to float32 to store)."""
    return term_idf * tf / (norm + tf)


def known_share(frequencies, n_docs: int) -> float:
    """Share in 0..1 of the idf mass of the query tokens whose document `frequencies` (one int
    per distinct token, 0 for a token no document holds) made of tokens some document holds;
    unknown tokens weigh their maximal idf. 0.0 without tokens or documents."""
    weights = [(float(idf(n_docs, df)), df) for df in frequencies] if n_docs else []
    total = sum(w for w, _ in weights)
    return sum(w for w, df in weights if df) / total if total else 0.0
