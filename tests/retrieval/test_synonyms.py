"""Synonyms (issue 17 item 2): the editor's list is validated like articles, applied at query
time, and versioned with the index (a rollback restores the list the version was built with)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kb import Mode, SearchSettings, ValidationError, build_index, load_searcher
from kb.cli import main
from kb.embed import project_out
from kb.errors import ConfigError
from kb.index import open_store
from kb.ingest import validate
from kb.ingest.synonyms import FILE_NAME, Synonyms, parse_synonyms, read_synonyms
from kb.retrieval.snippets import find_spans
from kb.text import CJK_RUN_RE, query_terms

SHORT = SearchSettings(short_english_words=4)  # the rule for short English queries (the default)
LIST = """\
# the sample's kind of list: English words for Chinese articles
提现, 取现, withdraw, cash out
手续费, fee, fees, charge
重置密码, 找回密码, reset password
password => 密码
"""


def test_multi_way_and_one_way_rules_parse_normalised():
    rules, problems = parse_synonyms(
        "退錢，REFUND, 退款\nUnlink  Card => 解綁, 刪除銀行卡 # one-way\n"
    )
    assert problems == []
    assert rules[0].terms == ("退钱", "refund", "退款") and not rules[0].one_way
    assert rules[1].terms == ("unlink card", "解绑", "删除银行卡") and rules[1].one_way
    assert rules[1].sources == ("unlink card",)
    table = Synonyms(rules).table()
    assert table[1] == {"line": 2, "kind": "one-way", "terms": "unlink card => 解绑, 删除银行卡"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a, b\n退款,, refund\n", 2, "empty term"),
        ("退款, refund,\n", 1, "empty term"),
        ("# c\n\nrefund =>\n", 3, "empty term"),
        ("=> 退款\n", 1, "empty term"),
        ("refund\n", 1, "one term"),
        ("a => b => c\n", 1, "at most one `=>`"),
        ("a, b => c\n", 1, "left side"),
        ("退款, refund, REFUND\n", 1, "written twice"),
        ("退款, 退钱\nrefund, 退款\n", 2, "also in the group on line 1"),
        (
            "退款, 退钱\nrefund, 退錢\n",
            2,
            "also in the group on line 1",
        ),  # Traditional = Simplified
        ("card => 卡\ncard => 银行卡\n", 2, "also in the one-way rule on line 1"),
        (f"{'长' * 51}, refund\n", 1, "longer than 50"),
    ],
)
def test_bad_rules_are_named_by_line(text, line, words):
    _, problems = parse_synonyms(text, "articles/synonyms.txt")
    assert problems, text
    assert problems[0].line == line and problems[0].path == "articles/synonyms.txt"
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("cashout", True),
        ("cash-out fee", True),
        ("how to cash   out", True),
        ("cash - out", True),
        ("cashouts", False),  # whole words only, as written apart
        ("precashout", False),
        ("cash, out", False),  # a comma parts two words, not a compound
        ("提现", True),
    ],
)
def test_a_latin_term_of_several_words_is_found_closed_up_and_hyphenated(query, found):
    synonyms = Synonyms(parse_synonyms(LIST)[0])
    assert ("取现" in synonyms.expansions(query)) is found


def test_a_one_way_source_may_also_be_in_a_group():
    assert parse_synonyms("card, 卡\ncard => 银行卡\n")[1] == []


def test_one_way_rules_do_not_apply_backwards():
    synonyms = Synonyms(parse_synonyms("unlink card => 解绑\n")[0])
    assert synonyms.expansions("how to unlink   card") == ("解绑",)
    assert synonyms.expansions("解绑") == ()
    assert synonyms.expansions("unlink cards") == ()  # whole words only


def test_rewrite_keeps_only_expansions_the_articles_have_words_for():
    synonyms = Synonyms(parse_synonyms("退款, 退费, refund, chargeback\n")[0])
    known = {"退款"}.__contains__
    keyword, dense = synonyms.rewrite("refund please", known)
    assert keyword == "please 退款"  # the unknown English word leaves the BM25 query
    assert dense == "refund please 退款"
    assert synonyms.rewrite("nothing here", known) == ("nothing here", "nothing here")


def test_build_and_validate_refuse_a_bad_list_with_article_problems(
    tiny_articles, tmp_path, encoder
):
    (tiny_articles / FILE_NAME).write_text("提现, withdraw\nrefund\n", encoding="utf-8")
    (tiny_articles / "broken.md").write_text("---\ntitle: [\n---\nx\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    shown = [str(p) for p in info.value.problems]
    assert any(s.startswith("articles/synonyms.txt:2:") for s in shown)
    assert any("broken.md" in s for s in shown)
    assert any(p.path.endswith(FILE_NAME) for p in validate(tiny_articles))
    assert main(["validate", "--articles", str(tiny_articles)]) == 1


def test_validate_command_reports_a_bad_list_alone(tiny_articles, capsys):
    # the articles are fine: only the list is wrong (the term normalises to one already there)
    (tiny_articles / FILE_NAME).write_text("到账, 到帳, arrive\n", encoding="utf-8")
    assert main(["validate", "--articles", str(tiny_articles)]) == 1
    err = capsys.readouterr().err
    assert f"{FILE_NAME}:1:" in err and "到账" in err


def test_unreadable_list_is_a_problem(tiny_articles):
    (tiny_articles / FILE_NAME).write_bytes("提现, withdraw\n".encode("gbk"))
    _, problems = read_synonyms(tiny_articles)
    assert problems and "UTF-8" in problems[0].message


@pytest.mark.parametrize("query", ["cash out fee", "Withdraw FEES", "withdraw charge"])
@pytest.mark.parametrize("mode", [Mode.BM25, Mode.HYBRID])
def test_english_words_find_chinese_articles_through_the_list(
    tiny_articles, tmp_path, encoder, query, mode
):
    bare = tmp_path / "bare"
    build_index(tiny_articles, bare, encoder=encoder)
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    index = tmp_path / "index"
    build_index(tiny_articles, index, encoder=encoder)
    with_list = load_searcher(index, "public", encoder=encoder).search(query, 3, mode=mode)
    without = load_searcher(bare, "public", encoder=encoder).search(query, 3, mode=mode)
    assert with_list[0].slug == "withdrawal-fees"
    # BM25 finds it through the list only; in hybrid mode the hashing encoder's dense side may rank
    # it first by accident, but only the list gives it a BM25 score
    assert with_list[0].bm25_score is not None
    assert all(a.slug != "withdrawal-fees" or a.bm25_score is None for a in without)


@pytest.mark.parametrize(
    ("query", "marked", "unmarked"),
    [
        ("cash out fee", {"提现", "手续费"}, set()),  # English words: their Chinese synonyms
        ("取现 charge", {"提现", "手续费"}, set()),  # a Chinese query: its Chinese expansions
        ("提现", {"提现"}, {"withdraw"}),  # the user's own word; no English expansion
    ],
)
def test_snippets_mark_what_the_synonyms_matched(
    tiny_articles, tmp_path, encoder, query, marked, unmarked
):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder)
    (best,) = [a for a in searcher.search(query, 3) if a.slug == "withdrawal-fees"]
    shown = {best.snippet_text[s:e] for s, e in best.highlights}
    assert marked <= shown and not unmarked & shown, (best.snippet_text, shown)
    # the query's own words alone leave the synonyms' words unmarked
    own = find_spans(best.snippet_text, query_terms(query))
    assert query == "提现" or not marked <= {best.snippet_text[s:e] for s, e in own}


class Recording:
    """The test encoder, recording every query text it is asked to encode."""

    def __init__(self, inner):
        self.inner, self.id, self.dim, self.texts = inner, inner.id, inner.dim, []

    def encode_queries(self, texts):
        self.texts += list(texts)
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)


@pytest.mark.parametrize("dense_synonyms", [False, True])
def test_synonyms_expand_the_dense_query_only_when_set(
    tiny_articles, tmp_path, encoder, dense_synonyms
):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    recording = Recording(encoder)
    searcher = load_searcher(
        tmp_path / "index",
        "public",
        encoder=recording,
        settings=SearchSettings(dense_synonyms=dense_synonyms, short_english_words=0),
    )
    keyword, dense, bridge, _, added = searcher.rewrite("withdraw fees")
    assert added == ()  # no short English rule: no dictionary either
    assert "提现" in keyword and "手续费" in keyword  # BM25 always gets the expansions
    assert ("提现" in dense) is dense_synonyms and bridge == ()  # the short rule is off here
    bm25_queries = []
    search_bm25 = searcher.keyword.search
    searcher.keyword.search = lambda q, *a: bm25_queries.append(q) or search_bm25(q, *a)
    searcher.search("withdraw fees", 3)
    assert recording.texts == [dense]  # the one text encoded is the dense query
    assert bm25_queries == [keyword]  # and BM25 searched the expanded one
    assert "提现" in searcher.rewrite("withdraw fees", Mode.DENSE)[1]  # no BM25 side to carry it
    searcher.search("withdraw fees", 3, mode=Mode.DENSE)
    assert "提现" in recording.texts[-1]


@pytest.mark.parametrize(
    ("query", "expanded"),
    [
        ("withdraw fees", True),
        ("WITHDRAW", True),
        ("withdraw fees now please", True),  # 4 words
        ("how do i withdraw my fees", False),  # 6 words: enough for the encoder
        ("withdraw 手续费", False),  # CJK: the encoder has Chinese to go on
    ],
)
def test_short_english_queries_get_the_expansions_on_the_dense_side_too(
    tiny_articles, tmp_path, encoder, query, expanded
):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder, settings=SHORT)
    assert load_searcher(tmp_path / "index", encoder=encoder).settings.short_english_words == 4
    prepared = searcher.prepare(query)
    keyword, dense, bridge, _, added = searcher.rewrite(prepared)
    assert keyword != prepared  # a rule matched: BM25 always gets the expansions
    assert added == ()  # every word is a rule's or the articles': nothing from the dictionary
    assert dense == prepared  # the text encoded is the query's own
    assert bool(bridge) is expanded
    # the bridge into Chinese only, not English variants such as `cash out`
    assert all(CJK_RUN_RE.search(t) for t in bridge)


def test_the_bridge_is_mixed_into_the_query_vector_with_no_encoding_once_known(
    tiny_articles, tmp_path, encoder
):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    recording = Recording(encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=recording, settings=SHORT)
    bridge = searcher.rewrite("withdraw fees").bridge
    assert set(bridge) == {"提现", "手续费"}  # 取现: no article has the word
    vectors = []
    search_vector = searcher.dense.search_vector
    searcher.dense.search_vector = lambda v, *a: vectors.append(v) or search_vector(v, *a)
    searcher.search("withdraw fees", 3)
    assert recording.texts == ["withdraw fees", *bridge]  # the query, then its terms at once
    searcher.search("fees", 3)
    assert recording.texts[1 + len(bridge) :] == ["fees"]  # 手续费 is known: only the query
    direction = searcher.index.language_direction  # stored vectors are projected; queries too
    query = project_out(encoder.encode_queries(["withdraw fees"])[0], direction)
    mixed = query + project_out(encoder.encode_queries(list(bridge)), direction).mean(axis=0)
    assert np.allclose(vectors[0], mixed / np.linalg.norm(mixed), atol=1e-6)
    assert not np.allclose(vectors[0], query, atol=1e-3)
    assert searcher.dense.encode_bridged("withdraw fees", ()) == pytest.approx(query, abs=1e-6)


@pytest.mark.parametrize(
    ("query", "weight"),
    [
        ("withdraw fees", 1.0),  # every content word has a rule
        ("withdraw", 1.0),
        ("withdraw opening times", 1 / 3),  # one word of three: the bridge weighs a third
        ("fees now", 1 / 2),
    ],
)
def test_the_bridge_weighs_the_share_of_the_words_a_rule_covers(
    tiny_articles, tmp_path, encoder, query, weight
):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder, settings=SHORT)
    rewritten = searcher.rewrite(searcher.prepare(query))
    assert rewritten.bridge and rewritten.weight == pytest.approx(weight)
    full = replace(SHORT, bridge_by_coverage=False)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder, settings=full)
    assert searcher.rewrite(searcher.prepare(query)).weight == 1.0
    direction = searcher.index.language_direction
    bridge = project_out(encoder.encode_queries(list(rewritten.bridge)), direction).mean(axis=0)
    own = project_out(encoder.encode_queries([searcher.prepare(query)])[0], direction)
    mixed = own + weight * bridge
    vector = searcher.dense.encode_bridged(searcher.prepare(query), rewritten.bridge, weight)
    assert np.allclose(vector, mixed / np.linalg.norm(mixed), atol=1e-6)


def test_short_english_words_must_not_be_negative():
    with pytest.raises(ConfigError, match="short_english_words"):
        SearchSettings(short_english_words=-1)


def test_both_sides_search_the_expansions_when_no_word_is_dropped(tiny_articles, tmp_path, encoder):
    # every term of the rule is in the articles, so the BM25 and dense queries are the same text
    (tiny_articles / FILE_NAME).write_text("提现, 手续费\n", encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    recording = Recording(encoder)
    settings = SearchSettings(dense_synonyms=True)
    searcher = load_searcher(tmp_path / "index", "public", encoder=recording, settings=settings)
    assert searcher.rewrite("提现") == ("提现 手续费", "提现 手续费", (), 1.0, ())
    bm25_queries = []
    search_bm25 = searcher.keyword.search
    searcher.keyword.search = lambda q, *a: bm25_queries.append(q) or search_bm25(q, *a)
    searcher.search("提现", 3)
    assert bm25_queries == ["提现 手续费"] and recording.texts == ["提现 手续费"]


def test_the_list_is_versioned_and_rolled_back(built, encoder):
    articles, index, _ = built
    assert load_searcher(index, "public", encoder=encoder).synonyms.rules == []
    (articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    report = build_index(articles, index, encoder=encoder)
    assert report.published and report.encoded == 0  # only the list changed: nothing re-encoded
    manifest = open_store(index).live_manifest()
    assert manifest.synonyms["file"] == FILE_NAME and len(manifest.synonyms["sha256"]) == 64
    assert len(load_searcher(index, "public", encoder=encoder).synonyms.rules) == 4
    assert not build_index(articles, index, encoder=encoder).published  # unchanged: no version
    (articles / FILE_NAME).write_text("提现, withdraw\n", encoding="utf-8")
    build_index(articles, index, encoder=encoder)
    assert len(load_searcher(index, "public", encoder=encoder).synonyms.rules) == 1
    open_store(index).rollback()
    assert len(load_searcher(index, "public", encoder=encoder).synonyms.rules) == 4
    (articles / FILE_NAME).unlink()
    build_index(articles, index, encoder=encoder)
    assert load_searcher(index, "public", encoder=encoder).synonyms.rules == []


def test_editor_section_shows_the_draft_and_its_problems(tiny_articles):
    from kb.app.synonyms_view import draft_status

    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    frame, problems = draft_status(str(tiny_articles))
    assert problems == [] and list(frame["kind"]) == ["multi-way"] * 3 + ["one-way"]
    (tiny_articles / FILE_NAME).write_text("提现, withdraw\n退款\n", encoding="utf-8")
    frame, problems = draft_status(str(tiny_articles))
    assert len(frame) == 0 and problems[0].startswith("articles/synonyms.txt:2:")


def test_a_short_english_query_against_an_english_help_center_searches_as_before(tmp_path, encoder):
    # most chunks in English articles: English words are the articles' own, nothing to bridge
    from kb.testing import write_articles

    articles = write_articles(
        tmp_path / "articles",
        {
            f"a{i}.md": f"---\ntitle: Withdraw fees {i}\nlanguage: en\n---\nThe withdraw fee {i}.\n"
            for i in range(3)
        }
        | {"z.md": "---\ntitle: 提现手续费\nlanguage: zh\n---\n提现手续费说明。\n"},
    )
    (articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder, settings=SHORT)
    assert not searcher.short_english("withdraw fees")
    prepared = searcher.prepare("withdraw fees")
    assert searcher.rewrite(prepared)[1] == prepared  # expansions on BM25 only, as by default


def test_a_short_english_query_fuses_with_its_own_bm25_share(tiny_articles, tmp_path, encoder):
    (tiny_articles / FILE_NAME).write_text(LIST, encoding="utf-8")
    build_index(tiny_articles, tmp_path / "index", encoder=encoder)
    searcher = load_searcher(tmp_path / "index", "public", encoder=encoder, settings=SHORT)
    assert searcher.short_english("withdraw fees") and not searcher.short_english("提现")
    shares = []
    fuse = searcher.hybrid.fuse
    searcher.hybrid.fuse = lambda *a, **k: shares.append(k.get("bm25_share")) or fuse(*a, **k)
    searcher.search("withdraw fees", 3)
    searcher.search("how do i withdraw my fees", 3)  # 6 words: the default share
    assert shares == [searcher.settings.short_english_bm25_share, None]


@pytest.mark.parametrize(
    ("query", "bridged"),
    [
        ("payment failed", False),  # the English article's title: it answers in English
        ("Payment FAILED", False),
        ("failed", False),
        ("withdraw fees", True),  # no English title has these words
        ("payment fees", True),  # one word short of the title
        ("pay", True),  # inside `payment`, but not a word of the title
        ("payments", True),  # the title's word is singular
    ],
)
def test_a_short_english_query_an_english_title_answers_is_not_bridged(built, query, bridged):
    _, index_dir, encoder = built
    searcher = load_searcher(index_dir, "public", encoder=encoder, settings=SHORT)
    assert searcher.short_english(searcher.prepare(query)) is bridged
    off = SearchSettings(short_english_words=0)  # no query is
    off = load_searcher(index_dir, "public", encoder=encoder, settings=off)
    assert not off.short_english(off.prepare(query))


def test_pinyin_reads_the_lists_chinese_terms_even_when_one_chunk_holds_them(
    tiny_articles, tmp_path, encoder
):
    # 年费 is in one chunk's body only: too rare for the index's terms, but the editor listed it
    (tiny_articles / "fees.md").write_text(
        "---\ntitle: 收费说明\n---\n个人账户年费全免。\n", "utf-8"
    )
    bare = tmp_path / "bare"
    build_index(tiny_articles, bare, encoder=encoder)
    (tiny_articles / FILE_NAME).write_text("年费, annual fee\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(tiny_articles, index, encoder=encoder)
    assert load_searcher(bare, "public", encoder=encoder).kinds.rewrite("nianfei") == "nianfei"
    listed = load_searcher(index, "public", encoder=encoder)
    assert listed.kinds.rewrite("nianfei") == "年费"
    assert listed.search("nian fei", 1)[0].slug == "fees"
