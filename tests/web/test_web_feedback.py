"""advisor/web/feedback.py: the thumbs up/down log in SQLite."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from advisor.web.feedback import FeedbackStore


def test_add_then_all_round_trips(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.add(True, "how long is school?", "Two years. [1]", ["imaging-technologist:10-40"])
    second = store.add(False, "salary?", "Sorry, the profile doesn't cover that.", [])
    rows = store.all()
    assert [r["id"] for r in rows] == [first, second]
    assert rows[0]["liked"] is True and rows[1]["liked"] is False
    assert rows[0]["question"] == "how long is school?"
    assert rows[0]["answer"] == "Two years. [1]"
    assert rows[0]["citations"] == ["imaging-technologist:10-40"]
    assert rows[1]["citations"] == []
    assert rows[0]["created_at"].endswith("Z")


def test_file_lives_where_given_and_parents_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "fb.sqlite3"
    FeedbackStore(path).add(True, "q", "a", [])
    assert path.is_file()
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT liked, question, answer, citations FROM feedback").fetchall() == [(1, "q", "a", "[]")]
    assert [p.name for p in tmp_path.iterdir()] == ["deep"]  # nothing written beside it


def test_reopening_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).add(True, "q", "a", [])
    assert len(FeedbackStore(path).all()) == 1


def test_long_text_is_capped(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add(True, "q" * 10_000, "a" * 30_000, [])
    row = store.all()[0]
    assert len(row["question"]) == 5000 and len(row["answer"]) == 20000


def test_concurrent_adds_from_threads(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    threads_n, per_thread = 8, 25
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                ids.append(store.add(i % 2 == 0, f"t{t}-q{i}", "a", [f"doc:{i}-{i + 1}"]))
        except BaseException as exc:  # surfaced below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert errors == []
    rows = store.all()
    assert len(rows) == threads_n * per_thread
    assert sorted(ids) == [r["id"] for r in rows]  # every add got its own id
    assert {r["question"] for r in rows} == {f"t{t}-q{i}" for t in range(threads_n) for i in range(per_thread)}


# --------------------------------------------------------------------------------------
# one rating per answer id
def test_rating_an_answer_again_updates_its_row(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    first = store.add(True, "q", "a", [], answer_id="abc")
    again = store.add(False, "q", "a", [], answer_id="abc")
    other = store.add(True, "q2", "a2", [], answer_id="xyz")
    rows = store.all()
    assert first == again != other and len(rows) == 2
    assert rows[0]["liked"] is False and rows[0]["answer_id"] == "abc"


def test_a_file_from_before_answer_ids_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, liked INTEGER NOT NULL, "
                    "question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL)")
        con.execute("INSERT INTO feedback (created_at, liked, question, answer, citations) VALUES ('t', 1, 'old q', 'old a', '[]')")
    store = FeedbackStore(path)
    store.add(True, "q", "a", [], answer_id="abc")
    assert [r["question"] for r in store.all()] == ["old q", "q"]


# --------------------------------------------------------------------------------------
# faults: the store never stops the chat
def test_a_damaged_file_is_set_aside_and_started_afresh(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "feedback.sqlite3"
    path.write_bytes(b"this is not a database, just text " * 200)
    with caplog.at_level(logging.WARNING, logger="advisor.web.feedback"):
        store = FeedbackStore(path)
    assert store.enabled and store.status == "ok"
    assert store.add(True, "q", "a", []) is not None
    aside = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert len([r for r in caplog.records if "damaged" in r.getMessage()]) == 1


def test_a_folder_that_cannot_be_written_disables_the_store(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")  # mkdir fails as on a read-only disk
    with caplog.at_level(logging.WARNING, logger="advisor.web.feedback"):
        store = FeedbackStore(blocker / "feedback.sqlite3")
        assert store.add(True, "q", "a", []) is None
        assert store.add(False, "q", "a", []) is None
    assert not store.enabled and store.status.startswith("disabled:") and "ratings are not kept" in store.status
    assert store.all() == []
    assert len(caplog.records) == 1  # one clear line, not one per rating


def test_a_read_only_file_disables_the_store(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).add(True, "q", "a", [])
    store = FeedbackStore(path)
    store._connect = lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)  # type: ignore[method-assign]
    store._ready = False
    assert store.add(True, "q2", "a", []) is None
    assert store.status.startswith("disabled:")


def test_a_locked_file_is_retried_on_the_next_rating(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).add(True, "first", "a", [])
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = FeedbackStore(path, timeout=0.2)
        assert store.add(True, "while locked", "a", []) is None
        assert store.status.startswith(("unavailable", "busy"))
    finally:
        holder.rollback()
        holder.close()
    assert store.add(True, "after", "a", []) is not None
    assert [r["question"] for r in store.all()] == ["first", "after"] and store.status == "ok"
