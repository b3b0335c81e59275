"""Thumbs up/down: kept by the records store (advisor/records/store.py), in the same SQLite
file as the question log. `FeedbackStore` is the ratings-only view of it, for callers of
the earlier API (`add`, `all`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor.records.store import RecordsStore


class FeedbackStore(RecordsStore):
    """The records store, seen as the feedback log it used to be."""

    def add(self, liked: bool, question: str, answer: str, citations: Sequence[str], answer_id: str | None = None) -> int | None:
        return self.rate(liked, question, answer, citations, answer_id=answer_id)

    def all(self) -> list[dict[str, Any]]:
        return self.ratings()
