"""Real PostgreSQL and Redis servers for the tests, from Debian's packages (`make test`
installs them), each started on a free 127.0.0.1 port in a temporary folder and stopped
afterwards. Where one cannot start, `unavailable()` says why and the tests skip with it.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user the
Debian package creates (or `nobody`), its folder handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Any, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the server exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:] if log else ''}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.05)  # the polling interval


# -- PostgreSQL ----------------------------------------------------------------------------
def _pg_bindir() -> Path | None:
    config = shutil.which("pg_config")
    if config:
        out = subprocess.run([config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """`initdb` into a temporary folder and `postgres` on a free port; a superuser
    `advisor_test` that logs in over TCP with a password (scram-sha-256)."""

    user = "advisor_test"

    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` does it)")
        self.bindir = bindir
        self.password = "pw-" + secrets.token_hex(8)
        self.folder = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:  # postgres will not run as root
            for name in ("postgres", "nobody"):
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self._as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
                break
            else:
                raise RuntimeError("running as root and no `postgres` or `nobody` user to run PostgreSQL as")
            os.chown(self.folder, self._as["user"], self._as["group"])
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password)
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        done = subprocess.run([str(bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--pwfile", str(pwfile), "-E", "UTF8",
                               "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--locale=C"],
                              capture_output=True, text=True, timeout=120, **self._as)
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-1000:]}")

    def start(self, port: int | None = None) -> PostgresServer:
        for _ in range(3):
            self.port = port or free_port()
            log = open(self.log, "ab")
            self.proc = subprocess.Popen([str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder),
                                          "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
                                          "-c", "max_connections=60", "-c", "logging_collector=off"],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._as)
            log.close()
            try:
                _wait(self.accepts, 30, "PostgreSQL", self.proc, self.log)
                return self
            except RuntimeError:
                self.stop()
                if port:
                    raise
        raise RuntimeError(f"PostgreSQL did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str, user: str | None = None, password: str | None = None) -> str:
        return f"postgresql://{user or self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; its URL (as the superuser)."""
        import psycopg

        name = name or "t_" + secrets.token_hex(4)
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]  # a name made here
        return self.url(name)

    def sql(self, url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]  # test SQL
            return list(cur.fetchall()) if cur.description else []

    def stop(self) -> None:
        """A fast shutdown (SIGINT): sessions are ended, committed work kept."""
        _end(self.proc, signal.SIGINT, 30)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _end(proc: subprocess.Popen[bytes] | None, sig: signal.Signals, wait: float) -> None:
    """Stop a server started in its own session: `sig`, then SIGKILL to its group after `wait` s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


# -- Redis ----------------------------------------------------------------------------------
class RedisServer:
    """`redis-server` on a free port, nothing saved to disk, a password required."""

    def __init__(self, conf: str = "") -> None:
        self.conf = conf  # extra configuration lines (e.g. the ACL users of deploy/redis/)
        self.binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
        if self.binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server; `make test` does it)")
        self.password = "rp-" + secrets.token_hex(8)
        self.folder = Path(tempfile.mkdtemp(prefix="advisor-redis-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = open(self.folder / "server.log", "ab")
        conf = self.folder / "extra.conf"
        conf.write_text(self.conf)
        self.proc = subprocess.Popen([self.binary or "redis-server", str(conf), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder), "--requirepass", self.password],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        _wait(self.accepts, 20, "Redis", self.proc, self.folder / "server.log")
        return self

    def accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                return b"PONG" in s.recv(100) or b"PONG" in s.recv(100)
        except OSError:
            return False

    def stop(self) -> None:
        _end(self.proc, signal.SIGTERM, 20)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
