"""Issue 13 items 1-4: every sheet of a workbook, merged cells, a title row above the header, and
FAQ ids that survive edits. Variants of each kind, not only the issue's examples."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kb import ValidationError, load_articles
from kb.ingest import load_report
from kb.ingest.ids import question_id, sheet_category


def workbook(path: Path, sheets: dict[str, list[list]], merged: dict | None = None) -> Path:
    """Write `sheets` (name -> rows) to `path`, merging the given ranges per sheet."""
    merged = merged or {}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for ref in merged.get(name, []):
            sheet.merge_cells(ref)
    book.save(path)
    return path


def notices(root: Path) -> list[str]:
    return [str(n) for n in load_report(root).notices]


@pytest.mark.parametrize(
    "sheets",
    [
        # the case: FAQs on the second sheet, something else on the first
        {"Cover": [["OKPay help"]], "Payments": [["question", "answer"], ["年费", "没有"]]},
        # FAQs on both sheets, the second with a Chinese header and name
        {
            "Accounts": [["question", "answer"], ["开户年龄", "18 岁"]],
            "支付": [["问题", "答案"], ["年费", "没有"], ["提现", "1-3 天"]],
        },
        # three sheets, one of them empty in the middle
        {
            "A": [["question", "answer"], ["q1", "a1"]],
            "Empty": [],
            "Billing Help": [["question", "answer"], ["q2", "a2"]],
        },
    ],
)
def test_every_sheet_is_read_with_its_name_as_default_category(tmp_path, sheets):
    path = workbook(tmp_path / "faq.xlsx", sheets)
    articles = load_articles(path)
    expected = {
        (row[0], sheet_category(name))
        for name, rows in sheets.items()
        if rows and rows[0][:2] in (["question", "answer"], ["问题", "答案"])
        for row in rows[1:]
    }
    assert {(a.title, a.category) for a in articles} == expected
    assert {a.source for a in articles} <= {f"{path}[{name}]" for name in sheets}


def test_sheet_names_become_categories_unless_a_column_says_otherwise(tmp_path):
    path = workbook(
        tmp_path / "faq.xlsx",
        {
            "Sheet1": [["question", "answer"], ["q0", "a0"]],
            "Account & Security": [["question", "answer", "category"], ["q1", "a1", ""]],
            "Payments": [["question", "answer", "category"], ["q2", "a2", "fees"]],
        },
    )
    categories = {a.title: a.category for a in load_articles(path)}
    assert categories == {"q0": "faq", "q1": "account-security", "q2": "fees"}


def test_problems_name_the_sheet_and_its_row(tmp_path):
    path = workbook(
        tmp_path / "faq.xlsx",
        {
            "Intro": [["question", "answer"], ["ok", "fine"]],
            "账户": [
                ["question", "answer", "visibility"],
                ["q", "a", "public"],
                ["q2", "a2", "secret"],
            ],
        },
    )
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}[账户]:3: unknown visibility 'secret'")


def test_sheets_skipped_are_named_with_the_reason(tmp_path):
    path = workbook(
        tmp_path / "faq.xlsx",
        {
            "Notes": [["This workbook lists our FAQs"], ["ask the team"]],
            "Blank": [],
            "FAQ": [["question", "answer"], ["q", "a"]],
        },
    )
    found = notices(path)
    assert any(n.startswith(f"{path}[Notes]:1: skipped sheet 'Notes': no row with") for n in found)
    assert f"{path}[Blank]:1: skipped sheet 'Blank': it is empty" in found
    assert [a.title for a in load_articles(path)] == ["q"]


def test_a_workbook_without_any_header_is_still_refused(tmp_path):
    path = workbook(tmp_path / "faq.xlsx", {"A": [["qustion", "answer"], ["q", "a"]], "B": []})
    with pytest.raises(ValidationError, match="missing column"):
        load_articles(path)


@pytest.mark.parametrize(
    ("rows", "merged", "expected"),
    [
        # category merged down over three rows
        (
            [
                ["question", "answer", "category"],
                ["q1", "a1", "fees"],
                ["q2", "a2", None],
                ["q3", "a3", None],
                ["q4", "a4", "cards"],
            ],
            ["C2:C4"],
            {"q1": "fees", "q2": "fees", "q3": "fees", "q4": "cards"},
        ),
        # category and visibility merged, two blocks each
        (
            [
                ["question", "answer", "category", "visibility"],
                ["q1", "a1", "fees", "public"],
                ["q2", "a2", None, None],
                ["q3", "a3", "cards", "internal"],
                ["q4", "a4", None, None],
            ],
            ["C2:C3", "D2:D3", "C4:C5", "D4:D5"],
            {"q1": "fees", "q2": "fees", "q3": "cards", "q4": "cards"},
        ),
    ],
)
def test_merged_cells_are_filled_from_their_top_left_cell(tmp_path, rows, merged, expected):
    path = workbook(tmp_path / "faq.xlsx", {"FAQ": rows}, {"FAQ": merged})
    articles = load_articles(path)
    assert {a.title: a.category for a in articles} == expected
    if "D4:D5" in merged:  # the visibility merged over q3..q4 keeps q4 internal, never public
        assert {a.title: a.visibility.value for a in articles}["q4"] == "internal"
    assert any("filled merged cells from their top-left cell" in n for n in notices(path))


@pytest.mark.parametrize("banner_rows", [1, 2, 3])
def test_the_header_is_found_below_title_rows_and_reported(tmp_path, banner_rows):
    banner = [["2026 常见问题", None, None]] + [
        [f"更新于 2026-0{i + 1}", None, None] for i in range(banner_rows - 1)
    ]
    rows = [*banner, ["问题", "答案", "分类"], ["年费", "没有", "fees"]]
    path = workbook(tmp_path / "faq.xlsx", {"FAQ": rows}, {"FAQ": ["A1:C1"]})
    (article,) = load_articles(path)
    assert (article.title, article.category) == ("年费", "fees")
    assert (
        f"{path}:{banner_rows + 1}: header found on row {banner_rows + 1}; rows above skipped"
        in notices(path)
    )


def test_a_csv_header_below_a_title_line_is_found(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("OKPay FAQ,,\n,,\nquestion,answer,category\n年费,没有,fees\n", encoding="utf-8")
    (article,) = load_articles(path)
    assert (article.title, article.body_line) == ("年费", 4)
    assert f"{path}:3: header found on row 3; rows above skipped" in notices(path)


def test_faq_ids_survive_inserted_moved_and_edited_rows(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,answer\n年费,没有。\n提现多久到账,1-3 天。\n", encoding="utf-8")
    before = {a.title: a.slug for a in load_articles(path)}
    # a row inserted on top, the others swapped, an answer and the punctuation of a question edited
    path.write_text(
        "question,answer\n新问题,新答案\n提现多久到账？,1-3 个工作日。\n年费 ,免年费。\n",
        encoding="utf-8",
    )
    after = {a.title.rstrip("？ "): a.slug for a in load_articles(path)}
    assert after["年费"] == before["年费"] and after["提现多久到账"] == before["提现多久到账"]
    assert len(set(after.values())) == 3
    assert "no 'id' column" in " ".join(notices(path))


def test_traditional_and_simplified_spellings_share_an_id():
    assert question_id("如何開戶？") == question_id("如何开户")
    assert question_id("如何开户") != question_id("如何销户")


def test_the_same_question_twice_is_refused_with_both_rows(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,answer\n年费,没有。\n其他,答\n年费？,免。\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:4: row repeats the question of row 2 ('年费？'); delete one of them or give each an 'id'"
    ]


def test_an_id_column_keeps_ids_and_silences_the_notice(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("id,question,answer\nfee,年费,没有。\n", encoding="utf-8")
    (article,) = load_articles(path)
    assert article.slug == "fee"
    assert not any("no 'id' column" in n for n in notices(path))


@pytest.mark.parametrize("bad", ["昨天", "May 1", "01/05/2026"])
def test_a_table_updated_cell_must_be_a_date(tmp_path, bad):
    path = tmp_path / "faq.csv"
    path.write_text(
        f"question,answer,updated\n年费,没有。,2026-05-01\n提现,1 天。,{bad}\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    (problem,) = info.value.problems
    assert str(problem).startswith(f"{path}:3: field 'updated' must be a date like 2026-05-01")


def test_a_spreadsheet_date_cell_is_a_date(tmp_path):
    import datetime as dt

    rows = [["question", "answer", "updated"], ["q", "a", dt.date(2026, 5, 1)]]
    path = workbook(tmp_path / "faq.xlsx", {"FAQ": rows})
    (article,) = load_articles(path)
    assert article.updated.startswith("2026-05-01")
