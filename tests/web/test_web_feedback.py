"""advisor/web/feedback.py: the thumbs up/down log in SQLite."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

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
