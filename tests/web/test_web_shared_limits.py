"""The per-client limits in Redis (ADVISOR_LIMITS_URL), against a real redis-server the test
starts on a free 127.0.0.1 port: two answer workers sharing Redis refuse the (budget+1)-th
question of one client, where two in-memory workers do not; Redis unreachable falls back
to counting in each process (one log line, a flag in /api/health), never refusing every
request, and is used again when it is back; no password is shown."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import Served, small_corpus, wait_for

from advisor.web.limits import RateLimits

pytestmark = pytest.mark.database

BUDGET = 8  # questions a client may ask a minute, here


def _ask(url: str, i: int) -> httpx.Response:
    # a new connection each time, so that the kernel hands the questions to both workers
    return httpx.post(url + "/api/ask", json={"question": f"how long is school? #{i}"}, headers={"connection": "close"}, timeout=30)


def _serve(tmp_path: Path, name: str, env: dict[str, str]) -> Served:
    root = tmp_path / name
    corpus = small_corpus(root / "corpus")
    return Served(corpus, root / "data", root / "serve.log", "--api-only", "--workers", "2",
                  env={"ADVISOR_RATE_LIMIT": f"{BUDGET}/minute", **env}).wait_ready(120)


@pytest.mark.server
def test_two_workers_sharing_redis_refuse_the_question_over_budget_where_two_in_memory_do_not(tmp_path: Path, redis_server: Any) -> None:
    memory = _serve(tmp_path, "memory", {})
    try:
        replies = [_ask(memory.api_url, i) for i in range(2 * BUDGET)]
    finally:
        memory.stop()
    answered = [r for r in replies if r.status_code == 200]
    assert len({r.headers["x-advisor-worker"] for r in replies}) == 2  # both workers answered
    assert len(answered) > BUDGET  # each counted its own budget: the (budget+1)-th question was answered

    shared = _serve(tmp_path, "redis", {"ADVISOR_LIMITS_URL": redis_server.url})
    try:
        first = [_ask(shared.api_url, i) for i in range(BUDGET)]
        over: list[httpx.Response] = []
        threads = [threading.Thread(target=lambda i=i: over.append(_ask(shared.api_url, BUDGET + i))) for i in range(8)]  # the 429s wait 1 s each
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        health = [httpx.get(shared.api_url + "/api/health", headers={"connection": "close"}, timeout=10).json() for _ in range(6)]
    finally:
        shared.stop()
    assert [r.status_code for r in first] == [200] * BUDGET
    assert len(over) == 8 and {r.status_code for r in over} == {429}, [r.status_code for r in over]
    answered_by = Counter(r.headers["x-advisor-worker"] for r in first)
    refused_by = {r.headers["x-advisor-worker"] for r in over}
    assert any(answered_by[pid] < BUDGET for pid in refused_by), (answered_by, refused_by)  # a worker refused on the other's count
    assert all(h["limits"]["shared"] and redis_server.password not in str(h) for h in health), health
    assert redis_server.password not in shared.log()


def test_budgets_are_shared_between_two_limiters_on_one_redis(redis_server: Any) -> None:
    one, two = RateLimits(f"{BUDGET}/minute", "off", redis_server.url), RateLimits(f"{BUDGET}/minute", "off", redis_server.url)
    waits = [(one if i % 2 else two).question("203.0.113.9") for i in range(BUDGET + 1)]
    assert waits[:BUDGET] == [0] * BUDGET and waits[BUDGET] > 0
    assert one.question("203.0.113.10") == 0  # another client has its own budget
    alone = [RateLimits(f"{BUDGET}/minute", "off"), RateLimits(f"{BUDGET}/minute", "off")]
    assert [alone[i % 2].question("203.0.113.9") for i in range(BUDGET + 1)] == [0] * (BUDGET + 1)  # in memory: each its own


def test_redis_unreachable_falls_back_to_this_process_and_comes_back(redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    limits = RateLimits(f"{BUDGET}/minute", "off", redis_server.url, probe_seconds=0.2)
    assert limits.question("a") == 0 and limits.shared
    redis_server.stop()
    with caplog.at_level(logging.INFO, logger="advisor.web.limits"):
        t = time.perf_counter()
        waits = [limits.question("b") for _ in range(BUDGET + 2)]
        spent = time.perf_counter() - t
        health = limits.health()
        assert waits[:BUDGET] == [0] * BUDGET and waits[BUDGET] > 0  # counted here: a budget, never every request refused
        assert limits.question("c") == 0
        assert health["fallback"] and not health["shared"] and "cannot be reached" in health["status"]
        assert redis_server.password not in str(health) and "***" in health["status"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "each process counts its own" in warnings[0] and redis_server.password not in warnings[0]
        redis_server.start()
        assert wait_for(lambda: limits.shared, 20, "the limiter to use Redis again")
    assert spent < 2.0  # a sanity bound: only the first question waited for Redis (at most 0.25 s)
    assert not limits.health()["fallback"] and limits.question("d") == 0
    assert any("answers again" in r.getMessage() for r in caplog.records)


@pytest.mark.server
def test_a_server_whose_redis_is_down_answers_and_says_so(tmp_path: Path, redis_server: Any) -> None:
    redis_server.stop()  # the port stays free: nobody answers there
    served = _serve(tmp_path, "down", {"ADVISOR_LIMITS_URL": redis_server.url})
    try:
        codes = [_ask(served.api_url, i).status_code for i in range(6)]
        health = httpx.get(served.api_url + "/api/health", timeout=10).json()
    finally:
        served.stop()
    assert codes == [200] * 6
    assert health["limits"]["fallback"] is True and redis_server.password not in str(health)
    log = served.log()
    assert redis_server.password not in log and 1 <= log.count("Rate limits: Redis at") <= 2  # one line a worker that noticed


def test_the_shipped_redis_user_may_count_and_nothing_more() -> None:
    import redis
    from services import RedisServer

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "redis" / "advisor-limits.conf").read_text()
    user = next(line for line in conf.splitlines() if line.startswith("user advisor "))
    try:
        server = RedisServer(conf=user.replace("CHANGE-ME-REDIS", "app-pw-3") + "\n").start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"Redis cannot start here: {exc}")
    try:
        url = f"redis://advisor:app-pw-3@127.0.0.1:{server.port}/0"
        limits = RateLimits("3/minute", "5/minute", url)
        assert [limits.question("x") for _ in range(4)][:3] == [0, 0, 0] and limits.question("x") > 0 and limits.shared
        client = redis.Redis(port=server.port, username="advisor", password="app-pw-3")
        for command in (("FLUSHALL",), ("CONFIG", "GET", "*"), ("SET", "not-ours", "1"), ("KEYS", "*"), ("SHUTDOWN",)):
            with pytest.raises(redis.exceptions.NoPermissionError):
                client.execute_command(*command)
    finally:
        server.remove()
