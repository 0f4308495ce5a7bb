"""Issue 13 brief U item 4: a CSV saved with ';', tab or '；' between columns is read that way
(with a notice); a header under a banner row is found like in workbooks (first HEADER_ROWS rows),
and a table with no header says so without claiming the first row must be it."""

from __future__ import annotations

import pytest

from kb import ValidationError, load_articles
from kb.ingest import load_report
from kb.ingest.tables import HEADER_ROWS


@pytest.mark.parametrize("sep", [";", "\t", "；"])
@pytest.mark.parametrize("banner", ["", "2026 常见问题\n", "Our FAQ\n\n"])
def test_a_csv_with_another_separator_is_read_with_a_notice(tmp_path, sep, banner):
    path = tmp_path / "faq.csv"
    rows = ["question", "answer", "category"], ["有年费吗", "没有, 免费。", "fees"]
    path.write_text(banner + "\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
    report = load_report(path)
    assert report.problems == []
    (article,) = report.articles
    assert (article.title, article.category) == ("有年费吗", "fees")
    assert "没有, 免费。" in article.body
    assert any(repr(sep) in n.message and "separated" in n.message for n in report.notices)


def test_a_comma_csv_is_not_reread(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,answer\n年费;多少,没有\n", encoding="utf-8")
    report = load_report(path)
    assert [a.title for a in report.articles] == ["年费;多少"]
    assert not any("separated" in n.message for n in report.notices)


def test_an_unreadable_header_with_semicolons_says_to_save_with_commas(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("qestion;answr\n有年费吗;没有\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    message = str(info.value.problems[0])
    assert "seems to use ';' between columns" in message and "save it with commas" in message


def test_no_header_in_the_first_rows_does_not_blame_the_first_row(tmp_path):
    path = tmp_path / "faq.csv"
    banner = "".join(f"banner {i},x\n" for i in range(HEADER_ROWS))
    path.write_text(banner + "question,answer\n有年费吗,没有\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    message = str(info.value.problems[0])
    assert "the first row must" not in message and f"first {HEADER_ROWS} rows" in message
