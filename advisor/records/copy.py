"""`advisor records migrate --from data/records.sqlite3`: the question log and ratings of
one machine's SQLite file copied into the PostgreSQL database (ADVISOR_RECORDS_URL), once.

The file is read read-only and left as it was; the rows go in in one transaction (all or
none); a row already in the database is skipped (by answer id, or by time and text), so a
second run, or a run after a partial copy elsewhere, adds nothing twice.

    >>> result = copy_sqlite(Path("data/records.sqlite3"), PostgresBackend(url, serving=False))
    >>> print(result.summary())
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.records.backend import QUESTION_COLUMNS, RATING_COLUMNS, Fault
from advisor.records.postgres import PostgresBackend
from advisor.records.store import RecordsError


@dataclass(frozen=True)
class CopyResult:
    source: str
    target: str  # the URL, password masked
    questions_read: int
    ratings_read: int
    questions_added: int
    ratings_added: int

    def summary(self) -> str:
        already_q, already_r = self.questions_read - self.questions_added, self.ratings_read - self.ratings_added
        line = (f"Copied {self.questions_added} question(s) and {self.ratings_added} rating(s) from {self.source} into {self.target}.")
        if already_q or already_r:
            line += f" {already_q} question(s) and {already_r} rating(s) were there already and were skipped."
        return line + f" {self.source} is left as it was."


def read_sqlite(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every question and rating row of a records file, oldest first, read-only."""
    if not path.is_file():
        raise RecordsError(f"No records file at {path}. Give the file the web app wrote: --from data/records.sqlite3")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            questions = con.execute(f"SELECT {', '.join(QUESTION_COLUMNS)} FROM questions ORDER BY id").fetchall() if "questions" in tables else []
            rating_columns = {r[1] for r in con.execute("PRAGMA table_info(feedback)")} if "feedback" in tables else set()
            picked = [c if c in rating_columns else "NULL" for c in RATING_COLUMNS]  # files from before answer ids
            ratings = con.execute(f"SELECT {', '.join(picked)} FROM feedback ORDER BY id").fetchall() if rating_columns else []
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise RecordsError(f"{path} cannot be read as a records file ({exc})") from None
    return [tuple(q) for q in questions], [(r[0], bool(r[1]), *r[2:]) for r in ratings]


def copy_sqlite(path: Path, backend: PostgresBackend) -> CopyResult:
    """Bring the database to the current schema, then copy the file's rows in."""
    questions, ratings = read_sqlite(path)
    try:
        backend.migrate()
        added = backend.import_rows(questions, ratings)
    except Fault as fault:
        raise RecordsError(f"Nothing was copied: {fault.message}") from None
    return CopyResult(str(path), backend.where, len(questions), len(ratings), *added)
