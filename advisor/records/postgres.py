"""The records store on PostgreSQL (ADVISOR_RECORDS_URL=postgresql://…): one question log
and one set of ratings that every answer process on every machine writes.

psycopg 3 with its connection pool; the schema is versioned (`MIGRATIONS`, applied in
order and recorded in `advisor_schema`, under an advisory lock so that processes starting
together apply each once). A serving role that may not create tables (deploy/postgres/)
never needs to: `advisor records migrate`, run once with the owner's URL, applies them.

Every failure becomes a `Fault` with a message that names the database by its URL with the
password masked: down or unreachable, refusing the login, too slow (statements are
cancelled after STATEMENT_TIMEOUT), short of a privilege, or refusing a row's values.

    >>> store = RecordsStore.open(backend=PostgresBackend("postgresql://advisor:…@db/advisor"))
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from advisor.records.backend import QUESTION_COLUMNS, RATING_COLUMNS, Fault, question_dict, rating_dict
from advisor.settings import masked_url

log = logging.getLogger(__name__)

CONNECT_SECONDS = 3  # libpq's connect_timeout (its least useful value is 2)
WAIT_SECONDS = 3.0  # how long a caller waits for a pooled connection
STATEMENT_TIMEOUT_MS = 10_000  # a statement still running after this is cancelled (a slow or locked database)
LOCK_TIMEOUT_MS = 5_000
POOL_SIZE = 2  # the writer thread, and a rating or a report at the same time
MIGRATION_LOCK = 7_201_015  # pg_advisory_xact_lock key: one process applies the migrations at a time

# (version, what it does, statements). Never edit a released one: add the next.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "the question log and the ratings", (
        """CREATE TABLE questions (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created_at timestamptz NOT NULL,
            channel text NOT NULL,
            question text NOT NULL,
            resolved text NOT NULL,
            career text NOT NULL,
            kind text NOT NULL,
            reason text NOT NULL,
            confidence double precision NOT NULL,
            citations jsonb NOT NULL,
            missing jsonb NOT NULL,
            latency_ms double precision,
            answer_id text UNIQUE
        )""",
        "CREATE INDEX questions_time ON questions (created_at)",
        """CREATE TABLE feedback (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            created_at timestamptz NOT NULL,
            liked boolean NOT NULL,
            question text NOT NULL,
            answer text NOT NULL,
            citations jsonb NOT NULL,
            answer_id text UNIQUE
        )""",
        "CREATE INDEX feedback_time ON feedback (created_at)",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS advisor_schema (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
# Other roles may read the schema version (the serving role checks it) but never change it,
# whatever default privileges gave them.
SCHEMA_TABLE_READ_ONLY = """DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
             WHERE table_name = 'advisor_schema' AND table_schema = current_schema() AND grantee <> current_user
             AND privilege_type <> 'SELECT' LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON advisor_schema FROM %I', r.grantee);
    END LOOP;
END $$"""

STAMP = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""  # the store's stamp, as SQLite keeps it
_Q_COLUMNS = ", ".join(STAMP.format("q.created_at") + " AS created_at" if c == "created_at" else f"q.{c}" for c in QUESTION_COLUMNS)
_F_COLUMNS = ", ".join(STAMP.format("created_at") + " AS created_at" if c == "created_at" else c for c in RATING_COLUMNS)
_CASTS = {"created_at": "%s::timestamptz", "citations": "%s::jsonb", "missing": "%s::jsonb"}
INSERT_QUESTIONS = (f"INSERT INTO questions ({', '.join(QUESTION_COLUMNS)}) VALUES ({', '.join(_CASTS.get(c, '%s') for c in QUESTION_COLUMNS)}) "
                    "ON CONFLICT (answer_id) DO NOTHING")
UPSERT_RATING = (f"INSERT INTO feedback ({', '.join(RATING_COLUMNS)}) VALUES ({', '.join(_CASTS.get(c, '%s') for c in RATING_COLUMNS)}) "
                 "ON CONFLICT (answer_id) DO UPDATE SET liked = excluded.liked, created_at = excluded.created_at RETURNING id")


class PostgresBackend:
    """The statements of the records store against one PostgreSQL database."""

    def __init__(self, url: str, serving: bool = True, wait: float = WAIT_SECONDS) -> None:
        self.url = url
        self.where = masked_url(url)
        parts = urlsplit(url)
        self._secrets = [s for s in (parts.password, url) if s]
        self.user = parts.username or "(the login user)"
        self.serving = serving
        self.wait = wait
        self._pool: ConnectionPool | None = None

    # -- connections ---------------------------------------------------------------------
    def _pool_now(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = ConnectionPool(
                self.url, min_size=1 if self.serving else 0, max_size=POOL_SIZE, open=False, name="advisor-records",
                kwargs={"connect_timeout": CONNECT_SECONDS, "application_name": "advisor", "keepalives": 1, "keepalives_idle": 30,
                        "keepalives_interval": 10, "keepalives_count": 3},
                configure=_configure, check=ConnectionPool.check_connection, timeout=self.wait, reconnect_timeout=30.0,
            )
            self._pool.open(wait=False)  # never waits here: a database that is down must not hold up startup
        return self._pool

    @contextlib.contextmanager
    def _conn(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for one transaction (committed, or rolled back on error); every
        failure of the database becomes a `Fault`."""
        try:
            pool = self._pool_now()
            try:
                conn = pool.getconn()
            except PoolTimeout:
                self._why_unreachable()  # raises, unless the database is back and the pool still waits out its backoff
                self._renew_pool()
                pool = self._pool_now()
                conn = pool.getconn()
            try:
                with conn:  # commit, or roll back on error
                    yield conn
            finally:
                pool.putconn(conn)
        except PoolTimeout:
            raise Fault("busy", f"busy: {doing} waited over {self.wait:g} s for a connection to PostgreSQL at {self.where}; retried") from None
        except psycopg.Error as exc:
            raise self._fault(exc, doing) from None

    def _why_unreachable(self) -> None:
        """No pooled connection within `wait` s: connect once directly to learn why (the pool
        only says it timed out), and raise that as a Fault; return if it connects."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_SECONDS, application_name="advisor"):
                return
        except psycopg.Error as exc:
            raise self._connect_fault(exc) from None

    def _renew_pool(self) -> None:
        """A new pool that connects now, instead of one still backing off from the outage."""
        old, self._pool = self._pool, None
        if old is not None:
            old.close(timeout=0)

    def _connect_fault(self, exc: psycopg.Error) -> Fault:
        reason = self._scrub(_first_line(exc))
        text = reason.lower()
        if any(s in text for s in ("password", "authentication", "pg_hba.conf", "role", "does not exist", "permission denied")):
            what = f"refused the login ({reason}): check the user and password of ADVISOR_RECORDS_URL and the server's pg_hba.conf"
        elif "timeout" in text:
            what = f"did not answer within {CONNECT_SECONDS} s"
        else:
            what = f"cannot be reached ({reason})"
        return Fault("unavailable", f"unavailable: PostgreSQL at {self.where} {what}; questions wait in memory and are written when it is back")

    def _fault(self, exc: psycopg.Error, doing: str) -> Fault:
        reason = self._scrub(_first_line(exc))
        if isinstance(exc, errors.QueryCanceled | errors.LockNotAvailable):
            return Fault("busy", f"busy: PostgreSQL at {self.where} is slow: {doing} was cancelled after {STATEMENT_TIMEOUT_MS // 1000} s; retried")
        if isinstance(exc, errors.InsufficientPrivilege):
            return Fault("unavailable", f"unavailable: role {self.user} at {self.where} may not do this ({reason}): {doing} needs the grants "
                         "of deploy/postgres/roles.sql")
        if isinstance(exc, errors.ReadOnlySqlTransaction):
            return Fault("unavailable", f"unavailable: PostgreSQL at {self.where} is read-only (a standby?): point ADVISOR_RECORDS_URL at the primary")
        if isinstance(exc, psycopg.DataError | psycopg.IntegrityError):
            return Fault("rejected", f"PostgreSQL refused the values ({reason})")
        if isinstance(exc, psycopg.OperationalError):
            if exc.pgconn is None and getattr(exc, "sqlstate", None) is None:  # never connected
                return self._connect_fault(exc)
            return Fault("unavailable", f"unavailable: the connection to PostgreSQL at {self.where} was lost ({reason}); retried")
        return Fault("unavailable", f"unavailable: PostgreSQL at {self.where}: {doing} failed ({reason})")

    def _scrub(self, text: str) -> str:
        """A driver's message with any password taken out (libpq's never holds one, but a
        garbled URL can be repeated back)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- the schema ----------------------------------------------------------------------
    def setup(self) -> None:
        with self._conn("checking the schema") as conn:
            version = _version(conn)
        if version >= SCHEMA_VERSION:
            if version > SCHEMA_VERSION:
                log.warning("Records store: the tables at %s are at schema version %d, newer than this advisor's %d; it writes the columns "
                            "it knows (upgrade it to match).", self.where, version, SCHEMA_VERSION)
            return
        self.migrate()

    def migrate(self) -> list[int]:
        """Apply the migrations the database lacks, in one transaction, one process at a time;
        the versions applied."""
        try:
            with self._conn("creating the tables") as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(SCHEMA_TABLE)
                conn.execute(SCHEMA_TABLE_READ_ONLY)
                done = _version(conn)
                applied = []
                for version, description, statements in MIGRATIONS:
                    if version > done:
                        for statement in statements:
                            conn.execute(statement)
                        conn.execute("INSERT INTO advisor_schema (version, description) VALUES (%s, %s)", (version, description))
                        applied.append(version)
        except Fault as fault:
            if "may not" not in fault.message:
                raise
            raise Fault("unavailable", f"unavailable: the tables at {self.where} are not at schema version {SCHEMA_VERSION} and role "
                        f"{self.user} may not create them: run `advisor records migrate` once with the owner's URL "
                        "(deploy/postgres/README.md)") from None
        if applied:
            log.info("Records store: %s brought to schema version %d.", self.where, applied[-1])
        return applied

    def version(self) -> int:
        with self._conn("checking the schema") as conn:
            return _version(conn)

    # -- the statements ------------------------------------------------------------------
    def add_questions(self, rows: Sequence[tuple[Any, ...]]) -> None:
        with self._conn(f"writing {len(rows)} question(s)") as conn, conn.cursor() as cur:
            cur.executemany(INSERT_QUESTIONS, rows)

    def add_rating(self, row: tuple[Any, ...]) -> int:
        with self._conn("a rating") as conn:
            found = conn.execute(UPSERT_RATING, row).fetchone()
        return int(found[0]) if found else 0

    def questions(self, since: str) -> list[dict[str, Any]]:
        sql = (f"SELECT q.id, {_Q_COLUMNS}, f.liked AS liked FROM questions q LEFT JOIN feedback f ON f.answer_id = q.answer_id "
               "WHERE q.created_at >= %s::timestamptz ORDER BY q.id")
        return [question_dict(r) for r in self._read(sql, since)]

    def ratings(self, since: str) -> list[dict[str, Any]]:
        sql = f"SELECT id, {_F_COLUMNS} FROM feedback WHERE created_at >= %s::timestamptz ORDER BY id"
        return [rating_dict(r) for r in self._read(sql, since)]

    def _read(self, sql: str, since: str) -> list[dict[str, Any]]:
        with self._conn("reading") as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, (since or "-infinity",))
            return list(cur.fetchall())

    def delete_before(self, cutoff: str) -> tuple[int, int]:
        with self._conn("deleting old rows") as conn:
            asked = conn.execute("DELETE FROM questions WHERE created_at < %s::timestamptz", (cutoff,)).rowcount
            rated = conn.execute("DELETE FROM feedback WHERE created_at < %s::timestamptz", (cutoff,)).rowcount
        return (asked, rated)

    def delete_all_questions(self) -> tuple[int, int]:
        with self._conn("deleting old rows") as conn:
            asked = conn.execute("DELETE FROM questions").rowcount
            rated = conn.execute("UPDATE feedback SET question = '' WHERE question <> ''").rowcount
        return (asked, rated)

    def import_rows(self, questions: Sequence[tuple[Any, ...]], ratings: Sequence[tuple[Any, ...]]) -> tuple[int, int]:
        """Copy rows of another store in (`advisor records migrate --from`), in one transaction:
        (questions, ratings) added. A row already here is skipped — by its answer id, or for
        a row without one by its time and text — so copying the same rows twice adds nothing.
        Rows are `QUESTION_COLUMNS` and `RATING_COLUMNS` tuples, oldest first."""
        with self._conn("copying rows in") as conn, conn.cursor() as cur:
            for table, columns, rows in (("questions", QUESTION_COLUMNS, questions), ("feedback", RATING_COLUMNS, ratings)):
                cur.execute(f"CREATE TEMP TABLE incoming_{table} (n bigint, LIKE {table}) ON COMMIT DROP")
                cur.execute(f"ALTER TABLE incoming_{table} DROP COLUMN id")
                with cur.copy(f"COPY incoming_{table} (n, {', '.join(columns)}) FROM STDIN") as copy:
                    for n, row in enumerate(rows):
                        copy.write_row((n, *row))
            cols = ", ".join(QUESTION_COLUMNS)
            cur.execute(f"INSERT INTO questions ({cols}) SELECT {cols} FROM incoming_questions t WHERE t.answer_id IS NOT NULL "
                        "OR NOT EXISTS (SELECT 1 FROM questions q WHERE q.answer_id IS NULL AND q.created_at = t.created_at "
                        "AND q.channel = t.channel AND q.question = t.question AND q.resolved = t.resolved) "
                        "ORDER BY t.n ON CONFLICT (answer_id) DO NOTHING")
            asked = cur.rowcount
            cols = ", ".join(RATING_COLUMNS)
            cur.execute(f"INSERT INTO feedback ({cols}) SELECT {cols} FROM incoming_feedback t WHERE t.answer_id IS NOT NULL "
                        "OR NOT EXISTS (SELECT 1 FROM feedback f WHERE f.answer_id IS NULL AND f.created_at = t.created_at "
                        "AND f.question = t.question AND f.answer = t.answer) "
                        "ORDER BY t.n ON CONFLICT (answer_id) DO NOTHING")
            return (asked, cur.rowcount)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=2.0)


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Each new connection: UTC, and statements that cannot hang the writer for ever."""
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    conn.execute("SET idle_in_transaction_session_timeout = 60000")
    conn.autocommit = False


def _version(conn: psycopg.Connection[Any]) -> int:
    """The schema version the database is at (0: no tables yet)."""
    row = conn.execute("SELECT to_regclass('advisor_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM advisor_schema").fetchone()
    return int(found[0]) if found else 0


_PREAMBLE = re.compile(r'^(connection failed:\s*)?(connection to server (at|on) .*? failed:\s*)?(FATAL:\s*)?', re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    """libpq's reason, without its 'connection to server at "…", port … failed: FATAL:' preamble."""
    for line in str(exc).strip().splitlines():
        line = _PREAMBLE.sub("", line.strip()).strip()
        if line:
            return line
    return type(exc).__name__
