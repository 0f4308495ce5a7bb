"""Issue 13 item 4: a warning when a FAQ row's id changes for the same question.

FAQ ids are made from the question, so editing a question's wording gives the row a new id and
breaks links, feedback and analytics silently. `id_changes` compares the rows about to be built
with the live version's: one warning per changed id, none for genuinely new or deleted questions.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from kb.ingest.ids import SIMILAR_QUESTION, FaqEntry, id_changes
from kb.ingest.loader import table_entries

HEADER = ["question", "answer"]


def _csv(rows: list[list[str]], header=HEADER) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def _entries(tmp_path, name: str, files: dict[str, str]) -> list[FaqEntry]:
    root = tmp_path / name / "articles"  # the same folder name: sources are relative to it
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return table_entries(root)


def _changes(tmp_path, before: dict[str, str], after: dict[str, str]):
    return id_changes(_entries(tmp_path, "old", before), _entries(tmp_path, "new", after))


BASE = [
    ["如何修改登陆密码", "在设置页点击修改密码。"],
    ["How do I reset my password?", "Click 'Forgot password' on the sign-in page."],
    ["怎么退款", "在订单页点击申请退款，3 个工作日内原路退回。"],
    ["退款要多久", "一般 1-3 个工作日到账。"],
    ["开户需要什么证件", "身份证原件。"],
]


def _edit(rows, index, question=None, answer=None):
    rows = [list(r) for r in rows]
    rows[index] = [question or rows[index][0], answer or rows[index][1]]
    return rows


@pytest.mark.parametrize(
    ("index", "question", "answer", "why"),
    [
        (0, "如何修改登录密码", None, "typo fix"),
        (1, "How can I reset my password", None, "reworded, punctuation dropped"),
        (1, "How do I reset my password?", "Use the 'Forgot password' link.", "unchanged"),
        (3, "退款要多久（工作日）？", None, "words in brackets, same answer"),
        (4, "请问开户需要什么证件？", "身份证原件或护照。", "polite word, answer edited"),
    ],
)
def test_an_edited_question_warns_at_its_row_with_old_and_new_id(
    tmp_path, index, question, answer, why
):
    before = {"faq.csv": _csv(BASE)}
    after = {"faq.csv": _csv(_edit(BASE, index, question, answer))}
    old = {e.question: e.id for e in _entries(tmp_path, "o", before)}[BASE[index][0]]
    warnings = _changes(tmp_path, before, after)
    if why == "unchanged":  # an answer edit keeps the id: nothing to say
        assert warnings == []
        return
    assert len(warnings) == 1, why
    (w,) = warnings
    assert (w.path.rsplit("/", 1)[-1], w.line) == ("faq.csv", index + 2)
    assert f'the id of "{question}" changed from {old} to faq-' in w.message
    assert "(question edited)" in w.message
    assert f"for {old} no longer reach it" in w.message
    assert f"add an 'id' column with {old} on this row" in w.message


def test_a_reworded_question_with_the_same_answer_moved_to_another_row_warns(tmp_path):
    rows = [list(r) for r in BASE]
    moved = rows.pop(2)
    rows.append(["退款流程是什么", moved[1]])  # reworded beyond any similarity, answer kept
    warnings = _changes(tmp_path, {"faq.csv": _csv(BASE)}, {"faq.csv": _csv(rows)})
    assert [(w.line, "退款流程是什么" in w.message) for w in warnings] == [(6, True)]


def test_new_and_deleted_questions_do_not_warn(tmp_path):
    rows = _edit(BASE, 2, "如何退货", "在订单页点击申请退货。")  # 怎么退款 deleted, 如何退货 new
    rows.append(["How do I change my email?", "Open Settings > Email."])
    rows = [r for r in rows if not r[0].startswith("How do I reset")]  # deleted
    assert _changes(tmp_path, {"faq.csv": _csv(BASE)}, {"faq.csv": _csv(rows)}) == []


def test_short_different_questions_stay_below_the_threshold():
    from difflib import SequenceMatcher

    for a, b in [("如何退款", "如何退货"), ("howdoiresetmypassword", "howdoichangemyemail")]:
        assert SequenceMatcher(None, a, b).ratio() < SIMILAR_QUESTION


def test_a_shared_generic_answer_is_no_evidence(tmp_path):
    before = _csv([["积分怎么兑换", "请联系客服。"], ["发票怎么开", "请联系客服。"], ["x1", "y1"]])
    after = _csv([["会员怎么升级", "请联系客服。"], ["密码错误被锁", "请联系客服。"], ["x1", "y1"]])
    assert _changes(tmp_path, {"faq.csv": before}, {"faq.csv": after}) == []


def test_a_question_moved_to_another_file_is_not_matched(tmp_path):
    before = {"a.csv": _csv(BASE), "b.csv": _csv([["其他问题", "其他答案"]])}
    after = {"a.csv": _csv(BASE[:1]), "b.csv": _csv([["其他问题", "其他答案"], *BASE[1:]])}
    assert _changes(tmp_path, before, after) == []


@pytest.mark.parametrize(
    ("new_id", "fix", "why"),
    [
        ("pwd-reset-2", "put pwd-reset back in its id cell", "id cell edited"),
        ("", "add an 'id' column with pwd-reset on this row", "id cell emptied"),
    ],
)
def test_an_id_cell_changed_for_an_unchanged_question_warns(tmp_path, new_id, fix, why):
    header = ["id", "question", "answer"]
    before = _csv([["pwd-reset", *BASE[1]], ["refund", *BASE[2]]], header)
    kept = _csv([[new_id, *BASE[1]], ["refund", *BASE[2]]], header)
    after = kept if new_id else _csv([BASE[1], BASE[2]])  # no id column: ids from questions
    warnings = _changes(tmp_path, {"faq.csv": before}, {"faq.csv": after})
    assert len(warnings) == (1 if new_id else 2)  # without the column, refund's id changes too
    w = warnings[0]
    assert "changed from pwd-reset to " in w.message and fix in w.message and why in w.message
    assert w.line == 2


def test_unchanged_tables_and_answer_edits_do_not_warn(tmp_path):
    after = _edit(BASE, 0, answer="新的答案。")
    assert _changes(tmp_path / "same", {"faq.csv": _csv(BASE)}, {"faq.csv": _csv(BASE)}) == []
    assert _changes(tmp_path / "edit", {"faq.csv": _csv(BASE)}, {"faq.csv": _csv(after)}) == []


def _book(path, sheets: dict[str, list[list[str]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in [HEADER, *rows]:
            sheet.append(row)
    book.save(path)


def test_a_workbook_row_reworded_onto_another_sheet_warns_with_the_sheet(tmp_path):
    old, new = tmp_path / "old" / "articles", tmp_path / "new" / "articles"
    old.mkdir(parents=True), new.mkdir(parents=True)
    _book(old / "faq.xlsx", {"账户": BASE[:2], "退款": BASE[2:]})
    _book(new / "faq.xlsx", {"账户": BASE[:1], "退款": [*BASE[2:], ["怎样重置密码", BASE[1][1]]]})
    (w,) = id_changes(table_entries(old), table_entries(new))
    assert w.path.endswith("faq.xlsx[退款]") and w.line == 5
    assert 'the id of "怎样重置密码" changed' in w.message


def test_a_table_whose_every_id_changed_is_matched_by_equal_questions_quickly(tmp_path):
    many = [[f"问题 {i} 怎么办", f"答案 {i}"] for i in range(800)]
    header = ["id", "question", "answer"]
    before = _csv([[f"q{i}", *row] for i, row in enumerate(many)], header)
    warnings = _changes(tmp_path, {"faq.csv": before}, {"faq.csv": _csv(many)})
    assert len(warnings) == 800
    assert all("id cell emptied or id column removed" in w.message for w in warnings)
