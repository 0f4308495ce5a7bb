"""The editors' page through AppTest (fake encoder, tiny corpus): both interface languages, the
validation report (files checked, whole messages), the rebuild summary in sentences, rollback with
confirmation and result, the evaluation query by query, analytics by role."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb.analytics import Analytics
from kb.app import editor_eval
from kb.app.strings import TEXT
from kb.evaluation import Query, evaluate, load_queries
from kb.index import versions
from kb.ingest import discover
from kb.retrieval import load_searcher
from tests.app.test_app import everything, run_app, search, unlock_editor

ZH, EN = TEXT["zh"], TEXT["en"]
LONG_MESSAGE_TAIL = "THE-END-OF-A-LONG-MESSAGE"


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return everything(at) + "\n".join(str(e.value) for e in at.text)


def test_editor_page_without_secret_is_locked(env):
    at = run_app("editor")
    assert any("KB_EDITOR_TOKEN" in w.value for w in at.warning)
    assert not at.button


@pytest.mark.parametrize(("language", "other"), [("zh", "en"), ("en", "zh")])
def test_editor_page_speaks_the_interface_language(env, monkeypatch, language, other):
    at = unlock_editor(monkeypatch, language)
    strings, foreign = TEXT[language], TEXT[other]
    tabs = [tab.label for tab in at.tabs]
    keys = ["ed_tab_status", "ed_tab_rebuild", "ed_tab_analytics", "ed_tab_evaluation"]
    assert {strings[k] for k in keys} <= set(tabs)
    assert not {foreign[k] for k in keys} & set(tabs)
    labels = {b.label for b in at.button}
    for key in ("ed_validate", "ed_rebuild", "ed_rollback"):
        assert strings[key] in labels and foreign[key] not in labels
    assert strings["ed_articles"] in [m.label for m in at.metric]
    assert at.slider(key="ed-days").label == strings["ed_days"]
    assert at.radio(key="ed-who").label == strings["ed_who"]
    frames = [d.value.to_string() for d in at.dataframe]
    shown = " ".join([everything(at), *labels, *tabs, *frames])
    for key in ("ed_tab_status", "ed_rebuild", "ed_build_counts", "ed_live_version"):
        assert strings[key] in shown and foreign[key] not in shown


def test_validation_counts_the_files_checked(env, monkeypatch):
    at = click(unlock_editor(monkeypatch, "zh"), "ed-validate")
    articles = Path(env["KB_ARTICLES"])
    files = len(discover(articles))
    assert [s.value for s in at.success] == [
        ZH["ed_no_problems"].format(files=files, path=articles)
    ]
    assert "0 problem" not in texts(at)


def test_validation_problems_table_shows_whole_messages(env, monkeypatch):
    articles = Path(env["KB_ARTICLES"])
    long_title = "长" * 300 + LONG_MESSAGE_TAIL
    (articles / "bad-language.md").write_text(
        f"---\ntitle: {long_title}\nlanguage: fr\n---\nbody\n", encoding="utf-8"
    )
    (articles / "bad-visibility.md").write_text(
        "---\ntitle: x\nvisibility: secret-ish\n---\nbody\n", encoding="utf-8"
    )
    at = unlock_editor(monkeypatch, "en")
    click(at, "ed-validate")
    files = len(discover(articles))
    (error,) = at.error
    assert f": {files}." in error.value and "Problems found: 2" in error.value
    table = at.table[0].value  # a static table wraps its cells: nothing is cut off
    assert list(table.columns) == ["file", "line", "message"]
    assert any("fr" in m for m in table["message"]) and len(table) == 2
    assert not [d for d in at.dataframe if "message" in d.value.columns]


def rebuild(at: AppTest) -> AppTest:
    return click(at, "ed-rebuild")


def test_rebuild_summary_is_plain_sentences(env, monkeypatch):
    at = unlock_editor(monkeypatch, "zh")
    articles = Path(env["KB_ARTICLES"])
    path = articles / "withdrawals" / "withdrawal-fees.md"
    path.write_text(path.read_text(encoding="utf-8").replace("免费", "免手续费"), encoding="utf-8")
    rebuild(at)
    live = versions.current_version(Path(env["KB_INDEX"]))
    assert [s.value for s in at.success] == [ZH["ed_published"].format(version=live)]
    sentences = [t.value for t in at.text]
    assert ZH["ed_changed"].format(n=1, slugs="withdrawal-fees") in sentences
    assert len(sentences) == 2  # changed + the work line: no sentence for empty lists
    shown = texts(at)
    assert "True" not in shown and "published" not in shown and "\n- " not in shown
    assert not at.table  # no key/value table with "-" for empty lists any more

    rebuild(at)  # nothing changed since
    assert [i.value for i in at.info] == [ZH["ed_unchanged"].format(version=live)]
    assert len(at.text) == 1


def test_rebuild_summary_names_a_few_slugs_and_counts_the_rest(env, monkeypatch):
    articles = Path(env["KB_ARTICLES"])
    for i in range(13):
        (articles / f"extra-{i:02d}.md").write_text(
            f"---\ntitle: 额外文章 {i}\n---\n内容 {i}。\n", encoding="utf-8"
        )
    shutil.rmtree(articles / "payments")
    at = rebuild(unlock_editor(monkeypatch, "en"))
    sentences = [t.value for t in at.text]
    added = next(s for s in sentences if s.startswith("Articles added: 13"))
    assert "extra-09" in added and "extra-10" not in added and "and 3 more" in added
    assert "Articles removed: 1 (payment-failed-en)." in sentences
    assert not any(s.startswith("Articles changed") for s in sentences)


def second_version(env, at: AppTest) -> tuple[str, str]:
    """Edit an article and rebuild from the page: (the first live version, the new one)."""
    index = Path(env["KB_INDEX"])
    first = versions.current_version(index)
    path = Path(env["KB_ARTICLES"]) / "withdrawals" / "withdrawal-fees.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n更多说明。\n", encoding="utf-8")
    rebuild(at)
    at.run()
    return first, versions.current_version(index)


def test_rollback_asks_for_confirmation_then_says_what_happened(env, monkeypatch):
    index = Path(env["KB_INDEX"])
    at = unlock_editor(monkeypatch, "zh")
    assert at.button(key="ed-rollback").disabled  # one version: nothing to roll back to
    first, second = second_version(env, at)
    click(at, "ed-rollback")
    assert versions.current_version(index) == second  # asking changes nothing
    assert any(ZH["ed_rollback_confirm"].format(live=second) == w.value for w in at.warning)
    click(at, "ed-rollback-no")
    assert versions.current_version(index) == second and not at.success
    click(at, "ed-rollback")
    click(at, "ed-rollback-yes")
    assert versions.current_version(index) == first
    assert [s.value for s in at.success] == [ZH["ed_rolled_back"].format(old=second, new=first)]
    assert first in [str(v) for d in at.dataframe for v in d.value.iloc[:, 0]]


def test_a_failed_rollback_says_why_and_changes_nothing(env, monkeypatch):
    index = Path(env["KB_INDEX"])
    at = unlock_editor(monkeypatch, "en")
    first, second = second_version(env, at)
    click(at, "ed-rollback")
    shutil.rmtree(index / first)  # gone between the question and the answer
    click(at, "ed-rollback-yes")
    assert versions.current_version(index) == second
    (error,) = at.error
    assert error.value.startswith("The rollback did not happen:")
    assert error.value.endswith("The live version is unchanged.")


def write_queries(env, rows: list[dict]) -> list[Query]:
    path = Path(env["KB_QUERIES"])
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return load_queries(path)


QUERIES = [
    {"query": "忘记密码", "relevant": ["forgot-password"]},
    {"query": "提现多久到账", "relevant": ["withdrawal-time"]},
    {"query": "card declined", "relevant": ["payment-failed-en"]},
    {"query": "完全无关的问题", "relevant": ["no-such-article"]},
]


def test_evaluation_shows_every_query_and_the_same_figures_as_kb_eval(env, monkeypatch):
    queries = write_queries(env, QUERIES)
    at = click(unlock_editor(monkeypatch, "en"), "ed-evaluate")
    assert at.get("progress")  # a progress bar, not a spinner
    per_query = next(d.value for d in at.dataframe if "fused rank" in d.value.columns)
    assert per_query["query"].tolist() == [q.text for q in queries]
    assert per_query["fused rank"].iloc[-1] == EN["ed_not_found"]
    expected = evaluate(load_searcher(env["KB_INDEX"], "public", "hash:64"), queries, True)
    figures = next(d.value for d in at.dataframe if "metric" in d.value.columns)
    figures = figures.set_index("metric")
    for metric in editor_eval.METRICS:
        assert figures.loc[metric, "fused"] == expected[metric]
        assert figures.loc[metric, "bm25"] == expected["bm25"][metric]
        assert figures.loc[metric, "dense"] == expected["dense"][metric]
    ranks = [r for r in per_query["fused rank"] if r != EN["ed_not_found"]]
    assert figures.loc["recall@10", "fused"] == len(ranks) / len(queries)


class RecordingSearcher:
    """Answers every query with the same slugs and records what was asked."""

    version = "v-test"

    def __init__(self):
        self.asked: list[str] = []

    def search(self, text, top_k=10, mode=None):
        self.asked.append(text)
        return []


def test_evaluation_results_arrive_one_query_at_a_time(env):
    searcher = RecordingSearcher()
    queries = [Query(f"q{i}", ("a",)) for i in range(5)]
    stream = editor_eval.rankings(searcher, queries)
    assert searcher.asked == []
    first = next(stream)
    assert set(searcher.asked) == {"q0"} and set(first) == {"fused", "bm25", "dense"}
    next(stream)
    assert set(searcher.asked) == {"q0", "q1"}


def test_bad_query_file_shows_its_problems(env, monkeypatch):
    Path(env["KB_QUERIES"]).write_text('{"query": "x"}\nnot json\n', encoding="utf-8")
    at = click(unlock_editor(monkeypatch, "en"), "ed-evaluate")
    table = at.table[0].value
    assert table["line"].tolist() == [1, 2]
    Path(env["KB_QUERIES"]).write_text("\n", encoding="utf-8")
    at = click(at, "ed-evaluate")
    assert any("holds no queries" in w.value for w in at.warning) and not at.exception


def test_editor_reports_customers_and_agents_apart(env, monkeypatch):
    log = Analytics(env["KB_ANALYTICS_DB"])
    log.log_search("提现多久到账", "public", 3, "withdrawal-time", True)
    log.log_search("退款审批权限", "agent", 2, "agent-refund-approval", True)
    at = unlock_editor(monkeypatch, "zh")

    def queries(at) -> set[str]:
        return {q for d in at.dataframe if "query" in d.value.columns for q in d.value["query"]}

    assert queries(at) == {"提现多久到账"}  # customers by default
    at.radio(key="ed-who").set_value("agent").run()
    assert queries(at) == {"退款审批权限"}
    tabs = [tab.label for tab in at.tabs]
    assert ZH["ed_report_top queries"] in tabs


def test_search_is_logged_and_shown_on_the_editor_page(env, monkeypatch):
    search(run_app(), "提现多久到账")
    at = unlock_editor(monkeypatch, "zh")
    frames = [d.value for d in at.dataframe]
    assert any("query" in f.columns and "提现多久到账" in f["query"].tolist() for f in frames)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_synonyms_section_shows_the_draft_lists_problems(env, monkeypatch, language):
    """The rebuild tab shows the synonyms section in the interface language, with the draft
    list's problems (path:line) before a build would refuse them."""
    path = Path(env["KB_ARTICLES"]) / "synonyms.txt"
    path.write_text("退款, refund\n退钱\n", encoding="utf-8")  # line 2: a group of one term
    at = unlock_editor(monkeypatch, language)
    assert TEXT[language]["sy_title"] in [h.value for h in at.subheader]
    errors = [e.value for e in at.error]
    assert any("synonyms.txt" in e and "1" in e for e in errors), errors
    assert any("synonyms.txt:2" in c.value for c in at.code), [c.value for c in at.code]
    path.write_text("退款, refund\n", encoding="utf-8")
    at = unlock_editor(monkeypatch, language)
    assert not at.error
    assert any(
        TEXT[language]["sy_draft"].format(file="synonyms.txt", n=1) in m.value for m in at.markdown
    )


def test_rebuild_warns_when_a_faq_questions_id_changes(env, monkeypatch):
    articles = Path(env["KB_ARTICLES"])
    faq = articles / "faq.csv"
    header = "question,answer,category,language,visibility\n"
    faq.write_text(header + "提现要多久才能到账?,一般一到三个工作日。,faq,zh,public\n", "utf-8")
    at = rebuild(unlock_editor(monkeypatch, "en"))
    assert not at.warning  # a new question: nothing to warn about
    faq.write_text(header + "提现要多久才能到账呢?,一般一到三个工作日。,faq,zh,public\n", "utf-8")
    rebuild(at)
    (warning,) = at.warning
    assert warning.value == EN["ed_ids_changed"].format(n=1)
    (message,) = at.table[0].value["message"]
    assert "changed from" in message and "提现要多久才能到账呢" in message
