"""advisor/records/: the question log and ratings in one SQLite file (logging off the answer
path, retention, forget, the move from feedback.sqlite3, faults, writers in several
processes) and the counselors' report (text, HTML, CSV, grouping), with the fake embedder."""

from __future__ import annotations

import html
import json
import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from core_support import ROOT, WRITER_TO_FILE
from hypothesis import given
from hypothesis import strategies as st

from advisor import cli
from advisor.errors import InputError
from advisor.records import store as store_module
from advisor.records.html import render_html
from advisor.records.meaning import group_by_meaning, is_name
from advisor.records.report import Records, build_report, format_text, load_records, parse_date, parse_since, to_csv
from advisor.records.store import RECORDS_FILE, QuestionRecord, RecordsStore, stamp, utc_now

XSS = ["<script>window.__pwned=1</script> how long is school?", '<img src=x onerror="window.__pwned=2"> tesla magnets?']


def rec(question: str, kind: str = "answer", *, when: datetime | None = None, careers: tuple[str, ...] = ("dental-assistant",),
        citations: tuple[tuple[str, str, int, int], ...] = (), missing: tuple[str, ...] = (), answer_id: str | None = None,
        channel: str = "api") -> QuestionRecord:
    if kind == "answer" and not citations:
        citations = (("dental-assistant", "Pay", 10, 10),)
    return QuestionRecord(stamp(when or utc_now()), channel, question, question, careers, kind, "" if kind == "answer" else "not covered",
                          0.9 if kind == "answer" else 0.2, citations, missing, 12.5, answer_id)


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)  # the polling interval


def rows(db: Path, table: str = "questions") -> list[dict[str, Any]]:
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY id")]


def age(db: Path, table: str, days: int) -> None:
    """Make every row of `table` look `days` old."""
    with sqlite3.connect(db) as con:
        con.execute(f"UPDATE {table} SET created_at = ?", (stamp(utc_now() - timedelta(days=days)),))


# ------------------------------------------------------------------------------------------
# the question log
def test_a_logged_question_is_written_off_the_answer_path_with_what_a_counselor_needs(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    assert store.log(rec("how much do dental assistants make?", answer_id="a1"))
    assert store.log(rec("do they need a tesla?", "abstain", missing=("tesla",), answer_id="a2"))
    assert store.flush(10)
    got = store.questions()
    assert [q["question"] for q in got] == ["how much do dental assistants make?", "do they need a tesla?"]
    first, second = got
    assert first["kind"] == "answer" and first["careers"] == ["dental-assistant"] and first["answer_id"] == "a1"
    assert first["citations"] == [{"doc": "dental-assistant", "section": "Pay", "lines": [10, 10]}] and first["latency_ms"] == 12.5
    assert second["kind"] == "abstain" and second["reason"] == "not covered" and second["missing"] == ["tesla"]
    assert first["liked"] is None
    store.close()


def test_nothing_that_identifies_a_student_is_kept(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    store.write([rec("q")])
    with sqlite3.connect(store.path) as con:
        columns = {r[1] for r in con.execute("PRAGMA table_info(questions)")}
    assert columns == {"id", "created_at", "channel", "question", "resolved", "career", "kind", "reason", "confidence", "citations",
                       "missing", "latency_ms", "answer_id"}


def test_ratings_are_joined_to_their_question_by_answer_id(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    store.write([rec("liked one", answer_id="x"), rec("disliked one", answer_id="y"), rec("unrated", answer_id="z")])
    store.rate(True, "liked one", "answer", [], answer_id="x")
    store.rate(False, "disliked one", "answer", [], answer_id="y")
    assert [q["liked"] for q in store.questions()] == [True, False, None]


def test_close_writes_what_is_queued(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    for i in range(50):
        store.log(rec(f"q{i}"))
    store.close()
    assert len(rows(store.path)) == 50


def test_a_full_queue_drops_questions_and_counts_them_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    RecordsStore(path).write([rec("first")])
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # the writer cannot write: its queue fills
    try:
        store = RecordsStore(path, timeout=0.05, queue_size=3)
        accepted = sum(store.log(rec(f"q{i}")) for i in range(20))
        assert accepted <= 3 + 3 and store.dropped == 20 - accepted  # the queue, and as many waiting in the writer
        assert store.status.startswith("busy") and "not logged" in store.status
    finally:
        holder.rollback()
        holder.close()
    assert store.flush(15)
    assert len(rows(path)) - 1 + store.dropped == 20  # every question is either written or counted
    store.close()


# ------------------------------------------------------------------------------------------
# retention and forget
def test_open_deletes_questions_and_ratings_older_than_keep_days(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    old = RecordsStore(path)
    old.write([rec("old question")])
    old.rate(True, "old question", "a", [], answer_id="old")
    age(path, "questions", 40)
    age(path, "feedback", 40)
    old.write([rec("new question")])
    old.rate(True, "new question", "a", [], answer_id="new")
    store = RecordsStore.open(path, keep_days=30)
    try:
        assert [q["question"] for q in store.questions()] == ["new question"]
        assert [r["question"] for r in store.ratings()] == ["new question"]
    finally:
        store.close()


def test_keep_days_zero_logs_nothing_and_ratings_keep_no_question(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    before = RecordsStore(path)
    before.write([rec("kept before")])
    before.rate(True, "kept before", "an answer", [], answer_id="b")
    store = RecordsStore.open(path, keep_days=0)  # existing question text goes at once
    try:
        assert not store.log(rec("not kept"))
        store.rate(False, "not kept either", "another answer", [], answer_id="c")
        assert store.flush(5)
        assert rows(path) == []
        assert [(r["question"], r["answer"]) for r in rows(path, "feedback")] == [("", "an answer"), ("", "another answer")]
    finally:
        store.close()


def test_retention_runs_again_in_a_serving_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "PURGE_EVERY", 0.2)  # "daily", quickly
    path = tmp_path / RECORDS_FILE
    store = RecordsStore.open(path, keep_days=1)
    try:
        store.write([rec("ages while the server runs")])
        age(path, "questions", 2)
        assert wait_for(lambda: rows(path) == [], 15)
    finally:
        store.close()


def test_forget_deletes_rows_before_a_date(tmp_path: Path) -> None:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    now = utc_now()
    store.write([rec("ancient", when=now - timedelta(days=10)), rec("recent", when=now)])
    store.rate(True, "ancient", "a", [])
    age(store.path, "feedback", 10)
    assert store.forget(now - timedelta(days=1)) == (1, 1)
    assert [q["question"] for q in store.questions()] == ["recent"] and store.ratings() == []


def test_advisor_forget_says_how_many(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    store = RecordsStore(data / RECORDS_FILE)
    store.write([rec("a", when=datetime(2024, 4, 30, tzinfo=UTC)), rec("b", when=datetime(2024, 5, 2, tzinfo=UTC))])
    assert cli.main(["forget", "--before", "2024-05-01", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "Deleted 1 question(s) and 0 rating(s) recorded before 2024-05-01 00:00:00 UTC" in out
    assert [r["question"] for r in rows(store.path)] == ["b"]
    assert cli.main(["forget", "--before", "May 1st", "--data", str(data)]) == 1
    assert "not a date" in capsys.readouterr().err


def test_periods_and_dates() -> None:
    now = datetime(2024, 5, 31, 12, tzinfo=UTC)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("2w", now) == now - timedelta(weeks=2)
    assert parse_since("all", now) is None
    assert parse_since("2024-05-01", now) == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_date("2024-05-01T12:00:00Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(InputError, match="not a period"):
        parse_since("last month", now)


# ------------------------------------------------------------------------------------------
# the move from feedback.sqlite3
def _legacy(path: Path) -> None:
    """A feedback file as written before answers had ids, with its last row still in the WAL."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, liked INTEGER NOT NULL, "
                "question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL)")
    for q in ("old one", "old two"):
        con.execute("INSERT INTO feedback (created_at, liked, question, answer, citations) VALUES (?, 1, ?, 'a', '[]')", (stamp(utc_now()), q))
        con.commit()
    con.close()


def test_an_old_feedback_file_is_moved_into_the_records_file(tmp_path: Path) -> None:
    _legacy(tmp_path / "feedback.sqlite3")
    store = RecordsStore(tmp_path / RECORDS_FILE)
    assert store.status == "ok"
    assert [r["question"] for r in store.ratings()] == ["old one", "old two"]
    assert not any(p.name.startswith("feedback.sqlite3") for p in tmp_path.iterdir())  # moved, not copied: retention covers it
    store.rate(False, "new", "a", [], answer_id="n")
    store.write([rec("a question")])
    assert len(store.ratings()) == 3 and len(store.questions()) == 1
    assert RecordsStore(tmp_path / RECORDS_FILE).ratings() == store.ratings()  # opening again moves nothing


def test_a_damaged_old_feedback_file_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "feedback.sqlite3").write_bytes(b"not a database " * 300)
    with caplog.at_level(logging.WARNING):
        store = RecordsStore(tmp_path / RECORDS_FILE)
    assert store.status == "ok" and store.ratings() == []
    assert [p.name.split(".damaged-")[0] for p in tmp_path.iterdir() if ".damaged-" in p.name] == ["feedback.sqlite3"]
    assert len([r for r in caplog.records if "damaged" in r.getMessage()]) == 1


# ------------------------------------------------------------------------------------------
# faults: the store never stops answering
def test_a_damaged_records_file_is_set_aside_and_logging_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / RECORDS_FILE
    path.write_bytes(b"garbage, not sqlite " * 300)
    with caplog.at_level(logging.WARNING):
        store = RecordsStore(path)
        assert store.log(rec("after the damage"))
        assert store.flush(10)
    assert [q["question"] for q in store.questions()] == ["after the damage"]
    assert len([p for p in tmp_path.iterdir() if ".damaged-" in p.name]) == 1
    assert len([r for r in caplog.records if "damaged" in r.getMessage()]) == 1
    store.close()


def test_a_file_damaged_while_serving_is_set_aside_on_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    store = RecordsStore(path)
    store.write([rec("before")])
    for p in tmp_path.iterdir():
        p.unlink()
    path.write_bytes(b"garbage, not sqlite " * 300)
    assert store.write([rec("lost: the file broke under it")]) is False  # retried, not raised
    assert store.write([rec("after")]) is True
    assert [q["question"] for q in store.questions()] == ["after"]


def test_a_locked_file_is_retried_and_no_question_is_lost(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    RecordsStore(path).write([rec("first")])
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = RecordsStore(path, timeout=0.1)
        for i in range(5):
            assert store.log(rec(f"while locked {i}"))
        assert wait_for(lambda: store.status.startswith(("busy", "unavailable")), 10), store.status
        assert not store.flush(0.3)  # still waiting for the lock
    finally:
        holder.rollback()
        holder.close()
    assert store.flush(15)
    assert [q["question"] for q in store.questions()] == ["first"] + [f"while locked {i}" for i in range(5)]
    assert store.status == "ok" and store.dropped == 0
    store.close()


def test_a_folder_that_cannot_be_written_disables_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with caplog.at_level(logging.WARNING):
        store = RecordsStore.open(blocker / RECORDS_FILE)
        assert store.log(rec("q")) is False
        assert store.rate(True, "q", "a", []) is None
    assert store.status.startswith("disabled:") and "questions and ratings are not kept" in store.status
    assert store.questions() == [] and store._thread is None
    assert len(caplog.records) == 1


def test_a_read_only_file_disables_the_log(tmp_path: Path) -> None:
    path = tmp_path / RECORDS_FILE
    RecordsStore(path).write([rec("q")])
    store = RecordsStore(path)
    store._connect = lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)  # type: ignore[method-assign]
    assert store.write([rec("q2")]) is True  # never retried: a read-only store cannot take it
    assert store.status.startswith("disabled:")
    assert store.log(rec("q3")) is False


# ------------------------------------------------------------------------------------------
# several processes write one file


def test_parallel_writer_processes_lose_no_row(tmp_path: Path) -> None:
    path, go = tmp_path / RECORDS_FILE, tmp_path / "go"
    n, procs = 300, 4
    children = [subprocess.Popen([sys.executable, "-c", WRITER_TO_FILE, str(path), str(n), str(k), str(go)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(procs)]
    try:
        assert wait_for(lambda: path.exists(), 60)
        go.touch()
        outs = [c.communicate(timeout=180) for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
    assert all(c.returncode == 0 for c in children), outs
    assert [o.split() for o, _ in outs] == [["0", "ok"]] * procs, outs
    got = rows(path)
    assert len(got) == n * procs
    assert {r["question"] for r in got} == {f"w{k}-q{i}" for k in range(procs) for i in range(n)}
    assert len(rows(path, "feedback")) == procs * (n // 10)


# ------------------------------------------------------------------------------------------
# grouping by meaning (pure)
@given(st.lists(st.lists(st.floats(-1, 1), min_size=3, max_size=3), min_size=1, max_size=25), st.floats(0.3, 0.95))
def test_complete_linkage_groups_hold_only_alike_pairs_and_no_two_groups_could_join(raw: list[list[float]], t: float) -> None:
    vecs = np.array([v if any(abs(x) > 1e-3 for x in v) else [1.0, 0, 0] for v in raw], dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    groups = group_by_meaning(vecs, t)
    assert sorted(i for g in groups for i in g) == list(range(len(vecs)))
    sim = vecs @ vecs.T
    for g in groups:
        assert all(sim[a, b] >= t - 1e-6 for a in g for b in g)
    for g, h in ((g, h) for g in groups for h in groups if g is not h):
        assert min(sim[a, b] for a in g for b in h) < t + 1e-6


def test_a_name_gets_no_synonym() -> None:
    assert is_name("chicago", "Which hospitals in Chicago are hiring?")
    assert not is_name("gpa", "what's the minimum GPA?")  # an acronym
    assert not is_name("fluoro", "Fluoro or CT?") and not is_name("fluoro", "do they do fluoro?")


# ------------------------------------------------------------------------------------------
# the report
@pytest.fixture
def filled(tmp_path: Path) -> RecordsStore:
    store = RecordsStore(tmp_path / RECORDS_FILE)
    now = utc_now()
    store.write([
        rec("how much do they make?", when=now - timedelta(days=2), citations=(("dental-assistant", "Pay", 10, 10),), answer_id="p1"),
        rec("what is the pay?", when=now - timedelta(days=1), citations=(("dental-assistant", "Pay", 11, 11),), answer_id="p2"),
        rec("what do they do?", when=now, citations=(("dental-assistant", "What They Do", 3, 3),), answer_id="w1"),
        rec("do they use tesla magnets?", "abstain", when=now, missing=("tesla",), answer_id="t1"),
        rec("do they use tesla magnets?", "abstain", when=now, missing=("tesla",), answer_id="t2"),
        rec("hi", "smalltalk", when=now, careers=()),
        rec(XSS[0], "abstain", when=now, answer_id="x1"),
        rec(XSS[1], "abstain", when=now, answer_id="x2"),
        rec("too old for the period", "abstain", when=now - timedelta(days=40)),
    ])
    store.rate(False, "what is the pay?", "Pay was $46,540 [1]", [], answer_id="p2")
    store.rate(False, XSS[0], "<b>an answer</b>", [], answer_id="x1")
    store.rate(True, "what do they do?", "They clean teeth [1]", [], answer_id="w1")
    return store


def test_report_counts_the_period(filled: RecordsStore) -> None:
    report = build_report(load_records(filled, "30d"))
    assert report.total == 8 and report.answered == 3 and report.asking == 7
    assert report.answer_rate == pytest.approx(3 / 7) and report.not_answered == 4
    assert report.ratings == (1, 2)
    assert sum(n for _, n, _ in report.per_day) == 8 and report.per_day[-1][0] == utc_now().strftime("%Y-%m-%d")
    assert report.topics[0] == ("dental-assistant", "Pay", 2)
    tesla = report.unanswered[0]  # asked twice: the biggest group
    assert tesla.size == 2 and tesla.wordings == (("do they use tesla magnets?", 2),) and tesla.missing == ("tesla",)
    text = format_text(report)
    assert "3 (43% of the 7 that asked something)" in text and "“do they use tesla magnets?” ×2" in text
    assert "dental-assistant › Pay" in text and "too old" not in text
    assert "too old for the period" in format_text(build_report(load_records(filled, "all")))


def test_report_over_an_empty_store_says_so(tmp_path: Path) -> None:
    report = build_report(load_records(RecordsStore(tmp_path / RECORDS_FILE), "30d"))
    assert "No questions were recorded in this period" in format_text(report)
    assert "No questions were recorded in this period" in render_html(report)


def test_student_text_is_only_ever_escaped_in_the_html_report(filled: RecordsStore) -> None:
    page = render_html(build_report(load_records(filled, "30d")), csv_href="/admin/report.csv?since=30d", since="30d")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    for q in XSS:
        assert html.escape(q, quote=True) in page
    assert "&lt;b&gt;an answer&lt;/b&gt;" in page
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in page  # no script could run even so
    assert "http://" not in page and "https://" not in page  # self-contained: nothing fetched


def test_csv_has_one_row_per_question_and_no_formula(filled: RecordsStore) -> None:
    store = filled
    store.write([rec("=HYPERLINK(\"http://x\")", "abstain")])
    text = to_csv(store.questions())
    assert text.startswith("\ufeff")
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(table) == 10
    assert table[-1]["question"].startswith("'=")
    assert {r["rating"] for r in table} == {"", "up", "down"}
    assert table[0]["citations"] == "dental-assistant › Pay lines 10-10"


# ------------------------------------------------------------------------------------------
# the command, with the fake embedder
def test_advisor_report_writes_text_html_and_csv(tmp_path: Path, corpus_copy: Path, fake_advisor: Any, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_MODEL", "fake")
    data = tmp_path / "data"
    assert cli.main(["build", "--corpus", str(corpus_copy), "--data", str(data)]) == 0
    store = RecordsStore(data / RECORDS_FILE)
    for q in ("How much do dental assistants earn?", "do dental assistants need a tesla license?", XSS[1]):  # the last is not answered
        store.write([QuestionRecord.of(fake_advisor.ask(q), channel="chat", answer_id=None, latency_ms=1.0)])
    capsys.readouterr()
    out_html, out_csv = tmp_path / "r.html", tmp_path / "r.csv"
    rc = cli.main(["report", "--corpus", str(corpus_copy), "--data", str(data), "--html", str(out_html), "--csv", str(out_csv)])
    out = capsys.readouterr().out
    assert rc == 0 and "questions" in out and "Not answered, grouped by meaning" in out and "hint:" in out
    page = out_html.read_text("utf-8")
    assert html.escape(XSS[1]) in page and "<img" not in page
    assert len(out_csv.read_text("utf-8-sig").splitlines()) == 4


def test_advisor_report_with_no_records_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--data", str(tmp_path / "nothing"), "--since", "all"]) == 0
    captured = capsys.readouterr()
    assert "No questions were recorded in this period" in captured.out and "no questions recorded yet" in captured.err
    assert not (tmp_path / "nothing").exists()  # a report writes nothing


def test_records_dataclass_round_trip() -> None:
    r = rec("q", answer_id="a")
    d = r.to_dict()
    assert d["question"] == "q" and json.loads(d["citations"]) == [{"doc": "dental-assistant", "section": "Pay", "lines": [10, 10]}]
    assert Records(None, utc_now(), [], [], 90, "ok").needs_grouping is False


def test_settings_keep_days_and_admin_password() -> None:
    from advisor.errors import SettingsError
    from advisor.settings import Settings

    s = Settings.from_env({"ADVISOR_KEEP_DAYS": "0", "ADVISOR_ADMIN_PASSWORD": "a long secret"})
    assert s.keep_days == 0 and s.admin_password == "a long secret"
    assert "a long secret" not in repr(s)  # settings get logged and printed; the password never
    assert Settings.from_env({}).keep_days == 90 and Settings.from_env({}).admin_password == ""
    with pytest.raises(SettingsError, match="keep_days"):
        Settings(keep_days=-1)
    with pytest.raises(SettingsError, match="shorter than 8") as err:
        Settings(admin_password="short")
    assert "short" not in str(err.value).replace("shorter", "")
