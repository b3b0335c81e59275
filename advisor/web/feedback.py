"""Thumbs up/down, kept in a SQLite file in the data folder."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    liked INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
)
"""


class FeedbackStore:
    """Append-only feedback log; safe to call from several request threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, liked: bool, question: str, answer: str, citations: list[str]) -> int:
        row = (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), int(liked), question[:5000], answer[:20000], json.dumps(citations))
        with self._lock, self._connect() as con:
            cur = con.execute("INSERT INTO feedback (created_at, liked, question, answer, citations) VALUES (?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [{**dict(r), "citations": json.loads(r["citations"]), "liked": bool(r["liked"])} for r in rows]
