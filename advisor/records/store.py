"""The records store: what students asked (`questions`) and how they rated the answers
(`feedback`), in one SQLite file (`data/records.sqlite3`, the default) or in one
PostgreSQL database that every process and machine shares (ADVISOR_RECORDS_URL,
`postgres.py`). The backends hold the statements (`backend.py`); this module holds what
is the same for both: the queue and its writer, retention, and the fault policy.

No IP address, cookie or other identifier of a student is kept: a question row holds the
time, the question, the career, whether and why it was answered, the citations and the
server-issued answer id that joins it to its rating.

The store never slows or stops answering:
- questions are written by one background thread per process, from a bounded queue (a
  full queue drops the question, counted); `close()` writes what is queued;
- a write that fails is kept and retried (a locked file, a database that is down, slow or
  refuses the login); a damaged file is set aside and started afresh, a read-only one
  disables the store — each with one log line; `status` says which (GET /api/health).

Retention: rows older than `keep_days` are deleted when the store opens and every day
after (`keep_days=0`: no question is logged, and a rating keeps no question text).

    >>> store = open_records(settings)          # the serving process's store (SQLite or PostgreSQL)
    >>> store.log(QuestionRecord.of(answer, channel="api", answer_id="…", latency_ms=12.0))
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError
from advisor.records.backend import QUESTION_COLUMNS, Backend, Fault
from advisor.records.sqlite import LEGACY_FILE, RECORDS_FILE, SQLiteBackend

log = logging.getLogger(__name__)

__all__ = ["LEGACY_FILE", "QUESTION_COLUMNS", "RECORDS_FILE", "QuestionRecord", "RecordsError", "RecordsStore", "open_records", "stamp",
           "utc_now"]

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC; text in this format sorts as time does
PURGE_EVERY = 24 * 3600.0  # seconds between retention runs of a serving process
PURGE_RETRY = 600.0  # …and after a run that failed (a locked file, a database that is down)
BATCH = 500  # questions written in one transaction at most
RETRY_SECONDS = 1.0  # after a locked or failed write, the writer waits this long
LINGER = 0.25  # the writer waits this long after a first question for more, and writes them together


class RecordsError(AdvisorError):
    """The records store cannot be read or changed now (the CLI prints one line)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(when: datetime) -> str:
    """A time as the store writes it: UTC, to the second."""
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def _text(value: Any, cap: int) -> str:
    """Text every backend can store: capped, without unpaired surrogates (a browser can send
    them) and without NUL characters (PostgreSQL's text cannot hold them)."""
    return str(value)[:cap].encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


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
                self.kind, _text(self.reason, 1000), round(self.confidence, 4), json.dumps(cites), json.dumps([_text(m, 200) for m in self.missing]),
                self.latency_ms, self.answer_id)

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(QUESTION_COLUMNS, self.to_row(), strict=True))


_WAKE = object()  # put in the queue to wake the writer


class RecordsStore:
    """Questions and ratings; safe to call from several request threads and processes.

    `RecordsStore(path)` is the SQLite file at `path`; `RecordsStore(backend=…)` any other
    backend (`open_records` picks one from the settings). `open()` is the store of a
    serving process: it applies retention at once and starts the background writer (which
    also applies retention daily). Built directly (the CLI, tests) it starts no thread
    until a question is logged.
    """

    def __init__(self, path: Path | None = None, timeout: float = 10.0, keep_days: int = 90, queue_size: int = 10_000, *,
                 backend: Backend | None = None) -> None:
        if backend is None:
            if path is None:
                raise ValueError("RecordsStore needs a path (the SQLite file) or a backend")
            backend = SQLiteBackend(Path(path), timeout=timeout)
        self.backend: Backend = backend
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
    def open(cls, path: Path | None = None, keep_days: int = 90, *, backend: Backend | None = None) -> RecordsStore:
        """The store for a server: a short lock wait (a locked file never holds up startup),
        retention applied now and daily, the writer started."""
        store = cls(path, timeout=2.0, keep_days=keep_days, backend=backend)
        store.purge()
        store._start()
        return store

    @property
    def enabled(self) -> bool:
        return self._ready and not self._disabled

    @property
    def path(self) -> Path:
        """The SQLite file (the CLI and tests read it); a PostgreSQL store has none."""
        path = getattr(self.backend, "path", None)
        if path is None:
            raise AttributeError(f"the records store at {self.backend.where} is no file")
        return Path(path)

    @property
    def _connect(self) -> Any:
        """The SQLite backend's connection factory (tests replace it to open the file read-only)."""
        return getattr(self.backend, "_connect")  # noqa: B009

    @_connect.setter
    def _connect(self, factory: Any) -> None:
        setattr(self.backend, "_connect", factory)  # noqa: B010

    @property
    def where(self) -> str:
        """Where the records are kept, for messages: the file, or the URL with its password masked."""
        return self.backend.where

    # -- faults --------------------------------------------------------------------------
    def _ensure(self) -> bool:
        """Set up (or re-try setting up) the backend; False when the store cannot be used now."""
        with self._lock:
            if self._ready or self._disabled:
                return self._ready
            try:
                self.backend.setup()
            except Fault as fault:
                self._failed(fault)
                return False
            self._ready = True
            self._ok()
            return True

    def _failed(self, fault: Fault) -> None:
        """One policy for every backend: busy → retried later; unavailable → set up again on
        the next use; disabled → never again. Each change of status is one log line."""
        if fault.kind == "disabled":
            self._disable(fault.message)
            return
        if fault.kind == "unavailable":
            self._ready = False
        self._set(fault.message, warn=True)

    def _disable(self, status: str) -> bool:
        self._disabled = True
        self._set(status + ". The chat answers as usual; questions and ratings are not kept.", warn=True)
        return False

    def _set(self, status: str, warn: bool = False) -> None:
        if warn and status != self.status:
            log.warning("Records store: %s", status)
        self.status = status

    def _ok(self) -> None:
        back = self.status.startswith(("busy", "unavailable"))
        self.status = "ok" if not self.dropped else f"ok; {self.dropped} question(s) were not logged since the server started (see the log)"
        if back:
            log.info("Records store: %s works again.", self.backend.where)

    def _drop(self, n: int, why: str) -> None:
        first = self.dropped == 0
        self.dropped += n
        self.status = f"busy: {self.dropped} question(s) not logged: {why}"
        if first:
            log.warning("Records store: questions are being dropped: %s (counted in /api/health).", why)

    # -- ratings -------------------------------------------------------------------------
    def rate(self, liked: bool, question: str, answer: str, citations: Sequence[str], answer_id: str | None = None) -> int | None:
        """Store a rating (one row per answer id: rating again updates it); the row id, or
        None when the store cannot write now (logged once, never raised). With
        `keep_days=0` the question's text is not kept."""
        if not self._ensure():
            return None
        kept = _text(question, 5000) if self.keep_days > 0 else ""
        row = (stamp(utc_now()), bool(liked), kept, _text(answer, 20000), json.dumps([_text(c, 2000) for c in citations]), answer_id)
        try:
            return self.backend.add_rating(row)
        except Fault as fault:
            self._failed(fault)
            return None

    def ratings(self, since: str | None = None) -> list[dict[str, Any]]:
        """Rating rows (oldest first), those at or after `since` (a stamp) when given."""
        return self._read(lambda: self.backend.ratings(since or ""))

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
        True when they are stored or can never be (a disabled store, rows the database
        refuses: dropped, counted); False to retry."""
        if not self._ensure():
            return self._disabled
        try:
            self.backend.add_questions([r.to_row() for r in records])
        except Fault as fault:
            if fault.kind == "rejected":
                return self._write_one_by_one(records)
            self._failed(fault)
            return self._disabled
        if not self.status.startswith("ok"):
            self._ok()
        return True

    def _write_one_by_one(self, records: Sequence[QuestionRecord]) -> bool:
        """A batch the database refused for its values: each question alone, so one bad row
        costs only itself (dropped, counted), never the batch or the writer."""
        for r in records:
            try:
                self.backend.add_questions([r.to_row()])
            except Fault as again:
                if again.kind != "rejected":
                    self._failed(again)
                    return self._disabled
                self._drop(1, f"the database refused a question ({again.message})")
        return True

    def questions(self, since: str | None = None) -> list[dict[str, Any]]:
        """Question rows (oldest first) at or after `since` (a stamp), each with its rating
        (`liked`: True, False or None) joined by answer id."""
        return self._read(lambda: self.backend.questions(since or ""))

    def _read(self, read: Any) -> list[dict[str, Any]]:
        if not self._ensure():
            return []
        try:
            rows: list[dict[str, Any]] = read()
            return rows
        except Fault as fault:
            self._failed(fault)
            return []

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
            self._drop(len(pending), f"{self.backend.where} could not be written before the server stopped")
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
        if thread is not None and thread.is_alive():
            self._stop.set()
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_WAKE)  # wakes a writer waiting for questions
            thread.join(timeout)
        if thread is None or not thread.is_alive():
            self.backend.close()  # a store used after this sets up again
            self._ready = False

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
                if self.keep_days == 0:
                    changed = self.backend.delete_all_questions()
                else:
                    changed = self.backend.delete_before(stamp((now or utc_now()) - timedelta(days=self.keep_days)))
            except Fault as fault:
                self._failed(fault)
                return (0, 0)
            self._last_purge = time.monotonic()
            return changed

    def forget(self, before: datetime) -> tuple[int, int]:
        """Delete every question and rating recorded before `before`: (questions, ratings)
        deleted. Raises RecordsError when the store cannot be changed now."""
        with self._lock:
            if not self._ensure():
                raise RecordsError(f"{self.where}: {self.status}")
            try:
                return self.backend.delete_before(stamp(before))
            except Fault as fault:
                raise RecordsError(f"{self.where} could not be changed: {fault.message}") from None


def open_records(settings: Any, serving: bool = True) -> RecordsStore:
    """The records store the settings name: PostgreSQL at `records_url` when set, else the
    SQLite file in the data folder. `serving`: a server's store (`RecordsStore.open`:
    retention now and daily, the writer started); else one for a command (the CLI)."""
    backend: Backend | None = None
    if settings.records_url:
        from advisor.records.postgres import PostgresBackend  # psycopg: only where PostgreSQL is used

        backend = PostgresBackend(settings.records_url, serving=serving)
    path = Path(settings.data_dir) / RECORDS_FILE
    if serving:
        return RecordsStore.open(path, keep_days=settings.keep_days, backend=backend)
    return RecordsStore(path, keep_days=settings.keep_days, backend=backend)
