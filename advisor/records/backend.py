"""What a records backend is: the few statements the store runs (`Backend`), the rows it
reads and writes, and how it reports trouble (`Fault`). Two backends: one SQLite file
(`sqlite.py`, the default) and one PostgreSQL database (`postgres.py`,
ADVISOR_RECORDS_URL). The queue, the writer thread, retention and the fault policy live
in `store.py`, the same for both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, Protocol

# The question log's columns, in the order of `QuestionRecord.to_row()`.
QUESTION_COLUMNS = ("created_at", "channel", "question", "resolved", "career", "kind", "reason", "confidence", "citations", "missing",
                    "latency_ms", "answer_id")
# A rating: (created_at, liked, question, answer, citations (JSON text), answer_id).
RATING_COLUMNS = ("created_at", "liked", "question", "answer", "citations", "answer_id")

FaultKind = Literal["busy", "unavailable", "disabled", "rejected"]


class Fault(Exception):
    """A backend could not do what it was asked. `kind` says what the store does next:

    - busy: try again soon (a lock, a slow statement);
    - unavailable: set up again before the next try (the file broke, the database is down
      or refused the login);
    - disabled: never try again in this process (a read-only file);
    - rejected: these rows can never be stored (the database refused their values).

    `message` is for the log and /api/health: it never holds a password.
    """

    def __init__(self, kind: FaultKind, message: str) -> None:
        super().__init__(message)
        self.kind: FaultKind = kind
        self.message = message


class Backend(Protocol):
    """The statements of the records store, against one database. Every method raises
    `Fault` (and only `Fault`) when the database fails; the store decides what follows."""

    where: str  # the file or the URL, password masked: for messages

    def setup(self) -> None:
        """Create or upgrade the tables; safe to call again, and from several processes."""

    def add_questions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert question rows (`QuestionRecord.to_row()`); a row whose answer id is
        already stored is skipped, so a batch written twice is stored once."""

    def add_rating(self, row: tuple[Any, ...]) -> int:
        """Insert a rating, or update the one of the same answer id; its row id."""

    def questions(self, since: str) -> list[dict[str, Any]]:
        """Question rows at or after `since` (a stamp, "" for all), oldest first, each with
        the `liked` of its rating (None without one); citations and missing decoded."""

    def ratings(self, since: str) -> list[dict[str, Any]]:
        """Rating rows at or after `since`, oldest first; citations decoded."""

    def delete_before(self, cutoff: str) -> tuple[int, int]:
        """Delete questions and ratings recorded before `cutoff`: (questions, ratings)."""

    def delete_all_questions(self) -> tuple[int, int]:
        """keep_days=0: delete every question and blank the question text of every rating."""

    def close(self) -> None:
        """Let go of connections (the store is not used after this)."""


def question_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A question row as the store returns it, from any backend: careers split out, the
    JSON columns decoded, `liked` a bool or None."""
    liked = row.get("liked")
    return {**row, "careers": [c for c in row["career"].split(",") if c], "citations": _json(row["citations"]),
            "missing": _json(row["missing"]), "liked": None if liked is None else bool(liked)}


def rating_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "citations": _json(row["citations"]), "liked": bool(row["liked"])}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
