"""kb.analytics: personal data is masked before it is stored (also in old databases), rows expire
and are capped, a broken database never raises on write and is reported clearly on read, and
every CSV export is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import random
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import kb.analytics.store as store
from kb.analytics import Analytics, AnalyticsError, mask_personal_data, query_key, to_csv
from kb.config import load_config
from kb.errors import ConfigError, KBError

FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")
SEPARATORS = [" ", "-", "－", "\u3000", "\u00a0", " - ", "‐"]
TEMPLATES = ["{}", "我的卡号{}被拒了", "卡号：{}，怎么办？", "card {} declined", "请查询 {} 的记录"]


def luhn_digit(body: str) -> str:
    """The check digit that makes `body` + it pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def id_check(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def grouped(digits: str, sizes: list[int], sep: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    if start < len(digits):
        parts.append(digits[start:])
    return sep.join(p for p in parts if p)


def styles(rng: random.Random, digits: str, sizes: list[int]) -> list[str]:
    """The ways a person writes `digits`: as one run, grouped with each separator, full-width,
    with a zero-width space inside."""
    out = [digits, digits.translate(FULL_WIDTH)]
    out += [grouped(digits, sizes, sep) for sep in SEPARATORS]
    out.append(grouped(digits, sizes, " ").translate(FULL_WIDTH))
    cut = rng.randrange(1, len(digits))
    out.append(digits[:cut] + "\u200b" + digits[cut:])
    return out


def cards(rng: random.Random) -> list[str]:
    out = []
    for prefix, length, sizes in [
        ("4", 16, [4, 4, 4, 4]),
        ("4", 13, [4, 4, 5]),
        ("51", 16, [4, 4, 4, 4]),
        ("62", 19, [4, 4, 4, 4, 3]),
        ("37", 15, [4, 6, 5]),
        ("6011", 16, [4, 4, 4, 4]),
    ]:
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        out += styles(rng, body + luhn_digit(body), sizes)
    return out


def phones(rng: random.Random) -> list[str]:
    out = []
    for _ in range(3):
        mobile = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        out += styles(rng, mobile, [3, 4, 4])
        out += [f"+86 {mobile}", f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", f"0086{mobile}"]
        out += [f"(+86){mobile}", f"86 {mobile}", f"＋８６ {mobile}".translate(FULL_WIDTH)]
    out += ["+1 (415) 555-0100", "+44 20 7946 0958", "+852 9123 4567", "+81-3-1234-5678"]
    out += ["+65 6123 4567", "001 415 555 0100", "010-61234567", "(021) 6123 4567"]
    out += ["0755-1234 5678", "400-123-4567", "(415) 555-0100", "415.555.0100"]
    return out


def resident_ids(rng: random.Random) -> list[str]:
    out = []
    for area in ("110105", "310101", "440305"):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        body = area + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        number = body + id_check(body)
        out += styles(rng, number, [6, 8, 4])
        out.append(number.lower())
    out.append("11010519491231002X")  # the well-known specimen, check digit X
    return out


def emails(rng: random.Random) -> list[str]:
    out = ["o'brien@example.com", "13800138000@example.com", "Li_Si+help@mail.example.cn"]
    for domain in ("example.com", "mail.example.cn", "example.co.uk", "help-desk.example.org"):
        local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6))
        local = f"{local[:3]}.{local[3:]}" if rng.random() < 0.5 else f"{local}_{rng.randrange(99)}"
        address = f"{local}@{domain}"
        wide = address.translate(str.maketrans("@.", "＠．"))
        out += [address, address.upper(), wide, unicodedata.normalize("NFKC", wide).upper()]
        out.append("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in address))
        out.append(address.replace("@", " @ "))
    return out


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("card", cards),
        ("phone", phones),
        ("id", resident_ids),
        ("email", emails),
    ],
)
def test_personal_data_is_masked_in_every_form(kind: str, make: Callable) -> None:
    rng = random.Random(f"mask-{kind}")
    values = make(rng)
    assert len(values) >= 15
    for value in values:
        for template in TEMPLATES:
            masked = mask_personal_data(template.format(value))
            assert masked == template.format(f"[{kind}]"), (value, template, masked)


def test_several_kinds_in_one_question_are_masked_each() -> None:
    text = "手机13800138000，邮箱 a@example.com，卡 4111 1111 1111 1111，身份证11010519491231002X"
    assert mask_personal_data(text) == "手机[phone]，邮箱 [email]，卡 [card]，身份证[id]"


def test_questions_without_personal_data_are_kept_as_typed() -> None:
    rng = random.Random("orders")
    orders = []
    while len(orders) < 20:  # order numbers: contiguous, failing the Luhn check (documented)
        body = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(15))
        if luhn_digit(body[:-1]) != body[-1]:
            orders.append(body)
    kept = [f"订单号 {o} 没到账" for o in orders] + [
        "提现 5000 元手续费 1% 多久到账",
        "2024-11-15 13:45 的交易",
        "验证码 123456 收不到",
        "订单 12345678 退款",
        "版本 v2.3.1 闪退",
        "iPhone 15 Pro 256GB 支付失败",
        "IP 192.168.100.200 登录",
        "¥1,299.00 扣了两次",
        "忘记密码怎么办",
        '=HYPERLINK("https://example.com")',
        "@SUM(A1:A3)",
    ]
    for text in kept:
        assert mask_personal_data(text) == text


def test_stored_queries_and_feedback_are_masked(tmp_path: Path) -> None:
    log = Analytics(tmp_path / "a.sqlite")
    log.log_search("手机 138 0013 8000 收不到验证码", "public", 3, "sms", False)
    log.log_search("手机 139-0013-9000 收不到验证码", "public", 3, "sms", False)
    log.log_feedback("卡 4111111111111111 被拒", "card-declined", False, "agent")
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        stored = db.execute(
            "SELECT query, query_key FROM searches UNION ALL SELECT query, query_key FROM feedback"
        ).fetchall()
    assert not any(ch.isdigit() for row in stored for ch in "".join(row)), stored
    top = log.top_queries()
    assert top.to_dict("records")[0]["query"] == "手机 [phone] 收不到验证码"
    assert top.iloc[0]["searches"] == 2  # two people, one question
    assert log.unhelpful_answers(role="agent").iloc[0]["query"] == "卡 [card] 被拒"


def test_a_database_written_before_masking_is_masked_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # the schema of the version that did not mask
        db.executescript(store.SCHEMA)
        rows = [("13800138000 收不到", "public"), ("a@example.com 改邮箱", "public")]
        for query, role in rows:
            db.execute(
                "INSERT INTO searches (ts, day, query, query_key, role, results, good_match) "
                "VALUES (?, ?, ?, ?, ?, 1, 1)",
                (
                    dt.datetime.now(dt.UTC).isoformat(),
                    dt.date.today().isoformat(),
                    query,
                    query_key(query),
                    role,
                ),
            )
        db.execute(
            "INSERT INTO feedback (ts, day, query, query_key, slug, helpful, role) "
            "VALUES ('t', 'd', '身份证11010519491231002X', 'k', 's', 0, 'public')"
        )
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0
    Analytics(path).top_queries()
    with sqlite3.connect(path) as db:
        searches = db.execute("SELECT query, query_key FROM searches ORDER BY id").fetchall()
        feedback = db.execute("SELECT query, query_key FROM feedback").fetchall()
        version = db.execute("PRAGMA user_version").fetchone()[0]
    assert searches == [("[phone] 收不到",) * 2, ("[email] 改邮箱",) * 2]
    assert feedback == [("身份证[id]", "身份证[id]")]
    assert version == store.SCHEMA_VERSION


def at_time(monkeypatch, moment: dt.datetime) -> None:
    """Make the store believe it is `moment` (UTC) when it writes."""
    stamp = (moment.isoformat(timespec="seconds"), moment.date().isoformat())
    monkeypatch.setattr(Analytics, "_now", staticmethod(lambda: stamp))


def test_rows_older_than_the_retention_period_are_deleted(tmp_path: Path, monkeypatch) -> None:
    now = dt.datetime.now(dt.UTC)
    ages = [400, 91, 31, 30, 29, 1, 0]
    log = Analytics(tmp_path / "a.sqlite", retention_days=30, prune_every=1000)
    for age in ages:
        at_time(monkeypatch, now - dt.timedelta(days=age))
        log.log_search(f"asked {age} days ago", "public", 1, None, True)
        log.log_feedback(f"voted {age} days ago", "slug", False, "public")
    monkeypatch.undo()
    fresh = Analytics(tmp_path / "a.sqlite", retention_days=30, prune_every=1000)
    fresh.log_search("today", "public", 1, None, True)  # the first write of a process prunes
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        kept = {t: [r[0] for r in db.execute(f"SELECT query FROM {t}")] for t in store.TABLES}
    assert kept["searches"] == [f"asked {a} days ago" for a in ages if a <= 30] + ["today"]
    assert kept["feedback"] == [f"voted {a} days ago" for a in ages if a <= 30]
    # reports never reach past the retention period, even before a prune
    assert len(fresh.top_queries(days=365)) == len(kept["searches"])


def test_each_table_is_capped_oldest_first(tmp_path: Path) -> None:
    log = Analytics(tmp_path / "a.sqlite", max_rows=20, prune_every=7)
    written = 83
    for i in range(written):
        log.log_search(f"question {i}", "public", 1, None, True)
        log.log_feedback(f"question {i}", "slug", True, "public")
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        for table in store.TABLES:
            queries = [r[0] for r in db.execute(f"SELECT query FROM {table} ORDER BY id")]
            assert 20 <= len(queries) <= 20 + 7
            assert queries == [f"question {i}" for i in range(written - len(queries), written)]
    assert not log.failures()


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("30", 30),
        (" 7 ", 7),
        ("", 90),
        ("0", None),
        ("-5", None),
        ("1.5", None),
        ("ninety", None),
        ("90d", None),
        ("99999999", None),
        ("３０", None),
    ],
)
def test_retention_setting_is_validated(value: str, ok: int | None) -> None:
    env = {"KB_ANALYTICS_RETENTION_DAYS": value}
    if ok is None:
        with pytest.raises(ConfigError, match="KB_ANALYTICS_RETENTION_DAYS"):
            load_config(env)
    else:
        assert load_config(env).analytics_retention_days == ok
    with pytest.raises(ConfigError, match="KB_ANALYTICS_MAX_ROWS"):
        load_config({"KB_ANALYTICS_MAX_ROWS": "lots"})
    with pytest.raises(ConfigError, match="retention_days"):
        Analytics(Path("unused.sqlite"), retention_days=0)


# ------------------------------------------------------------------------------ failures


LONG = "x" * 480  # a question of the longest kind stored
HOLDERS: list[sqlite3.Connection] = []  # connections holding a lock, closed after each test


def _garbage(tmp: Path, monkeypatch) -> Path:
    path = tmp / "analytics.sqlite"
    path.write_bytes(b"this is not a database, it is a note somebody saved here\n" * 50)
    return path


def _corrupt(tmp: Path, monkeypatch) -> Path:
    path = tmp / "analytics.sqlite"
    log = Analytics(path)
    for i in range(80):
        log.log_search(f"question {i} {LONG}", "public", 1, None, True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset : offset + 100] = b"\xff" * 100
    path.write_bytes(bytes(data))
    return path


def _hold(path: Path, monkeypatch, begin: str) -> Path:
    """Another connection holds `path`'s lock (`begin`: BEGIN EXCLUSIVE or IMMEDIATE) until the
    test ends; the store waits 50 ms for it instead of BUSY_TIMEOUT_S."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute(begin)
    HOLDERS.append(holder)
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.05)
    return path


def _locked(tmp: Path, monkeypatch) -> Path:
    """Another process holds an exclusive lock on a database in rollback-journal mode."""
    with sqlite3.connect(tmp / "analytics.sqlite") as db:
        db.execute("CREATE TABLE other (x)")
    return _hold(tmp / "analytics.sqlite", monkeypatch, "BEGIN EXCLUSIVE")


def _write_locked(tmp: Path, monkeypatch) -> Path:
    """A working WAL database whose writer lock another connection holds: reads still work."""
    Analytics(tmp / "analytics.sqlite").log_search("before the lock", "public", 1, None, True)
    return _hold(tmp / "analytics.sqlite", monkeypatch, "BEGIN IMMEDIATE")


def _unwritable_folder(tmp: Path, monkeypatch) -> Path:
    """A folder where no file can be created, whoever runs the tests (root included)."""
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc")
    return Path("/proc/analytics-test.sqlite")


def _folder_cannot_be_created(tmp: Path, monkeypatch) -> Path:
    (tmp / "data").write_text("a file where the folder should be", encoding="utf-8")
    return tmp / "data" / "analytics" / "analytics.sqlite"


def _read_only_file(tmp: Path, monkeypatch) -> Path:
    """An existing database the process may read but not write (opened as SQLite does for a
    file without write permission; chmod does not bind root, who runs CI)."""
    path = tmp / "analytics.sqlite"
    Analytics(path).log_search("before", "public", 1, None, True)
    monkeypatch.setattr(
        Analytics,
        "_connect",
        lambda self: sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=0.05),
    )
    return path


def _disk_full(tmp: Path, monkeypatch) -> Path:
    """SQLite's own SQLITE_FULL: the file may not grow past its size, whose pages are full."""
    path = tmp / "analytics.sqlite"
    Analytics(path).log_search("before", "public", 1, None, True)
    with sqlite3.connect(path) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0] + 2
    connect = Analytics._connect

    def full(self):
        db = connect(self)
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(Analytics, "_connect", full)
    for text, table in [(t, table) for t in (LONG, "") for table in ("search", "feedback")]:
        filler = Analytics(path)  # fill every page: long rows, then the shortest
        while not filler.failures():
            if table == "search":
                filler.log_search(text, "public", 1, None, True)
            else:
                filler.log_feedback(text, "", True, "")
    return path


# kind -> (set-up, failure kind counted, whether reports can still be read)
BROKEN = {
    "not a database": (_garbage, "damaged", False),
    "corrupt pages": (_corrupt, "damaged", False),
    "locked": (_locked, "locked", False),
    "write-locked": (_write_locked, "locked", True),
    "read-only folder": (_unwritable_folder, "read-only", False),
    "folder cannot be created": (_folder_cannot_be_created, "folder", False),
    "read-only file": (_read_only_file, "read-only", True),
    "disk full": (_disk_full, "disk full", True),
}


@pytest.fixture(autouse=True)
def _release_locks():
    yield
    while HOLDERS:
        HOLDERS.pop().close()


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_database_never_raises_on_write_and_is_reported(
    name: str, tmp_path: Path, monkeypatch, caplog
) -> None:
    setup, kind, readable = BROKEN[name]
    path = setup(tmp_path, monkeypatch)
    log = Analytics(path)
    caplog.set_level(logging.INFO, logger="kb.analytics")
    caplog.clear()  # what setting up logged
    for i in range(6):
        log.log_search(f"question {i} {LONG}", "public", 1, "slug", True)
        log.log_feedback(f"question {i} {LONG}", "slug", False, "agent")
    failures = {f.kind: f for f in log.failures()}
    assert list(failures) == [kind]
    assert failures[kind].count == 12  # every write
    logged = [r for r in caplog.records if r.name.startswith("kb.analytics")]
    assert len(logged) == 1, [r.getMessage() for r in logged]  # once per kind, not per search
    assert str(path) in logged[0].getMessage()
    if readable:
        assert isinstance(log.top_queries(), pd.DataFrame)
        return
    with pytest.raises(AnalyticsError) as caught:
        log.reports()
    message = str(caught.value)
    assert isinstance(caught.value, KBError) and caught.value.path == path
    assert path.name in message and "KB_ANALYTICS_DB" in message and kind in message
    assert str(path.parent) not in message  # pages show it: no server path
    assert len([r for r in caplog.records if r.name.startswith("kb.analytics")]) == 1


def test_writes_resume_when_the_database_is_usable_again(tmp_path: Path, monkeypatch) -> None:
    path = _locked(tmp_path, monkeypatch)
    log = Analytics(path)
    log.log_search("while locked", "public", 1, None, True)
    HOLDERS[-1].execute("ROLLBACK")
    log.log_search("after the lock", "public", 1, None, True)
    assert log.top_queries()["query"].tolist() == ["after the lock"]
    for part in tmp_path.glob("analytics.sqlite*"):
        part.unlink()
    path.write_bytes(b"garbage" * 100)
    log.log_search("while damaged", "public", 1, None, True)
    os.replace(path, tmp_path / "moved-aside.sqlite")  # what the message says to do
    log.log_search("after moving it aside", "public", 1, None, True)
    assert log.top_queries()["query"].tolist() == ["after moving it aside"]
    assert {f.kind: f.count for f in log.failures()} == {"locked": 1, "damaged": 1}


def test_unexpected_write_errors_are_counted_not_raised(tmp_path: Path, monkeypatch) -> None:
    log = Analytics(tmp_path / "a.sqlite")
    log.log_search("lone \ud800 surrogate", "public", 1, None, True)  # SQLite cannot store it
    assert log.top_queries()["query"].tolist() == ["lone \ufffd surrogate"]
    monkeypatch.setattr(store, "mask_personal_data", lambda text: 1 / 0)
    log.log_search("anything", "public", 1, None, True)
    assert [(f.kind, f.count) for f in log.failures()] == [("other", 1)]


# ------------------------------------------------------------------------------- CSV export

DANGEROUS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", " =", "\u3000+"]
PAYLOADS = ['HYPERLINK("https://example.com/x","click")', "cmd|' /C calc'!A0", "2+3", "SUM(A1:A9)"]


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_export_is_rfc_4180_quoted() -> None:
    frame = pd.DataFrame({"query": ['a "quoted" word', "line\nbreak", "carriage\rreturn"]})
    data = to_csv(frame)
    assert data.startswith(b'"query"\r\n"a ""quoted"" word"\r\n')
    assert parse(data) == [["query"], *[[v] for v in frame["query"]]]


def test_export_neutralises_formulas_in_every_string_cell() -> None:
    cells = [p + x for p in DANGEROUS for x in PAYLOADS]
    frame = pd.DataFrame(
        {
            "query": cells,
            "slug": list(reversed(cells)),
            "added later": cells[1:] + cells[:1],
            "searches": range(-len(cells), 0),  # numbers stay numbers, minus signs included
        }
    )
    rows = parse(to_csv(frame))
    assert rows[0] == ["query", "slug", "added later", "searches"]
    for row, original in zip(rows[1:], frame.itertuples(index=False), strict=True):
        for cell, value in zip(row[:3], original[:3], strict=True):
            assert cell == "'" + value
        assert row[3] == str(original[3])
    safe = pd.DataFrame({"query": ["忘记密码", "card declined", "a-b", "1+1"]})
    assert parse(to_csv(safe))[1:] == [[v] for v in safe["query"]]


def test_every_report_exports_safely(tmp_path: Path) -> None:
    log = Analytics(tmp_path / "a.sqlite")
    for prefix in DANGEROUS:
        query = prefix + PAYLOADS[0]
        log.log_search(query, "public", 0, None, False)
        log.log_feedback(query, prefix + "slug", False, "public")
    reports = log.reports()
    assert list(reports) == ["top queries", "no good match", "unhelpful answers", "per day"]
    for name, frame in reports.items():
        rows = parse(to_csv(frame))
        assert len(rows) == len(frame) + 1, name
        for cell in (c for row in rows for c in row):
            assert cell == "" or cell[0] not in "=+-@\t\r\n＝＋－＠", (name, cell)
    exported = {c for row in parse(to_csv(reports["unhelpful answers"])) for c in row}
    assert "'" + DANGEROUS[0] + "slug" in exported


def test_reports_count_customers_and_agents_apart(tmp_path):
    """Issue 14, item 9: agents' searches and votes do not mix into what customers ask."""
    log = Analytics(tmp_path / "a.sqlite")
    log.log_search("提现多久到账", "public", 3, "withdrawal-time", True)
    log.log_search("提现多久到账", "public", 3, "withdrawal-time", True)
    log.log_search("退款审批权限", "agent", 2, "agent-refund-approval", False)
    log.log_feedback("提现多久到账", "withdrawal-time", False, "public")
    log.log_feedback("退款审批权限", "agent-refund-approval", False, "agent")
    assert log.top_queries()["query"].tolist() == ["提现多久到账"]
    assert log.top_queries(role="agent")["query"].tolist() == ["退款审批权限"]
    assert sorted(log.top_queries(role=None)["query"]) == ["提现多久到账", "退款审批权限"]
    assert log.no_match_queries().empty
    assert log.no_match_queries(role="agent")["query"].tolist() == ["退款审批权限"]
    assert log.unhelpful_answers()["slug"].tolist() == ["withdrawal-time"]
    assert log.unhelpful_answers(role="agent")["slug"].tolist() == ["agent-refund-approval"]
    assert log.per_day()[["searches", "unhelpful"]].values.tolist() == [[2, 1]]
    assert log.per_day(role="agent")[["searches", "unhelpful"]].values.tolist() == [[1, 1]]
    agent_reports = log.reports(role="agent")
    assert agent_reports["top queries"]["query"].tolist() == ["退款审批权限"]
