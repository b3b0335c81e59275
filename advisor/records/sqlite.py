"""The records store's default backend: one SQLite file, `data/records.sqlite3`.

Several processes (answer workers) write the same file: WAL journal and a busy timeout.
A damaged file is set aside (`records.sqlite3.damaged-<time>`) and started afresh, with
one log line; a locked one is `busy`, a read-only one `disabled` (see `Fault`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from advisor.records.backend import QUESTION_COLUMNS, RATING_COLUMNS, Fault, question_dict, rating_dict

log = logging.getLogger(__name__)

RECORDS_FILE = "records.sqlite3"
LEGACY_FILE = "feedback.sqlite3"  # before the question log, ratings lived here alone

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        liked INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        citations TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        channel TEXT NOT NULL,
        question TEXT NOT NULL,
        resolved TEXT NOT NULL,
        career TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        confidence REAL NOT NULL,
        citations TEXT NOT NULL,
        missing TEXT NOT NULL,
        latency_ms REAL,
        answer_id TEXT UNIQUE
    )""",
    "CREATE INDEX IF NOT EXISTS questions_time ON questions(created_at)",
    "CREATE INDEX IF NOT EXISTS feedback_time ON feedback(created_at)",
)
ANSWER_ID = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id)"


class SQLiteBackend:
    """The statements of the records store against one SQLite file."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.where = str(self.path)
        # one writer at a time in this process: SQLite's busy handler is not always called
        # for two connections of one process that both write (a rating during a batch)
        self._writing = threading.RLock()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.timeout)

    @contextlib.contextmanager
    def _db(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: committed (or rolled back) and closed; a
        failure becomes a `Fault`."""
        with self._writing, self._connection(doing) as con:
            yield con

    @contextlib.contextmanager
    def _connection(self, doing: str) -> Iterator[sqlite3.Connection]:
        try:
            con = self._connect()
        except sqlite3.DatabaseError as exc:
            raise self._fault(exc, doing) from exc
        try:
            con.execute("PRAGMA secure_delete=ON")  # deleted questions are overwritten, not left in free pages
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per commit; a power cut may lose the last rows, never the file
            with con:
                yield con
        except sqlite3.DatabaseError as exc:
            raise self._fault(exc, doing) from exc
        finally:
            con.close()

    def _fault(self, exc: sqlite3.DatabaseError, doing: str) -> Fault:
        if _is_locked(exc):
            return Fault("busy", f"busy: {doing} waited for a lock and will be retried")
        if _is_readonly(exc):
            return Fault("disabled", f"disabled: {self.path} cannot be written ({exc})")
        return Fault("unavailable", f"unavailable: {exc}")

    # -- the file ------------------------------------------------------------------------
    def setup(self) -> None:
        with self._writing:
            self._setup()

    def _setup(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
            self._init()
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise Fault("unavailable", "unavailable: the file is locked by another program; retried on the next write") from exc
            if _is_readonly(exc):
                raise Fault("disabled", f"disabled: {self.path} cannot be written ({exc})") from exc
            self._set_aside(self.path, exc)
        except OSError as exc:  # a read-only or missing data folder
            raise Fault("disabled", f"disabled: {self.path.parent} cannot be written ({exc.strerror or exc})") from exc

    def _init(self) -> None:
        con = self._connect()
        try:
            with con:
                con.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writers of other processes
                for statement in SCHEMA:
                    con.execute(statement)
                columns = {row[1] for row in con.execute("PRAGMA table_info(feedback)")}
                if "answer_id" not in columns:  # files written before answers had ids
                    con.execute("ALTER TABLE feedback ADD COLUMN answer_id TEXT")
                con.execute(ANSWER_ID)
            # sqlite opens damaged files lazily: read once so damage shows here, not later
            con.execute("SELECT count(*) FROM feedback").fetchone()
            con.execute("SELECT id FROM questions ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            con.close()

    def _migrate(self) -> None:
        """A data folder from before the question log has `feedback.sqlite3`: copy it (SQLite's
        backup, so a -wal file is read too) to `records.sqlite3`, then remove it. Several
        processes may try at once: the copy is linked into place only if none is there yet."""
        legacy = self.path.with_name(LEGACY_FILE)
        if legacy == self.path or self.path.exists() or not legacy.exists():
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.migrating")
        try:
            source = sqlite3.connect(legacy, timeout=self.timeout)
            try:
                target = sqlite3.connect(tmp)
                try:
                    source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
            os.link(tmp, self.path)
        except FileExistsError:
            pass  # another process moved it first
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc) or _is_readonly(exc):
                raise
            self._set_aside(legacy, exc, start_afresh=False)
            return
        finally:
            tmp.unlink(missing_ok=True)
        for name in (legacy, legacy.with_name(legacy.name + "-wal"), legacy.with_name(legacy.name + "-shm")):
            name.unlink(missing_ok=True)
        log.warning("Records store: the ratings of %s were moved into %s.", legacy.name, self.path.name)

    def _set_aside(self, path: Path, exc: BaseException, start_afresh: bool = True) -> None:
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            path.replace(aside)
            for suffix in ("-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    extra.replace(aside.with_name(aside.name + suffix))
            if start_afresh:
                self._init()
        except (OSError, sqlite3.DatabaseError) as again:
            raise Fault("disabled", f"disabled: {path} is damaged ({exc}) and could not be replaced ({again})") from again
        log.warning("Records store %s was damaged (%s); set aside as %s and started afresh.", path, exc, aside.name)

    # -- the statements ------------------------------------------------------------------
    def add_questions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with self._db(f"writing {len(rows)} question(s)") as con:
            con.executemany(f"INSERT OR IGNORE INTO questions ({', '.join(QUESTION_COLUMNS)}) "
                            f"VALUES ({', '.join('?' * len(QUESTION_COLUMNS))})", rows)

    def add_rating(self, row: tuple[Any, ...]) -> int:
        with self._db("a rating") as con:
            cur = con.execute(
                f"INSERT INTO feedback ({', '.join(RATING_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(answer_id) DO UPDATE SET liked = excluded.liked, created_at = excluded.created_at",
                (row[0], int(row[1]), *row[2:]),
            )
            if row[-1] is not None:
                return int(con.execute("SELECT id FROM feedback WHERE answer_id = ?", (row[-1],)).fetchone()[0])
            return int(cur.lastrowid or 0)

    def questions(self, since: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT q.*, f.liked AS liked FROM questions q LEFT JOIN feedback f ON f.answer_id = q.answer_id "
                          "WHERE q.created_at >= ? ORDER BY q.id", (since,))
        return [question_dict(r) for r in rows]

    def ratings(self, since: str) -> list[dict[str, Any]]:
        return [rating_dict(r) for r in self._read("SELECT * FROM feedback WHERE created_at >= ? ORDER BY id", (since,))]

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._connection("reading") as con:  # WAL: readers need no turn
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql, params).fetchall()]

    def delete_before(self, cutoff: str) -> tuple[int, int]:
        with self._db("deleting old rows") as con:
            asked = con.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,)).rowcount
            rated = con.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount
        self._checkpoint()
        return (asked, rated)

    def delete_all_questions(self) -> tuple[int, int]:
        with self._db("deleting old rows") as con:
            asked = con.execute("DELETE FROM questions").rowcount
            rated = con.execute("UPDATE feedback SET question = '' WHERE question != ''").rowcount
        if asked or rated:
            self._checkpoint()
        return (asked, rated)

    def _checkpoint(self) -> None:
        """Copy the WAL into the file and empty it, so deleted text does not linger there."""
        with contextlib.suppress(Fault):
            with self._db("a checkpoint") as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # (busy: another process is reading; its own checkpoint will come)

    def close(self) -> None:
        pass  # a connection per unit of work: nothing held


def _is_locked(exc: BaseException) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _is_readonly(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text
