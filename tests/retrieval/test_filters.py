"""Filter values (issue 17 item 9): an unknown category or language is an error naming the valid
choices, in the library, the CLI and the app, never an empty result."""

from __future__ import annotations

import pytest

from kb import ConfigError, UnknownFilterError, load_searcher
from kb.cli import main


@pytest.fixture
def public(built):
    _, index_dir, encoder = built
    return load_searcher(index_dir, "public", encoder=encoder)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("language", "cn", ["did you mean 'zh'", "zh, en"]),  # a country: its likely language
        ("language", "ZH", ["did you mean 'zh'", "zh, en"]),  # the case differs: still an error
        ("language", "EN", ["did you mean 'en'"]),
        ("language", "zh-CN", ["did you mean 'zh'", "zh, en"]),  # a tag with a region
        ("language", "", ["zh", "en"]),
        ("category", "withdrawl", ["'withdrawals'", "account, contact, payments, withdrawals"]),
        ("category", "Payments", ["did you mean 'payments'"]),
        ("category", "WITHDRAWALS", ["did you mean 'withdrawals'"]),
        ("category", "internal", ["account, contact, payments, withdrawals"]),  # not this role's
    ],
)
def test_unknown_filter_values_name_the_valid_choices(public, field, value, named):
    with pytest.raises(UnknownFilterError) as info:
        public.search("提现", top_k=3, **{field: value})
    assert isinstance(info.value, ConfigError)
    assert (info.value.field, info.value.value) == (field, value)
    assert all(word in str(info.value) for word in named)


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        *[(v, "zh") for v in ["cn", "TW", "hk", "zh_TW", "zh-Hans", "zho", "cmn", "Chinese"]],
        *[(v, "zh") for v in ["中文", "mandarin"]],
        *[(v, "en") for v in ["english", "English", "en-US", "en_gb", "eng", "英文", "gb"]],
        *[(v, None) for v in ["fr", "ja", "xx", "zn", "français", "123", "--", ""]],
    ],
)
def test_a_language_written_another_way_is_refused_with_the_one_it_means(public, value, meant):
    with pytest.raises(UnknownFilterError) as info:
        public.search("提现", top_k=3, language=value)
    hint = "did you mean"
    assert (f"{hint} {meant!r}?" in str(info.value)) if meant else hint not in str(info.value)


def test_known_filter_values_still_filter(public):
    assert {a.category for a in public.search("提现", 5, category="withdrawals")} == {"withdrawals"}
    assert {a.language for a in public.search("card", 5, language="en")} == {"en"}
    assert public.search("提现", 5, language="en", category="withdrawals") == []


def test_agent_role_accepts_internal_category(built):
    _, index_dir, encoder = built
    agent = load_searcher(index_dir, "agent", encoder=encoder)
    assert agent.search("退款审批", 3, category="internal")[0].category == "internal"


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [("--language", "cn", "zh, en"), ("--category", "withdraw", "withdrawals")],
)
def test_cli_exits_1_naming_the_choices(built, capsys, monkeypatch, option, value, named):
    _, index_dir, encoder = built
    monkeypatch.setattr(
        "kb.cli.load_searcher", lambda *a, **k: load_searcher(index_dir, "public", encoder=encoder)
    )
    code = main(["search", "提现", "--index", str(index_dir), option, value])
    out = capsys.readouterr()
    assert code == 1
    assert named in out.err and "no results" not in out.out and "Traceback" not in out.err
