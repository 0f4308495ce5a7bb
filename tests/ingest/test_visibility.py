"""Visibility fails closed in FAQ tables and front matter.

The fault this guards against: a table with the header `id,question,answer,visiblity` (misspelt) and a
row marked `internal` validated with 0 problems and served the row to the public. Every way a header,
a row or a value can go wrong must now be an error, never a default to public; the property test at
the end mutates tables at random and checks that no mutation publishes an internal row silently.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb import ValidationError, build_index, load_articles, load_searcher
from kb.cli import main
from kb.index import versions
from kb.ingest.tables import column_name
from kb.options import Visibility
from kb.testing import TINY, write_articles
from kb.testing.corpora import MUTATION_EXAMPLES

HEADER = ["id", "question", "answer", "visibility"]
ROWS = [
    ["open-1", "年费是多少", "没有年费。", "public"],
    ["secret-1", "内部退款审批 SECRETWORD", "主管审批 SECRETWORD 流程。", "internal"],
]


def write_table(path: Path, header: list, rows: list[list]) -> Path:
    """The same table as .csv, .xlsx or .jsonl (by the path's suffix); jsonl pairs cells with
    header names by position, a missing name becoming the key '' and a missing cell null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows])
        path.write_text(out.getvalue(), encoding="utf-8")
    elif path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in [header, *rows]:
            book.active.append(row)
        book.save(path)
    else:
        lines = []
        for row in rows:
            width = max(len(header), len(row))
            pairs = [
                (header[i] if i < len(header) else "", row[i] if i < len(row) else None)
                for i in range(width)
            ]
            # written by hand so that repeated keys survive into the file
            body = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs)
            lines.append("{" + body + "}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_articles(path)
    prefix = f"{path.name}/" if path.is_dir() else f"{path.parent}/"
    return [str(p).removeprefix(prefix) for p in info.value.problems]


SUFFIXES = [".csv", ".xlsx", ".jsonl"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_misspelt_visibility_column_is_refused_with_the_nearest_name(tmp_path, suffix):
    header = ["id", "question", "answer", "visiblity"]
    path = write_table(tmp_path / f"faq{suffix}", header, ROWS)
    messages = problems(path)
    assert any("unknown" in m and "'visiblity'" in m for m in messages), messages
    assert any("did you mean 'visibility'" in m for m in messages), messages


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    "name",
    [
        "visibilty",
        "visible",
        "visibility:",
        "is_internal",
        "internal",
        "private",
        "访问权限",
        "vis",
    ],
)
def test_any_unknown_column_is_refused(tmp_path, suffix, name):
    path = write_table(tmp_path / f"faq{suffix}", ["id", "question", "answer", name], ROWS)
    assert any(f"unknown {'key' if suffix == '.jsonl' else 'column'}" in m for m in problems(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    "name",
    ["Visibility", " VISIBILITY ", "ｖｉｓｉｂｉｌｉｔｙ", "visi\u200bbility", "\ufeffvisibility"],
)
def test_header_names_are_cleaned_like_cells(tmp_path, suffix, name):
    assert column_name(name) == "visibility"
    path = write_table(tmp_path / f"faq{suffix}", ["id", "question", "answer", name], ROWS)
    by_slug = {a.slug: a for a in load_articles(path)}
    assert by_slug["secret-1"].visibility is Visibility.INTERNAL
    assert by_slug["open-1"].visibility is Visibility.PUBLIC


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_column_named_twice_is_refused(tmp_path, suffix):
    header = ["id", "question", "answer", "visibility", "Visibility"]
    rows = [[*r, "public"] for r in ROWS]
    path = write_table(tmp_path / f"faq{suffix}", header, rows)
    assert any("column 'visibility' appears twice (columns 4 and 5)" in m for m in problems(path))


def test_a_key_given_twice_in_one_jsonl_line_is_refused(tmp_path):
    path = tmp_path / "faq.jsonl"
    path.write_text(
        '{"question": "q SECRETWORD", "answer": "a", "visibility": "internal", '
        '"Visibility": "public"}\n',
        encoding="utf-8",
    )
    assert problems(path) == ["faq.jsonl:1: key 'Visibility' appears twice; keep one of them"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_row_with_too_few_cells_is_refused(tmp_path, suffix):
    """A shifted row: the visibility cell is missing, `internal` never reaches its column."""
    path = write_table(tmp_path / f"faq{suffix}", HEADER, [ROWS[0], ROWS[1][:3]])
    if suffix == ".csv":
        assert "faq.csv:3: row has 3 cells but the header has 4" in problems(path)[0]
    else:  # a spreadsheet has no "fewer cells": the visibility cell is empty
        assert "faq.xlsx:3: empty 'visibility' cell" in problems(path)[0]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_value_under_a_column_without_a_name_is_refused(tmp_path, suffix):
    header = ["id", "question", "answer", "visibility", ""]
    rows = [[*ROWS[0], ""], [*ROWS[1][:3], "public", "internal"]]
    path = write_table(tmp_path / f"faq{suffix}", header, rows)
    assert any("column 5 has the value 'internal' but no header name" in m for m in problems(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_an_empty_visibility_cell_is_refused(tmp_path, suffix):
    path = write_table(tmp_path / f"faq{suffix}", HEADER, [ROWS[0], [*ROWS[1][:3], ""]])
    assert any(
        ":3: empty 'visibility' cell" in m or ":2: empty 'visibility'" in m for m in problems(path)
    )


def test_a_jsonl_line_without_the_key_when_others_have_it_is_refused(tmp_path):
    path = tmp_path / "faq.jsonl"
    lines = [
        {"question": "a", "answer": "b", "visibility": "public"},
        {"question": "SECRETWORD", "answer": "c"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    assert problems(path) == [
        "faq.jsonl:2: empty 'visibility' cell; write public or internal on every row of a table "
        "that has a visibility column (or delete the column to make the whole table public)"
    ]


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    "value",
    ["private", "仅内部", "yes", "internal only", "public/internal", "TRUE", "0", "公开的", "对内"],
)
def test_only_public_or_internal_are_values(tmp_path, suffix, value):
    path = write_table(tmp_path / f"faq{suffix}", HEADER, [ROWS[0], [*ROWS[1][:3], value]])
    assert any("unknown visibility" in m for m in problems(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    ("value", "expected"),
    [("内部", "internal"), (" 內部 ", "internal"), ("公开", "public"), ("公開", "public")],
)
def test_chinese_visibility_words_are_their_english_values(tmp_path, suffix, value, expected):
    header = ["id", "问题", "答案", "可见性"]
    write_table(tmp_path / f"faq{suffix}", header, [[*ROWS[1][:3], value]])
    (article,) = load_articles(tmp_path)
    assert article.visibility == Visibility(expected)


def test_yaml_yes_is_named_as_yaml_reads_it(tmp_path):
    write_articles(tmp_path, {"a.md": "---\ntitle: t\nvisibility: yes\n---\n正文\n"})
    with pytest.raises(ValidationError) as caught:
        load_articles(tmp_path)
    (problem,) = caught.value.problems
    assert "visibility reads as true" in problem.message and "yes" in problem.message


@pytest.mark.parametrize("value", [True, ["internal"], {"v": "internal"}, None])
def test_jsonl_visibility_must_be_text(tmp_path, value):
    path = tmp_path / "faq.jsonl"
    row = {"question": "SECRETWORD", "answer": "b", "visibility": value}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert problems(path)


def test_markdown_front_matter_fails_closed(tmp_path):
    write_articles(
        tmp_path,
        {
            "twice.md": "---\ntitle: t\nvisibility: internal\nvisibility: public\n---\n正文\n",
            "case.md": "---\ntitle: t\nVisibility: internal\n---\n正文\n",
            "typo.md": "---\ntitle: t\nvisiblity: internal\n---\n正文\n",
            "empty.md": "---\ntitle: t\nvisibility:\n---\n正文\n",
        },
    )
    messages = problems(tmp_path)
    assert any(m.startswith("twice.md:4: invalid YAML") and "given twice" in m for m in messages)
    assert any(m.startswith("case.md:3: unknown field 'Visibility'") for m in messages)
    assert any(
        "typo.md:3: unknown field 'visiblity'; did you mean 'visibility'" in m for m in messages
    )
    assert any(m.startswith("empty.md:3: empty visibility; write one of: public") for m in messages)
    assert len(messages) == 4


@pytest.mark.parametrize(
    ("where", "category"),
    [
        ("internal-notes{}", ""),  # the file's name
        ("staff/内部资料/faq{}", ""),  # a folder's
        ("faq{}", "internal"),  # the rows' category
        ("faq{}", "机密-流程"),
        ("restricted/faq{}", "payments"),
        ("Confidential_FAQ{}", ""),
    ],
)
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_table_named_internal_without_a_visibility_column_is_refused(
    tmp_path, suffix, where, category
):
    root = tmp_path / "articles"
    header = ["question", "answer"] + (["category"] if category else [])
    row = ["VIP 专线是多少", "仅限内部使用，勿告知客户。"] + ([category] if category else [])
    write_table(root / where.format(suffix), header, [row])
    (message,) = problems(root)
    assert "says this is internal, but no visibility is given" in message
    assert "add a visibility column" in message
    write_table(root / where.format(suffix), [*header, "visibility"], [[*row, "internal"]])
    assert [a.visibility for a in load_articles(root)] == [Visibility.INTERNAL]


def test_a_sheet_named_internal_is_refused_and_ordinary_names_stay_public(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "FAQ"
    book.active.append(["问题", "答案"])
    book.active.append(["年费是多少", "没有年费。"])
    staff = book.create_sheet("Internal")
    staff.append(["问题", "答案"])
    staff.append(["VIP 专线是多少", "仅限内部使用。"])
    book.save(root / "staff.xlsx")
    (message,) = problems(root)
    assert message.startswith("staff.xlsx[Internal]:2:") and "'internal' says" in message
    for name in ("international-transfers.csv", "privacy.csv", "internals.csv"):
        write_table(root / name, ["question", "answer"], [[f"{name} 问题", "答案。"]])
    del book["Internal"]
    book.save(root / "staff.xlsx")
    assert {a.visibility for a in load_articles(root)} == {Visibility.PUBLIC}


def test_markdown_in_an_internal_folder_needs_its_visibility_written(tmp_path):
    root = tmp_path / "articles"
    write_articles(root, {"internal/vip.md": "---\ntitle: VIP 专线\n---\n仅限内部。\n"})
    (message,) = problems(root)
    assert message.startswith("internal/vip.md:2:") and "visibility: internal" in message
    write_articles(root, {"internal/vip.md": "---\ntitle: VIP\nvisibility: public\n---\n公开。\n"})
    assert [a.visibility for a in load_articles(root)] == [Visibility.PUBLIC]
    write_articles(root, {"vip.md": "---\ntitle: VIP\ncategory: internal\n---\n仅限内部。\n"})
    (message,) = problems(root)
    assert message.startswith("vip.md:2:") and "'internal' says" in message


def test_a_public_article_cannot_translate_an_internal_one(tmp_path):
    internal = "---\ntitle: 退款审批\nslug: approval\nvisibility: internal\n---\n主管审批。\n"
    public = (
        "---\ntitle: Refund approval\nslug: approval-en\nlanguage: en\nvisibility: public\n"
        "translation_of: approval\n---\nA manager approves.\n"
    )
    write_articles(tmp_path, {"a.md": internal, "b.md": public})
    (message,) = problems(tmp_path)
    assert "b.md" in message and "'approval' is an internal article" in message
    write_articles(tmp_path, {"b.md": public.replace("visibility: public", "visibility: internal")})
    assert len(load_articles(tmp_path)) == 2


def test_the_misspelt_table_never_reaches_the_public_index(tmp_path, capsys):
    """The reported fault end to end: the build is refused, the live index keeps serving the
    previous version, and neither the library nor the CLI ever shows the row."""
    articles = write_articles(tmp_path / "articles", TINY)
    index = tmp_path / "index"
    build_index(articles, index, encoder="hash:64")
    live = versions.current_version(index)
    write_table(articles / "faq.csv", ["id", "question", "answer", "visiblity"], ROWS)
    with pytest.raises(ValidationError, match="did you mean 'visibility'"):
        build_index(articles, index, encoder="hash:64")
    assert versions.current_version(index) == live
    code = main(
        ["build", "--articles", str(articles), "--index", str(index), "--encoder", "hash:64"]
    )
    assert code == 1 and "visiblity" in capsys.readouterr().err
    public = load_searcher(index, "public", encoder="hash:64")
    assert all(a.slug != "secret-1" for a in public.search("内部退款审批 SECRETWORD", top_k=20))
    # with the header fixed, the row is internal: the agent sees it, the public never does
    write_table(articles / "faq.csv", HEADER, ROWS)
    build_index(articles, index, encoder="hash:64")
    agent = load_searcher(index, "agent", encoder="hash:64")
    public = load_searcher(index, "public", encoder="hash:64")
    assert agent.search("内部退款审批 SECRETWORD", top_k=1)[0].slug == "secret-1"
    assert all(a.slug != "secret-1" for a in public.search("内部退款审批 SECRETWORD", top_k=20))
    main(["search", "SECRETWORD", "--index", str(index), "--encoder", "hash:64", "--json"])
    answers = json.loads(capsys.readouterr().out)["answers"]  # the query itself is echoed
    assert "SECRETWORD" not in json.dumps(answers, ensure_ascii=False)


# The property ---------------------------------------------------------------------------------

PUBLIC_WORD = "public"
# characters an editor (or a copy-paste) can put into a name or value
EDIT_CHARS = st.sampled_from(list("aeilnrstvybcp_- :.\t\u200b\u3000ＶＩｉ内部公开"))
NAMES = st.sampled_from(["visibility", "Visibility", "internal", "category", "question", ""])
NEW_TEXT = st.one_of(NAMES, st.text(EDIT_CHARS, max_size=14)).filter(
    lambda t: column_name(t) != PUBLIC_WORD
)


def _edit(text: str, kind: str, pos: int, piece: str) -> str:
    i = pos % (len(text) + 1)
    if kind == "insert":
        return text[:i] + piece + text[i:]
    if kind == "delete":
        return text[:i] + text[i + 1 :]
    if kind == "replace":
        return text[:i] + piece + text[i + 1 :]
    if kind == "swap" and len(text) > 1:
        i = min(i, len(text) - 2)
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text.upper() if kind == "upper" else text


MUTATION = st.one_of(
    st.tuples(
        st.just("edit_header"),
        st.integers(0, 10),
        st.sampled_from(["insert", "delete", "replace", "swap", "upper"]),
        st.integers(0, 20),
        EDIT_CHARS,
    ),
    st.tuples(st.just("swap_header"), st.integers(0, 10), st.integers(0, 10)),
    st.tuples(st.just("drop_header"), st.integers(0, 10)),
    st.tuples(st.just("add_header"), st.integers(0, 10), NEW_TEXT),
    st.tuples(st.just("drop_cell"), st.integers(0, 10), st.integers(0, 10)),
    st.tuples(st.just("add_cell"), st.integers(0, 10), st.integers(0, 10), NEW_TEXT),
    st.tuples(st.just("set_cell"), st.integers(0, 10), st.integers(0, 10), NEW_TEXT),
    st.tuples(
        st.just("edit_cell"),
        st.integers(0, 10),
        st.integers(0, 10),
        st.sampled_from(["insert", "delete", "replace", "swap", "upper"]),
        st.integers(0, 20),
        EDIT_CHARS,
    ),
    st.tuples(st.just("swap_cells"), st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
)


def mutate(header: list, rows: list[list], mutation: tuple) -> None:
    """Apply one mutation in place. Indices wrap around the current sizes."""
    kind, *args = mutation
    if kind == "edit_header" and header:
        i = args[0] % len(header)
        header[i] = _edit(header[i], *args[1:])
    elif kind == "swap_header" and header:
        i, j = args[0] % len(header), args[1] % len(header)
        header[i], header[j] = header[j], header[i]
    elif kind == "drop_header" and header:
        del header[args[0] % len(header)]
    elif kind == "add_header":
        header.insert(args[0] % (len(header) + 1), args[1])
    elif kind in ("drop_cell", "add_cell", "set_cell", "edit_cell", "swap_cells"):
        row = rows[args[0] % len(rows)]
        if kind == "add_cell":
            row.insert(args[1] % (len(row) + 1), args[2])
        elif not row:
            return
        elif kind == "drop_cell":
            del row[args[1] % len(row)]
        elif kind == "set_cell":
            row[args[1] % len(row)] = args[2]
        elif kind == "edit_cell":
            i = args[1] % len(row)
            row[i] = _edit(row[i], *args[2:])
        else:
            i, j = args[1] % len(row), args[2] % len(row)
            row[i], row[j] = row[j], row[i]


@settings(
    max_examples=MUTATION_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    suffix=st.sampled_from(SUFFIXES),
    extra=st.lists(st.sampled_from(["category", "language", "tags", "url", "slug"]), unique=True),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
)
def test_no_mutation_of_a_table_publishes_an_internal_row_without_an_error(
    suffix, extra, mutations
):
    header = ["id", "question", "answer", *extra, "visibility"]
    fill = {"category": "billing", "language": "zh", "tags": "费用", "url": "", "slug": ""}
    rows = [
        [r[0], r[1], r[2], *[fill[c] for c in extra], r[3]] for r in (ROWS[0], ROWS[1], ROWS[1])
    ]
    rows[2][0] = "secret-2"
    for mutation in mutations:
        mutate(header, rows, mutation)
    # an edit that writes exactly `public` into a secret row's cell is an editor's legitimate
    # choice, not a fault; every generated value avoids that, except an edit of the cell itself
    for row in rows:
        if any("SECRETWORD" in str(c) for c in row) and any(
            column_name(c) == PUBLIC_WORD for c in row
        ):
            return
    work = Path(tempfile.mkdtemp())
    try:
        path = write_table(work / f"faq{suffix}", header, rows)
        try:
            articles = load_articles(path)
        except ValidationError as exc:
            assert exc.problems
            return
        for article in articles:
            text = " ".join(
                [
                    article.slug,
                    article.title,
                    article.body,
                    article.category,
                    article.url,
                    *article.tags,
                ]
            )
            if "SECRETWORD" in text or article.slug.startswith("secret"):
                assert article.visibility is Visibility.INTERNAL, (header, rows, article)
    finally:
        shutil.rmtree(work, ignore_errors=True)
