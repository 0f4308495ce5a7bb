"""Search-option variants measured by scripts/ablation_sample.py and scripts/bench_quality.py."""

from __future__ import annotations

from kb.options import ChunkSettings, TextSettings, VectorSettings

BUILD_VARIANTS = {
    "product default": {},
    "no language-direction projection": {"vector_settings": VectorSettings(language_neutral=False)},
    "no title vectors": {"vector_settings": VectorSettings(title_vectors=False)},
    "neither (plain e5 + RRF)": {
        "vector_settings": VectorSettings(language_neutral=False, title_vectors=False)
    },
    "BM25 without character bigrams": {"text_settings": TextSettings(char_bigrams=False)},
    "BM25 without jieba words": {"text_settings": TextSettings(jieba_words=False)},
    "BM25 + Latin trigrams": {"text_settings": TextSettings(latin_trigrams=True)},
    "title weight 2 in BM25": {"chunking": ChunkSettings(title_weight=2)},
}
QUERY_VARIANTS = {  # each changes one knob of the default (coverage known, RRF k 10, BM25 weight 0.8)
    "coverage: matched (each hit's own share)": {"coverage": "matched"},
    "coverage: off": {"coverage": "off"},
    "RRF k = 30": {"rrf_k": 30},
    "RRF k = 60": {"rrf_k": 60},
    "BM25 weight 1.0": {"bm25_weight": 1.0},
    "coverage off, RRF k = 60, BM25 weight 1.0 (DESIGN.md baseline fusion)": {
        "coverage": "off",
        "rrf_k": 60,
        "bm25_weight": 1.0,
    },
}


def fusion_grid() -> dict[str, dict]:
    """Every combination of the query-time fusion knobs, for tuning on BQ dev (--grid)."""
    return {
        f"coverage {c}, RRF k = {k}, BM25 weight {w}": {
            "coverage": c,
            "rrf_k": k,
            "bm25_weight": w,
        }
        for c in ("known", "matched", "off")
        for k in (10, 30, 60)
        for w in (0.6, 0.8, 1.0)
    }
