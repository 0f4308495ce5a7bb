"""Issue 13 item 8, "without harming others": an alternative question's chunk counts only for a
query worded like it (kb/retrieval/questions.py), so attached questions stop taking rank 1 from
other articles' queries, while the attached wording itself still finds its article."""

from __future__ import annotations

import pytest

from kb import build_index, load_searcher
from kb.errors import ConfigError
from kb.ingest import chunk_article, split_sections
from kb.ingest.chunking import is_question_chunk
from kb.ingest.markdown import parse_markdown
from kb.options import SearchSettings
from kb.retrieval.hits import Hit
from kb.retrieval.questions import keep_questions, overlap
from kb.testing import write_articles

RESET = (
    "---\ntitle: 重置登录密码\nslug: reset\ndescription: 用邮箱找回密码\nquestions:\n"
    "  - 账号被锁住了怎么办\n  - locked out of my account\n---\n在登录页点击忘记密码。\n"
)
FEES = "---\ntitle: 提现手续费\nslug: fees\n---\n每笔提现收取 1% 手续费。\n"


def test_question_chunks_are_marked_and_nothing_else_is():
    article = parse_markdown(RESET, "a.md", "a", [])
    chunks = chunk_article(article, split_sections(article))
    marked = [c.text for c in chunks if is_question_chunk(c.chunk_id)]
    assert marked == list(article.questions)  # not the summary, not the body
    assert all(len(c.chunk_id) == 20 for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@pytest.mark.parametrize(
    ("query", "question", "low", "high"),
    [
        ("账号被锁住了怎么办", "账号被锁住了怎么办", 1.0, 1.0),
        ("賬號被鎖住了怎麼辦？", "账号被锁住了怎么办", 1.0, 1.0),  # Traditional, punctuation
        ("账号被锁住了咋办", "账号被锁住了怎么办", 0.3, 0.6),  # a paraphrase sharing words
        ("客服态度太差了我要投诉", "有没有客服 hotline", 0.0, 0.2),  # the harm measured
        ("Locked out of my account!", "locked out of my account", 1.0, 1.0),
        ("提现手续费", "", 0.0, 0.0),
    ],
)
def test_overlap_is_the_jaccard_of_normalised_character_bigrams(query, question, low, high):
    assert low <= overlap(query, question) <= high


@pytest.fixture
def index(tmp_path):
    articles = write_articles(tmp_path / "articles", {"reset.md": RESET, "fees.md": FEES})
    build_index(articles, tmp_path / "index", encoder="hash:64")
    return tmp_path / "index"


def _all_hits(searcher):
    return [Hit(row, 1.0) for row in range(searcher.index.chunk_count)]


def test_question_hits_are_kept_only_for_a_query_worded_like_them(index):
    searcher = load_searcher(index, "public", encoder="hash:64")
    texts = searcher.index.chunk_texts()
    hits = _all_hits(searcher)

    def kept(query, min_overlap=0.3):
        return {texts[h.row] for h in keep_questions(searcher.index, query, hits, min_overlap)}

    everything = set(texts)
    assert kept("提现要多少手续费") == everything - {
        "账号被锁住了怎么办",
        "locked out of my account",
    }
    assert kept("账号被锁住了") == everything - {"locked out of my account"}
    assert kept("提现要多少手续费", 0.0) == everything  # 0: every question counts, as before
    order = [h.row for h in keep_questions(searcher.index, "账号被锁住了", hits[::-1], 0.3)]
    assert order == sorted(order, reverse=True)  # order and scores untouched


def test_the_attached_wording_still_finds_its_article(index):
    searcher = load_searcher(index, "public", encoder="hash:64")
    for query in ("账号被锁住了怎么办", "locked out of my account"):
        assert searcher.search(query, top_k=3)[0].slug == "reset"


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_question_overlap_out_of_range_is_refused(value):
    with pytest.raises(ConfigError, match="question_overlap"):
        SearchSettings(question_overlap=value)


def test_the_searchers_question_rows_match_the_chunk_ids(tmp_path):
    """question_rows (the searcher's precomputed mask) marks exactly the chunks whose ids
    is_question_chunk marks, and keep_questions gives the same hits with it as without."""
    from kb.embed import HashingEncoder
    from kb.retrieval.questions import question_rows

    articles = write_articles(tmp_path / "a", {"reset.md": RESET, "fees.md": FEES})
    encoder = HashingEncoder(64)
    build_index(articles, tmp_path / "index", encoder=encoder)
    index = load_searcher(tmp_path / "index", encoder=encoder).index
    ids = index.chunks.column("chunk_id").to_pylist()
    mask = question_rows(index)
    assert mask.tolist() == [is_question_chunk(i) for i in ids] and mask.any()
    hits = [Hit(row, 1.0 - row / 10) for row in range(len(ids))]
    for query in ("账号被锁住了怎么办", "提现手续费", "locked out"):
        assert keep_questions(index, query, hits, 0.3, mask) == keep_questions(
            index, query, hits, 0.3
        )
