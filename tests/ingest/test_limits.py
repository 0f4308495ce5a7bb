"""FAQ tables have limits in bytes, rows, columns and cell length, checked before the work they
bound (item 3), and absurd lines in articles are refused by their length (item 2).

The faults: a 5 KB .xlsx declaring A1:XFD1048576 with data in its last row ran for more than 30
minutes (openpyxl pads every row of the declared range), and a 200,000-row CSV validated. The
limits live in one place, `kb.options.SourceLimits`; each refusal names the limit and the fix.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from kb import ValidationError, load_articles
from kb.options import LIMITS, SourceLimits
from kb.testing.hostile import SHEET, rewrite_part, zip_bomb

ROWS, COLUMNS, CELL = LIMITS.table_rows, LIMITS.table_columns, LIMITS.cell_chars


def problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    return [str(p) for p in info.value.problems]


def write_csv(path: Path, rows: list[list]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def declare_dimension(path: Path, ref: str) -> Path:
    """Set the first sheet's <dimension ref=...> to `ref`."""
    return rewrite_part(
        path,
        SHEET,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


@pytest.fixture
def no_row_iteration(monkeypatch):
    """Fail if openpyxl is asked for any row: the limit must be found before."""

    def refuse(*args, **kwargs):
        raise AssertionError("rows were iterated before the declared size was checked")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", refuse)


def test_limits_are_in_one_place_and_documented():
    limits = SourceLimits()
    assert (limits.table_rows, limits.table_columns) == (20_000, 50)
    assert limits.cell_chars == limits.article_chars  # a cell holds at most one article
    for name in SourceLimits.__dataclass_fields__:
        assert f"`{name}`" in SourceLimits.__doc__  # each limit has its reason written down


# ------------------------------------------------------------------------------------- rows


def test_200000_row_csv_is_refused_at_the_limit_without_reading_on(tmp_path):
    rows = [["question", "answer"]] + [[f"问题{i}", "回答。"] for i in range(200_000)]
    rows[ROWS + 100] = ['"unclosed', "x"]  # damage after the limit: never reached
    messages = problems(write_csv(tmp_path / "faq.csv", rows))
    assert messages == [
        f"{tmp_path}/faq.csv:{ROWS + 2}: table has more than 20,000 rows (limit 20,000); "
        "split the table into several files"
    ]


def test_jsonl_over_the_row_limit_is_refused(tmp_path):
    records = [{"question": f"问题{i}", "answer": "回答。"} for i in range(ROWS + 1)]
    messages = problems(write_jsonl(tmp_path / "faq.jsonl", records))
    assert messages == [
        f"{tmp_path}/faq.jsonl:{ROWS + 1}: table has more than 20,000 rows (limit 20,000); "
        "split the table into several files"
    ]


def test_exactly_the_row_limit_is_accepted(tmp_path):
    rows = [["question", "answer"]] + [[f"问题{i}", "回答。"] for i in range(ROWS)]
    assert len(load_articles(write_csv(tmp_path / "faq.csv", rows))) == ROWS


def test_xlsx_declaring_the_whole_sheet_is_refused_before_any_row_is_read(
    tmp_path, no_row_iteration
):
    path = write_xlsx(tmp_path / "faq.xlsx", [["question", "answer"], ["年费", "没有"]])
    declare_dimension(path, "A1:XFD1048576")
    (message,) = problems(path)
    assert message.startswith(
        f"{tmp_path}/faq.xlsx:1: sheet 'Sheet' declares the range A1:XFD1048576 "
        "(1,048,576 rows, 16,384 columns), over the limits of 20,000 rows and 50 columns"
    )
    assert "split the table into several files" in message


@pytest.mark.parametrize("ref", ["A1:B20002", "A1:AY2", "A1:XFD1"])
def test_xlsx_declaring_more_rows_or_columns_than_the_limits_is_refused(
    tmp_path, no_row_iteration, ref
):
    path = write_xlsx(tmp_path / "faq.xlsx", [["question", "answer"], ["年费", "没有"]])
    (message,) = problems(declare_dimension(path, ref))
    assert f"declares the range {ref} (" in message
    assert "over the limits of 20,000 rows and 50 columns" in message


def test_xlsx_without_a_declared_size_stops_counting_at_the_row_limit(tmp_path, monkeypatch):
    """No <dimension>: rows are counted as they are parsed, and parsing stops at the limit."""
    path = write_xlsx(tmp_path / "faq.xlsx", [["question", "answer"], ["年费", "没有"]])
    # one row far down: openpyxl fills the rows in between with empty ones
    rewrite_part(
        path,
        SHEET,
        lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml).replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            b"</sheetData>",
        ),
    )
    produced = []
    real = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in real(self, *args, **kwargs):
            produced.append(1)
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    (message,) = problems(path)
    assert f"faq.xlsx:{ROWS + 2}: table has more than 20,000 rows" in message
    assert len(produced) <= ROWS + 2


def test_xlsx_declaring_fewer_columns_than_it_has_loses_none(tmp_path):
    """A declared range narrower than the data must not cut the columns outside it: here the
    visibility column, which would publish an internal row."""
    rows = [["question", "answer", "visibility"], ["内部流程", "主管审批", "internal"]]
    path = declare_dimension(write_xlsx(tmp_path / "faq.xlsx", rows), "A1:B2")
    (article,) = load_articles(path)
    assert article.visibility == "internal"


# ---------------------------------------------------------------------------------- columns


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_more_columns_than_the_limit_are_refused(tmp_path, suffix):
    header = ["question", "answer"] + [""] * (COLUMNS - 1)
    rows = [header, ["年费", "没有"] + ["x"] * (COLUMNS - 1)]
    path = tmp_path / f"faq{suffix}"
    if suffix == ".csv":
        write_csv(path, rows)
    else:  # without a declared size, so the cells are counted as the row is read
        write_xlsx(path, rows)
        rewrite_part(path, SHEET, lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))
    messages = problems(path)
    assert any(
        f"faq{suffix}:" in m and f"has {COLUMNS + 1} cells, over the 50-column limit" in m
        for m in messages
    ), messages


def test_jsonl_object_with_more_keys_than_the_limit_is_refused(tmp_path):
    keys = ", ".join(f'"k{i}": 1' for i in range(COLUMNS + 1))
    path = tmp_path / "faq.jsonl"
    path.write_text('{"question": "q", "answer": "a"}\n{' + keys + "}\n", encoding="utf-8")
    assert problems(path) == [
        f"{path}:2: object has 51 keys, over the 50-column limit; keep only the columns "
        "question, answer, id, slug, category, language, visibility, url, tags, updated, questions"
    ]


# ------------------------------------------------------------------------------- cells, bytes


@pytest.mark.parametrize("size", [CELL + 1, 131_073, 300_000])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_cells_over_the_limit_are_refused_on_their_line(tmp_path, suffix, size):
    answer = ("很长的回答 " * size)[:size]
    records = [{"question": "年费", "answer": "没有"}, {"question": "长", "answer": answer}]
    path = tmp_path / f"faq{suffix}"
    if suffix == ".csv":
        write_csv(path, [["question", "answer"]] + [list(r.values()) for r in records])
    else:
        write_jsonl(path, records)
    (message,) = problems(path)
    line = 3 if suffix == ".csv" else 2
    assert message.startswith(f"{path}:{line}: ")
    assert "over the 100,000-character limit; shorten it or split the answer" in message


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_files_over_the_byte_limit_are_refused_by_their_size(tmp_path, suffix, monkeypatch):
    path = tmp_path / f"faq{suffix}"
    with path.open("wb") as file:  # sparse: the size is what counts, nothing is read
        file.truncate(LIMITS.table_bytes + 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    assert problems(path) == [
        f"{path}:1: file is 20,000,001 bytes, over the 20,000,000-byte limit; "
        "split the table into several files"
    ]


def test_xlsx_that_unzips_past_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "faq.xlsx"
    zip_bomb(path)
    import openpyxl.reader.excel

    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", pytest.fail)
    (message,) = problems(path)
    assert re.match(rf"{path}:1: workbook unzips to [\d,]+ bytes, over the 200,000,000", message)


# ------------------------------------------------------------------------------ article lines


@pytest.mark.parametrize(
    "line",
    [
        "# a" + " " * 10_000 + "b",
        "# a" + "\t" * 20_000 + "b",
        "## " + "密码 " * 4_000,
        "- " * 6_000,
        ("word " * 2_001).strip(),
    ],
)
def test_absurd_lines_are_refused_with_their_line_and_the_limit(tmp_path, line):
    path = tmp_path / "a.md"
    path.write_text(f"---\ntitle: t\n---\n正文\n{line}\n", encoding="utf-8")
    (message,) = problems(path)
    assert message == (
        f"{path}:5: line is {len(line):,} characters long (limit 10,000); "
        "break it into shorter paragraphs or remove the padding"
    )


def test_absurd_line_in_a_faq_answer_is_refused(tmp_path):
    path = write_csv(tmp_path / "ok.csv", [["question", "answer"], ["年费", "没有 " * 3_000]])
    assert len(load_articles(path)) == 1  # 9,000 characters: under the limit
    answer = "没有 " * 3_999 + "没有"
    path = write_csv(tmp_path / "faq.csv", [["question", "answer"], ["年费", answer]])
    (message,) = problems(path)
    assert message.startswith(f"{path}:2: line is 11,999 characters long (limit 10,000)")
