"""`advisor serve` with ADVISOR_RECORDS_URL: two answer workers write one PostgreSQL log;
the database stopped while they answer loses no answer and no question, and the log
recovers when it returns; /admin reads the one log; no password in the log, in
/api/health or in an error. Real processes (fake embedder), a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import Served, small_corpus, wait_for

from advisor.settings import masked_url

pytestmark = [pytest.mark.database, pytest.mark.server]

ADMIN = "counselor-password-1"


def _ask(url: str, text: str) -> httpx.Response:
    return httpx.post(url + "/api/ask", json={"question": text}, headers={"connection": "close"}, timeout=30)


def _health(url: str, n: int = 6) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for _ in range(n):
        r = httpx.get(url + "/api/health", headers={"connection": "close"}, timeout=10)
        out.append((r.headers["x-advisor-worker"], r.json()))
    return out


def _rows(postgres: Any, url: str) -> list[str]:
    return [q for (q,) in postgres.sql(url, "SELECT question FROM questions ORDER BY id")]


def test_a_stopped_database_during_answers_loses_no_answer_and_recovers(tmp_path: Path, postgres: Any, pg_url: str) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    served = Served(corpus, tmp_path / "data", tmp_path / "serve.log", "--api-only", "--workers", "2",
                    env={"ADVISOR_RECORDS_URL": pg_url, "ADVISOR_ADMIN_PASSWORD": ADMIN}).wait_ready(120)
    asked: list[str] = []
    try:
        for i in range(20):
            asked.append(f"how long is school? up {i}")
            assert _ask(served.api_url, asked[-1]).status_code == 200
        assert wait_for(lambda: len(_rows(postgres, pg_url)) == 20, 30, "the first questions in PostgreSQL")

        postgres.stop()
        try:
            pids = set()
            for i in range(30):
                asked.append(f"how long is school? down {i}")
                r = _ask(served.api_url, asked[-1])
                assert r.status_code == 200 and r.json()["kind"], r.text  # every answer given while the database is down
                pids.add(r.headers["x-advisor-worker"])
            assert len(pids) == 2
            down = wait_for(lambda: [h for _, h in _health(served.api_url) if h["records"].startswith("unavailable")], 30,
                            "/api/health to say the records store is unavailable")
            admin = httpx.get(served.api_url + "/admin/report.csv?since=all", auth=("c", ADMIN), timeout=30)
        finally:
            postgres.start(postgres.port)
        status = down[0]["records"]
        assert masked_url(pg_url) in status and postgres.password not in str(down)
        assert admin.status_code == 200 and postgres.password not in admin.text  # the report says it cannot read, without the secret

        # back: everything asked while it was down is written, and the store says ok
        assert wait_for(lambda: sorted(_rows(postgres, pg_url)) == sorted(asked), 60, "every question in PostgreSQL after the restart")
        assert wait_for(lambda: all(h["records"] == "ok" for _, h in _health(served.api_url)), 30, "every worker's store to be ok")
        csv = httpx.get(served.api_url + "/admin/report.csv?since=all", auth=("c", ADMIN), timeout=30)
        assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 1 + len(asked)  # /admin reads the one log of both workers
    finally:
        served.stop()
    log = served.log()
    assert postgres.password not in log
    assert 1 <= log.count("Records store: unavailable") <= 2, log  # one line a worker, not one per try
    assert sorted(_rows(postgres, pg_url)) == sorted(asked)
