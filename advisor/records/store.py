"""The records store: what students asked (`questions`) and how they rated the answers
(`feedback`), in one SQLite file, `data/records.sqlite3`.

No IP address, cookie or other identifier of a student is kept: a question row holds the
time, the question, the career, whether and why it was answered, the citations and the
server-issued answer id that joins it to its rating.

The store never slows or stops answering:
- questions are written by one background thread per process, from a bounded queue (a
  full queue drops the question, counted); `close()` writes what is queued;
- a damaged file is set aside (`records.sqlite3.damaged-<time>`) and started afresh, a
  locked one is retried, a read-only folder disables the store — each with one log line;
  `status` says which (shown in GET /api/health);
- several processes (answer workers) write the same file: WAL journal and a busy timeout.

Retention: rows older than `keep_days` are deleted when the store opens and every day
after (`keep_days=0`: no question is logged, and a rating keeps no question text).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError

log = logging.getLogger(__name__)

RECORDS_FILE = "records.sqlite3"
LEGACY_FILE = "feedback.sqlite3"  # before the question log, ratings lived here alone
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC; text in this format sorts as time does
PURGE_EVERY = 24 * 3600.0  # seconds between retention runs of a serving process
PURGE_RETRY = 600.0  # …and after a run that failed (a locked file)
BATCH = 500  # questions written in one transaction at most
RETRY_SECONDS = 1.0  # after a locked or failed write, the writer waits this long
LINGER = 0.25  # the writer waits this long after a first question for more, and writes them together

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
QUESTION_COLUMNS = ("created_at", "channel", "question", "resolved", "career", "kind", "reason", "confidence", "citations", "missing",
                    "latency_ms", "answer_id")


class RecordsError(AdvisorError):
    """The records store cannot be read or changed now (the CLI prints one line)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(when: datetime) -> str:
    """A time as the store writes it: UTC, to the second."""
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def _text(value: Any, cap: int) -> str:
    """Text SQLite can store: capped, and without unpaired surrogates (a browser can send them)."""
    return str(value)[:cap].encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class QuestionRecord:
    """One answered question, as logged: nothing that identifies who asked."""

    created_at: str
    channel: str  # "chat" (the Gradio page) or "api" (POST /api/ask: the widget and other programs)
    question: str
    resolved: str  # the question as searched: a follow-up joined with the question it follows
    careers: tuple[str, ...]  # the careers that answered (or were asked about)
    kind: str  # answer / abstain / clarify / smalltalk / invalid
    reason: str  # why it was not answered ("" when it was)
    confidence: float
    citations: tuple[tuple[str, str, int, int], ...]  # (doc, section, first line, last line)
    missing: tuple[str, ...]  # words of the question the profile never uses, when that is why it abstained
    latency_ms: float | None
    answer_id: str | None

    @classmethod
    def of(cls, answer: Any, *, channel: str, answer_id: str | None, latency_ms: float | None, question: str = "",
           when: datetime | None = None) -> QuestionRecord:
        """The record of an `Answer` the advisor just gave."""
        return cls(
            created_at=stamp(when or utc_now()),
            channel=channel,
            question=answer.question or question,
            resolved=answer.resolved_question,
            careers=tuple(answer.careers),
            kind=answer.kind,
            reason=answer.reason,
            confidence=float(answer.confidence),
            citations=tuple((c.doc, c.section, int(c.lines[0]), int(c.lines[1])) for c in answer.citations),
            missing=tuple(answer.missing),
            latency_ms=latency_ms,
            answer_id=answer_id,
        )

    def to_row(self) -> tuple[Any, ...]:
        cites = [{"doc": d, "section": s, "lines": [a, b]} for d, s, a, b in self.citations]
        return (self.created_at, self.channel, _text(self.question, 5000), _text(self.resolved, 10000), ",".join(self.careers),
                self.kind, _text(self.reason, 1000), round(self.confidence, 4), json.dumps(cites), json.dumps(list(self.missing)),
                self.latency_ms, self.answer_id)

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(QUESTION_COLUMNS, self.to_row(), strict=True))


_WAKE = object()  # put in the queue to wake the writer


class RecordsStore:
    """Questions and ratings; safe to call from several request threads and processes.

    `open()` is the store of a serving process: it applies retention at once and starts the
    background writer (which also applies retention daily). Built directly (the CLI, tests)
    it starts no thread until a question is logged.
    """

    def __init__(self, path: Path, timeout: float = 10.0, keep_days: int = 90, queue_size: int = 10_000) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.keep_days = keep_days
        self._lock = threading.RLock()
        self.status = "not opened"
        self._ready = False
        self._disabled = False
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._pending_cap = queue_size
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._queued = 0  # questions accepted by `log`
        self._handled = 0  # …written or dropped by the writer
        self.dropped = 0  # questions not logged: the queue was full, or the store failed
        self._last_purge = time.monotonic()  # `open()` applies retention at once; the writer, daily after
        self._ensure()

    @classmethod
    def open(cls, path: Path, keep_days: int = 90) -> RecordsStore:
        """The store for a server: a short lock wait (a locked file never holds up startup),
        retention applied now and daily, the writer started."""
        store = cls(path, timeout=2.0, keep_days=keep_days)
        store.purge()
        store._start()
        return store

    @property
    def enabled(self) -> bool:
        return self._ready and not self._disabled

    # -- the file ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.timeout)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: committed (or rolled back) and closed."""
        con = self._connect()
        try:
            con.execute("PRAGMA secure_delete=ON")  # deleted questions are overwritten, not left in free pages
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync per commit; a power cut may lose the last rows, never the file
            with con:
                yield con
        finally:
            con.close()

    def _ensure(self) -> bool:
        """Open (or re-try opening) the file; False when the store cannot be used now."""
        with self._lock:
            if self._ready or self._disabled:
                return self._ready
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._migrate()
                self._init()
            except sqlite3.DatabaseError as exc:
                if _is_locked(exc):
                    self._set("unavailable: the file is locked by another program; retried on the next write", warn=True)
                    return False
                if _is_readonly(exc):
                    return self._disable(f"disabled: {self.path} cannot be written ({exc})")
                if not self._set_aside(self.path, exc):
                    return False
            except OSError as exc:  # a read-only or missing data folder
                return self._disable(f"disabled: {self.path.parent} cannot be written ({exc.strerror or exc})")
            self._ready = True
            self._ok()
            return True

    def _init(self) -> None:
        with self._db() as con:
            con.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writers of other processes
            for statement in SCHEMA:
                con.execute(statement)
            columns = {row[1] for row in con.execute("PRAGMA table_info(feedback)")}
            if "answer_id" not in columns:  # files written before answers had ids
                con.execute("ALTER TABLE feedback ADD COLUMN answer_id TEXT")
            con.execute(ANSWER_ID)
        # sqlite opens damaged files lazily: read once so damage shows here, not later
        with self._db() as con:
            con.execute("SELECT count(*) FROM feedback").fetchone()
            con.execute("SELECT id FROM questions ORDER BY id DESC LIMIT 1").fetchone()

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

    def _set_aside(self, path: Path, exc: BaseException, start_afresh: bool = True) -> bool:
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
            return self._disable(f"disabled: {path} is damaged ({exc}) and could not be replaced ({again})")
        log.warning("Records store %s was damaged (%s); set aside as %s and started afresh.", path, exc, aside.name)
        return True

    def _disable(self, status: str) -> bool:
        self._disabled = True
        self._set(status + ". The chat answers as usual; questions and ratings are not kept.", warn=True)
        return False

    def _set(self, status: str, warn: bool = False) -> None:
        if warn and status != self.status:
            log.warning("Records store: %s", status)
        self.status = status

    def _failed(self, exc: sqlite3.DatabaseError, doing: str) -> None:
        """One policy for a failed write: locked → retried later; read-only → disabled;
        anything else → re-opened (and set aside if damaged) on the next write."""
        if _is_locked(exc):
            self._set(f"busy: {doing} waited for a lock and will be retried", warn=True)
        elif _is_readonly(exc):
            self._disable(f"disabled: {self.path} cannot be written ({exc})")
        else:
            self._ready = False
            self._set(f"unavailable: {exc}", warn=True)

    # -- ratings -------------------------------------------------------------------------
    def rate(self, liked: bool, question: str, answer: str, citations: Sequence[str], answer_id: str | None = None) -> int | None:
        """Store a rating (one row per answer id: rating again updates it); the row id, or
        None when the store cannot write now (logged once, never raised). With
        `keep_days=0` the question's text is not kept."""
        with self._lock:
            if not self._ensure():
                return None
            kept = _text(question, 5000) if self.keep_days > 0 else ""
            row = (stamp(utc_now()), int(liked), kept, _text(answer, 20000), json.dumps(list(citations)), answer_id)
            try:
                with self._db() as con:
                    cur = con.execute(
                        "INSERT INTO feedback (created_at, liked, question, answer, citations, answer_id) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(answer_id) DO UPDATE SET liked = excluded.liked, created_at = excluded.created_at",
                        row,
                    )
                    if answer_id is not None:
                        found = con.execute("SELECT id FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
                        return int(found[0])
                    return int(cur.lastrowid or 0)
            except sqlite3.DatabaseError as exc:
                self._failed(exc, "a rating")
                return None

    def ratings(self, since: str | None = None) -> list[dict[str, Any]]:
        """Rating rows (oldest first), those at or after `since` (a stamp) when given."""
        rows = self._read("SELECT * FROM feedback WHERE created_at >= ? ORDER BY id", (since or "",))
        return [{**r, "citations": json.loads(r["citations"]), "liked": bool(r["liked"])} for r in rows]

    # -- the question log ----------------------------------------------------------------
    def log(self, record: QuestionRecord) -> bool:
        """Queue a question for the background writer; never blocks. False when it is not
        kept (`keep_days=0`, a disabled store, a full queue)."""
        if self.keep_days == 0 or self._disabled:
            return False
        self._start()
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._drop(1, "the writer fell behind (queue full)")
            return False
        with self._done:
            self._queued += 1
        return True

    def write(self, records: Sequence[QuestionRecord]) -> bool:
        """Write questions now, in one transaction (the writer's work; tests call it too).
        True when they are stored or can never be (a disabled store); False to retry."""
        with self._lock:
            if not self._ensure():
                return self._disabled
            try:
                with self._db() as con:
                    con.executemany(f"INSERT OR IGNORE INTO questions ({', '.join(QUESTION_COLUMNS)}) "
                                    f"VALUES ({', '.join('?' * len(QUESTION_COLUMNS))})", [r.to_row() for r in records])
                if not self.status.startswith("ok"):
                    self._ok()
                return True
            except sqlite3.DatabaseError as exc:
                self._failed(exc, f"writing {len(records)} question(s)")
                return self._disabled

    def questions(self, since: str | None = None) -> list[dict[str, Any]]:
        """Question rows (oldest first) at or after `since` (a stamp), each with its rating
        (`liked`: True, False or None) joined by answer id."""
        rows = self._read("SELECT q.*, f.liked AS liked FROM questions q LEFT JOIN feedback f ON f.answer_id = q.answer_id "
                          "WHERE q.created_at >= ? ORDER BY q.id", (since or "",))
        out = []
        for r in rows:
            out.append({**r, "careers": [c for c in r["career"].split(",") if c], "citations": json.loads(r["citations"]),
                        "missing": json.loads(r["missing"]), "liked": None if r["liked"] is None else bool(r["liked"])})
        return out

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        if not self._ensure():
            return []
        try:
            with self._db() as con:
                con.row_factory = sqlite3.Row
                return [dict(r) for r in con.execute(sql, params).fetchall()]
        except sqlite3.DatabaseError as exc:
            self._failed(exc, "reading")
            return []

    def _ok(self) -> None:
        self.status = "ok" if not self.dropped else f"ok; {self.dropped} question(s) were not logged since the server started (see the log)"

    def _drop(self, n: int, why: str) -> None:
        first = self.dropped == 0
        self.dropped += n
        self.status = f"busy: {self.dropped} question(s) not logged: {why}"
        if first:
            log.warning("Records store: questions are being dropped: %s (counted in /api/health).", why)

    # -- the writer thread ---------------------------------------------------------------
    def _start(self) -> None:
        with self._done:
            if self._thread is not None or self._disabled:
                return
            self._thread = threading.Thread(target=self._run, name="records-writer", daemon=True)
            self._thread.start()
        atexit.register(self.close, 2.0)

    def _run(self) -> None:
        """Take queued questions (at most `queue_size` waiting to be written: the queue fills
        and `log` drops, rather than memory growing), write them in batches (LINGER after the
        first, or at BATCH: one transaction for many answers), retry a failed write after
        RETRY_SECONDS, apply retention daily; on `close`, write everything left."""
        pending: list[QuestionRecord] = []
        retry_at = 0.0  # when to write next: LINGER after a first question, RETRY_SECONDS after a failure
        while True:
            stopping = self._stop.is_set()
            had = len(pending)
            if stopping:
                self._take(pending, 0.0, cap=None)
            elif len(pending) < self._pending_cap:
                self._take(pending, max(0.0, retry_at - time.monotonic()) if pending else self._until_purge(), cap=self._pending_cap)
            else:
                self._stop.wait(max(0.05, retry_at - time.monotonic()))
            if pending and not had:
                retry_at = max(retry_at, time.monotonic() + LINGER)
            if pending and (stopping or len(pending) >= BATCH or time.monotonic() >= retry_at):
                pending = self._write_or_keep(pending, last=stopping)
                retry_at = time.monotonic() + RETRY_SECONDS if pending else 0.0
            if stopping:
                return
            if time.monotonic() - self._last_purge >= PURGE_EVERY:
                self.purge()

    def _take(self, pending: list[QuestionRecord], wait: float, cap: int | None) -> None:
        """Move queued questions into `pending`, waiting up to `wait` s for the first."""
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            while True:
                if item is not _WAKE:
                    pending.append(item)
                if cap is not None and len(pending) >= cap:
                    return
                item = self._queue.get_nowait()
        except queue.Empty:
            return

    def _write_or_keep(self, pending: list[QuestionRecord], last: bool) -> list[QuestionRecord]:
        """Write `pending` in batches; what is left to retry (on the `last` try the rest is dropped, counted)."""
        while pending:
            batch = pending[:BATCH]
            try:
                written = self.write(batch)
            except Exception:  # the writer must outlive any surprise; these questions are lost, counted
                log.exception("writing the question log failed")
                self._drop(len(batch), "an unexpected error (see the log)")
                written = True
            if not written:
                break
            self._handled_add(len(batch))
            pending = pending[BATCH:]
        if pending and last:
            self._drop(len(pending), "the file could not be written")
            self._handled_add(len(pending))
            return []
        return pending

    def _until_purge(self) -> float:
        return max(1.0, min(3600.0, PURGE_EVERY - (time.monotonic() - self._last_purge)))

    def _handled_add(self, n: int) -> None:
        with self._done:
            self._handled += n
            self._done.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every question queued so far is written (or dropped). True if so."""
        with self._done:
            target = self._queued
            return self._done.wait_for(lambda: self._handled >= target, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer (a server's shutdown calls this)."""
        with self._done:
            thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(_WAKE)  # wakes a writer waiting for questions
        thread.join(timeout)

    # -- retention -----------------------------------------------------------------------
    def purge(self, now: datetime | None = None) -> tuple[int, int]:
        """Apply `keep_days`: delete the questions and ratings older than that (with 0: every
        question, and the question text of every rating). (questions, ratings) changed. A
        failed run is tried again within PURGE_RETRY seconds."""
        self._last_purge = time.monotonic() - PURGE_EVERY + PURGE_RETRY  # until it succeeds
        with self._lock:
            if not self._ensure():
                return (0, 0)
            try:
                with self._db() as con:
                    if self.keep_days == 0:
                        asked = con.execute("DELETE FROM questions").rowcount
                        rated = con.execute("UPDATE feedback SET question = '' WHERE question != ''").rowcount
                    else:
                        cutoff = stamp((now or utc_now()) - timedelta(days=self.keep_days))
                        asked = con.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,)).rowcount
                        rated = con.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount
                self._last_purge = time.monotonic()
                if asked or rated:
                    self._checkpoint()
                return (asked, rated)
            except sqlite3.DatabaseError as exc:
                self._failed(exc, "deleting old rows")
                return (0, 0)

    def forget(self, before: datetime) -> tuple[int, int]:
        """Delete every question and rating recorded before `before`: (questions, ratings)
        deleted. Raises RecordsError when the store cannot be changed now."""
        with self._lock:
            if not self._ensure():
                raise RecordsError(f"{self.path}: {self.status}")
            try:
                with self._db() as con:
                    cutoff = stamp(before)
                    asked = con.execute("DELETE FROM questions WHERE created_at < ?", (cutoff,)).rowcount
                    rated = con.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount
            except sqlite3.DatabaseError as exc:
                raise RecordsError(f"{self.path} could not be changed: {exc}") from exc
            self._checkpoint()
            return (asked, rated)

    def _checkpoint(self) -> None:
        """Copy the WAL into the file and empty it, so deleted text does not linger there."""
        try:
            with self._db() as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError:
            pass  # another process is reading: its own checkpoint will come


def _is_locked(exc: BaseException) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def _is_readonly(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text
