"""The question log and ratings on PostgreSQL (ADVISOR_RECORDS_URL), against a real server
the tests start on a free 127.0.0.1 port (tests/services.py): versioned migrations, the
report equal to the SQLite one on the same questions, writer processes that lose no row,
a database that stops, refuses the login or is slow, retention and forget, the copy of a
SQLite log, the least-privileged role of deploy/postgres/, and no password anywhere."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from core_support import ROOT, WRITER_TO_POSTGRES

from advisor import cli
from advisor.errors import SettingsError
from advisor.records.html import render_html
from advisor.records.postgres import SCHEMA_VERSION, PostgresBackend
from advisor.records.report import build_report, format_text, load_records, to_csv
from advisor.records.store import RECORDS_FILE, QuestionRecord, RecordsStore, open_records, stamp, utc_now
from advisor.settings import Settings, masked_url

pytestmark = pytest.mark.database

DEPLOY = ROOT / "deploy" / "postgres"


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)  # the polling interval


def rec(question: str, kind: str = "answer", *, days_ago: float = 0, answer_id: str | None = None, missing: tuple[str, ...] = (),
        careers: tuple[str, ...] = ("dental-assistant",), section: str = "Pay", channel: str = "api") -> QuestionRecord:
    citations = ((careers[0] if careers else "x", section, 10, 12),) if kind == "answer" else ()
    return QuestionRecord(stamp(utc_now() - timedelta(days=days_ago)), channel, question, f"{question} (resolved)", careers, kind,
                          "" if kind == "answer" else "not covered", 0.8123 if kind == "answer" else 0.1, citations, missing, 7.25, answer_id)


def pg_store(url: str, **kw: Any) -> RecordsStore:
    return RecordsStore(backend=PostgresBackend(url, serving=False), **kw)


def count(postgres: Any, url: str, table: str) -> int:
    return int(postgres.sql(url, f"SELECT count(*) FROM {table}")[0][0])


# ------------------------------------------------------------------------------------------
# the schema
def test_a_fresh_database_is_brought_to_the_current_version_once(postgres: Any, pg_url: str) -> None:
    store = pg_store(pg_url)
    assert store.status == "ok" and store.enabled
    assert postgres.sql(pg_url, "SELECT version FROM advisor_schema ORDER BY version") == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert PostgresBackend(pg_url, serving=False).migrate() == []  # nothing left to apply
    columns = dict(postgres.sql(pg_url, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'questions'"))
    assert columns["created_at"] == "timestamp with time zone" and columns["citations"] == "jsonb"
    store.close()


def test_processes_starting_together_apply_each_migration_once(postgres: Any, pg_url: str) -> None:
    import threading

    backends = [PostgresBackend(pg_url, serving=False) for _ in range(8)]
    for b in backends:
        b.version()  # connected: the race below is the migration's alone
    start, results, errors = threading.Barrier(len(backends)), [], []

    def migrate(b: PostgresBackend) -> None:
        start.wait()
        try:
            results.append(b.migrate())
        except Exception as exc:  # a lost race shows as an error here
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(b,)) for b in backends]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and sorted(results) == [[]] * (len(backends) - 1) + [list(range(1, SCHEMA_VERSION + 1))]
    for b in backends:
        b.close()


def test_a_role_that_may_not_create_tables_is_told_what_to_run(postgres: Any, pg_url: str) -> None:
    postgres.sql(pg_url, "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    postgres.sql(pg_url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    url = pg_url.replace(f"{postgres.user}:{postgres.password}", "reader:reader-pw")
    store = pg_store(url)
    assert store.status.startswith("unavailable:") and "advisor records migrate" in store.status, store.status
    assert "reader-pw" not in store.status and store.log(rec("q"))  # queued, never raised
    store.close(15)


# ------------------------------------------------------------------------------------------
# the same report from either store
def _same_questions() -> tuple[list[QuestionRecord], list[tuple[bool, str, str, list[str], str | None]]]:
    records = [
        rec("how much do they make?", days_ago=20, answer_id="p1"),
        rec("what is the pay?", days_ago=3, answer_id="p2", section="Pay"),
        rec("what do they do?", days_ago=1, answer_id="w1", section="What They Do"),
        rec("do they use tesla magnets?", "abstain", missing=("tesla",), answer_id="t1"),
        rec("do they use tesla magnets?", "abstain", missing=("tesla",), answer_id="t2", channel="chat"),
        rec("Do they use Tesla magnets", "abstain", missing=("tesla",)),
        rec("which one?", "clarify", careers=("dental-assistant", "zookeeper")),
        rec("hi", "smalltalk", careers=()),
        rec("<script>x</script> & “quotes” ü\x00", "abstain", answer_id="x1"),
        rec("too old for 30 days", "abstain", days_ago=45),
    ]
    ratings = [(False, "what is the pay?", "Pay was $46,540 [1]", ["[1] Pay"], "p2"), (True, "what do they do?", "They clean [1]", [], "w1"),
               (False, "<script>x</script>", "<b>no</b>", [], "x1"), (True, "an old rating", "a", [], None)]
    return records, ratings


def test_the_report_from_postgresql_equals_the_report_from_sqlite(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.records import store as store_module

    rated_at = utc_now()
    monkeypatch.setattr(store_module, "utc_now", lambda: rated_at)  # both stores rate at the same second
    records, ratings = _same_questions()
    sqlite, pg = RecordsStore(tmp_path / RECORDS_FILE), pg_store(pg_url)
    for store in (sqlite, pg):
        assert store.write(records)
        for liked, q, a, cites, answer_id in ratings:
            assert store.rate(liked, q, a, cites, answer_id=answer_id) is not None
    assert pg.questions() == sqlite.questions() and pg.ratings() == sqlite.ratings()
    now = utc_now()
    for since in ("all", "30d", "2d"):
        a, b = load_records(sqlite, since, now), load_records(pg, since, now)
        ra, rb = build_report(a), build_report(b)
        assert ra.total > 0 and ra.to_dict() == rb.to_dict(), since
        assert format_text(ra) == format_text(rb) and render_html(ra) == render_html(rb) and to_csv(a.questions) == to_csv(b.questions)
    pg.close()


# ------------------------------------------------------------------------------------------
# several processes


def test_four_writer_processes_of_300_questions_lose_no_row(postgres: Any, pg_url: str, tmp_path: Path) -> None:
    go, n, procs = tmp_path / "go", 300, 4
    children = [subprocess.Popen([sys.executable, "-c", WRITER_TO_POSTGRES, pg_url, str(n), str(k), str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for k in range(procs)]
    try:
        time.sleep(0.5)  # each opens its pool and applies (or waits for) the migration: they race on a fresh database
        go.touch()
        outs = [c.communicate(timeout=180) for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
    assert all(c.returncode == 0 for c in children), outs
    assert [o.split() for o, _ in outs] == [["0", "ok"]] * procs, outs
    got = postgres.sql(pg_url, "SELECT question FROM questions")
    assert len(got) == n * procs and {q for (q,) in got} == {f"w{k}-q{i}" for k in range(procs) for i in range(n)}
    assert count(postgres, pg_url, "feedback") == procs * (n // 10)
    assert postgres.sql(pg_url, "SELECT count(*) FROM advisor_schema") == [(SCHEMA_VERSION,)]  # the migration ran once


# ------------------------------------------------------------------------------------------
# faults
def test_a_stopped_database_loses_no_question_and_the_store_recovers(postgres: Any, pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    store = RecordsStore.open(backend=PostgresBackend(pg_url))
    for i in range(20):
        assert store.log(rec(f"before {i}", answer_id=f"b{i}"))
    assert store.flush(20)
    postgres.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="advisor.records"):
            t = time.perf_counter()
            for i in range(50):
                assert store.log(rec(f"while down {i}", answer_id=f"d{i}"))  # never waits for the database
            queued = time.perf_counter() - t
            assert wait_for(lambda: store.status.startswith("unavailable"), 30), store.status
            assert store.rate(True, "q", "a", [], answer_id="d1") is None  # a rating now: refused, not raised
            assert not store.flush(0.5)
    finally:
        postgres.start(postgres.port)
    assert queued < 1.0  # a sanity bound: queuing is in memory (typically well under 10 ms)
    status = store.status
    assert "cannot be reached" in status and postgres.password not in status and masked_url(pg_url) in status
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("advisor.records")]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # one line for the outage, not one per try
    assert store.flush(60), store.status
    assert store.status == "ok" and store.dropped == 0
    assert count(postgres, pg_url, "questions") == 70
    store.close()


def test_a_refused_login_is_a_status_without_the_password(postgres: Any, pg_url: str) -> None:
    wrong = pg_url.replace(postgres.password, "not-the-password")
    store = RecordsStore.open(backend=PostgresBackend(wrong))
    assert store.log(rec("asked while the login is refused"))
    assert wait_for(lambda: "refused the login" in store.status, 30), store.status
    assert "not-the-password" not in store.status and "***" in store.status
    assert store.questions() == []  # a report reads nothing, and says why (below)
    store.close(1)


def test_a_slow_database_is_retried_and_loses_nothing(postgres: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.records import postgres as pg_module

    monkeypatch.setattr(pg_module, "STATEMENT_TIMEOUT_MS", 500)
    store = RecordsStore.open(backend=PostgresBackend(pg_url))
    holder = __import__("psycopg").connect(pg_url)
    holder.execute("LOCK TABLE questions IN ACCESS EXCLUSIVE MODE")  # every write waits: a database too slow to answer
    try:
        for i in range(10):
            assert store.log(rec(f"slow {i}", answer_id=f"s{i}"))
        assert wait_for(lambda: store.status.startswith("busy") and "slow" in store.status, 30), store.status
    finally:
        holder.rollback()
        holder.close()
    assert store.flush(30) and store.status == "ok"
    assert count(postgres, pg_url, "questions") == 10
    store.close()


def test_a_row_the_database_refuses_costs_only_itself(postgres: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = pg_store(pg_url)
    bad = QuestionRecord(**{**rec("bad", answer_id="bad").__dict__, "created_at": "not a time"})
    assert store.write([rec("good 1", answer_id="g1"), bad, rec("good 2", answer_id="g2")])
    assert sorted(q["question"] for q in store.questions()) == ["good 1", "good 2"] and store.dropped == 1
    store.close()


# ------------------------------------------------------------------------------------------
# retention, forget, report, the copy of a SQLite log
def test_retention_and_forget_delete_in_postgresql(postgres: Any, pg_url: str) -> None:
    store = pg_store(pg_url, keep_days=30)
    store.write([rec("old", days_ago=40, answer_id="o"), rec("recent", days_ago=5, answer_id="r"), rec("today", answer_id="t")])
    store.rate(True, "old", "a", [], answer_id="o")
    postgres.sql(pg_url, "UPDATE feedback SET created_at = now() - interval '40 days'")
    assert store.purge() == (1, 1)
    assert [q["question"] for q in store.questions()] == ["recent", "today"]
    assert store.forget(utc_now() - timedelta(days=1)) == (1, 0)
    assert [q["question"] for q in store.questions()] == ["today"]
    store.rate(False, "a question text", "a", [], answer_id="t")
    zero = pg_store(pg_url, keep_days=0)
    assert zero.purge() == (1, 1) and zero.ratings()[0]["question"] == ""
    store.close()
    zero.close()


def test_the_cli_reports_forgets_and_copies_a_sqlite_log_in_once(postgres: Any, pg_url: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    sqlite = RecordsStore(data / RECORDS_FILE)
    records, ratings = _same_questions()
    sqlite.write(records)
    for liked, q, a, cites, answer_id in ratings:
        sqlite.rate(liked, q, a, cites, answer_id=answer_id)
    monkeypatch.setenv("ADVISOR_RECORDS_URL", pg_url)
    monkeypatch.setenv("ADVISOR_DATA", str(data))
    assert cli.main(["records", "migrate", "--from", str(data / RECORDS_FILE)]) == 0
    first = capsys.readouterr().out
    assert f"Copied {len(records)} question(s) and {len(ratings)} rating(s)" in first and postgres.password not in first
    assert cli.main(["records", "migrate", "--from", str(data / RECORDS_FILE)]) == 0  # once: the second run adds nothing
    again = capsys.readouterr().out
    assert "Copied 0 question(s) and 0 rating(s)" in again and f"{len(records)} question(s) and {len(ratings)} rating(s) were there already" in again
    now = utc_now()
    assert build_report(load_records(pg_store(pg_url), "all", now)).to_dict() == build_report(load_records(sqlite, "all", now)).to_dict()

    monkeypatch.setattr(cli, "_load", lambda args: None)  # the report without the model: every wording its own group
    assert cli.main(["report", "--since", "all"]) == 0
    report = capsys.readouterr().out
    assert re.search(rf"^questions +{len(records)}$", report, re.M) and "do they use tesla magnets?" in report, report
    assert cli.main(["records", "status"]) == 0
    assert f"{len(records)} question(s), {len(ratings)} rating(s)" in capsys.readouterr().out
    assert cli.main(["forget", "--before", stamp(now - timedelta(days=10))]) == 0
    out = capsys.readouterr().out
    assert "Deleted 2 question(s) and 0 rating(s)" in out and masked_url(pg_url) in out and postgres.password not in out
    assert count(postgres, pg_url, "questions") == len(records) - 2


def test_a_missing_sqlite_file_or_url_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                  pg_url: str) -> None:
    monkeypatch.delenv("ADVISOR_RECORDS_URL", raising=False)
    assert cli.main(["records", "migrate", "--from", str(tmp_path / "none.sqlite3")]) == 1
    assert "ADVISOR_RECORDS_URL is not set" in capsys.readouterr().err
    monkeypatch.setenv("ADVISOR_RECORDS_URL", pg_url)
    assert cli.main(["records", "migrate", "--from", str(tmp_path / "none.sqlite3")]) == 1
    assert "No records file at" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# the least-privileged role of deploy/postgres/roles.sql
def test_the_deploy_roles_can_do_what_the_advisor_needs_and_nothing_more(postgres: Any, pg_url: str, capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    database = pg_url.rsplit("/", 1)[1]
    sql = (DEPLOY / "roles.sql").read_text().replace("CHANGE-ME-OWNER", "owner-pw-1").replace("CHANGE-ME-APP", "app-pw-2")
    sql = sql.replace("DATABASE advisor", f'DATABASE "{database}"')
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]  # the shipped file, as a DBA runs it with psql
    owner, app = postgres.url(database, "advisor_owner", "owner-pw-1"), postgres.url(database, "advisor", "app-pw-2")

    monkeypatch.setenv("ADVISOR_RECORDS_URL", app)
    assert cli.main(["records", "migrate"]) == 1  # the serving role may not create tables
    assert "advisor records migrate" in capsys.readouterr().err
    monkeypatch.setenv("ADVISOR_RECORDS_URL", owner)
    assert cli.main(["records", "migrate"]) == 0
    assert f"schema version {SCHEMA_VERSION}" in capsys.readouterr().out

    store = RecordsStore.open(backend=PostgresBackend(app), keep_days=30)  # everything the serving role does
    assert store.status == "ok"
    store.log(rec("a question", answer_id="a1"))
    assert store.flush(20) and store.rate(False, "a question", "an answer", [], answer_id="a1") and store.rate(True, "a question", "x", [], answer_id="a1")
    assert [q["liked"] for q in store.questions()] == [True] and store.forget(utc_now() + timedelta(days=1)) == (1, 1)
    store.close()
    with psycopg.connect(app, autocommit=True) as conn:
        assert conn.execute("SHOW search_path").fetchone() == ("advisor",)
        for forbidden in ("DROP TABLE questions", "CREATE TABLE mine (x int)", "TRUNCATE questions", "ALTER TABLE questions ADD COLUMN y int",
                          "CREATE TABLE public.mine (x int)", f'CREATE SCHEMA "x{database}"', "DELETE FROM advisor_schema"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# settings: the URL is checked, and its password never shown
def test_the_records_url_is_checked_and_its_password_never_shown() -> None:
    settings = Settings.from_env({"ADVISOR_RECORDS_URL": "postgresql://advisor:s3cret-pw@db.school.org:5432/advisor",
                                  "ADVISOR_LIMITS_URL": "redis://:r3dis-pw@10.0.0.20:6379/0"})
    assert "s3cret" not in repr(settings) and "r3dis" not in repr(settings)
    assert masked_url(settings.records_url) == "postgresql://advisor:***@db.school.org:5432/advisor"
    assert masked_url(settings.limits_url) == "redis://:***@10.0.0.20:6379/0"
    assert masked_url("postgresql://db/advisor?password=s3cret") == "postgresql://db/advisor?***"
    for bad in ("mysql://advisor:s3cret@db/advisor", "postgresql://advisor:s3cret@db:99999/advisor", "postgresql://"):
        with pytest.raises(SettingsError) as err:
            Settings(records_url=bad)
        assert "s3cret" not in str(err.value) and "ADVISOR_RECORDS_URL" in str(err.value)


def test_without_a_url_the_store_is_the_sqlite_file(tmp_path: Path) -> None:
    store = open_records(Settings(data_dir=tmp_path), serving=False)
    assert store.path == tmp_path / RECORDS_FILE and store.status == "ok"
    assert os.path.exists(tmp_path / RECORDS_FILE)
