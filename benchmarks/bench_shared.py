"""The shared stores of several machines, side by side in one run: what the PostgreSQL
question log (ADVISOR_RECORDS_URL) and the Redis limiter (ADVISOR_LIMITS_URL) cost an
answer. Prints a table; asserts nothing.

    .venv/bin/python benchmarks/bench_shared.py [--asks 400] [--hits 5000]

Starts PostgreSQL and Redis on free 127.0.0.1 ports (tests/services.py; Debian's packages,
`make test` installs them). `POST /api/ask` in process (TestClient, the real app and model)
against four apps over one Advisor, the questions interleaved so that load and noise fall
on all alike, each question new (the embedding cache never helps one side):

- log off (ADVISOR_KEEP_DAYS=0), limits in memory;
- log on SQLite (the default), limits in memory;
- log on PostgreSQL, limits in memory;
- log on PostgreSQL, limits in Redis.

The limits are the default's shape (three question windows, two request windows: five
Redis calls a question) with budgets no client reaches. Then the limiter alone: the time of
the door's two checks of one question (`request` and `question`), in memory and in Redis.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from common import pct, print_table  # noqa: E402
from services import PostgresServer, RedisServer  # noqa: E402

from advisor import Advisor, Settings  # noqa: E402
from advisor.web.limits import RateLimits  # noqa: E402

QUESTIONS = ["how long is school?", "what does the job pay?", "is it stressful?", "do they do fluoro?", "what is the capital of peru?"]
QUESTION_RATE = "3000/second;30000/10 seconds;300000/minute"  # the default's three windows, never reached here
REQUEST_RATE = "300000/10 seconds;3000000/minute"


def ask_latencies(advisor: Advisor, work: Path, pg: PostgresServer, redis_url: str, n: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    from advisor.web.server import build_api_app

    base = {"corpus_dir": ROOT / "corpus", "rate_limit": QUESTION_RATE, "rate_limit_requests": REQUEST_RATE}
    configs = {
        "log off, limits in memory": {"keep_days": 0},
        "log on SQLite, limits in memory": {},
        "log on PostgreSQL, limits in memory": {"records_url": pg.create_database("bench_memory")},
        "log on PostgreSQL, limits in Redis": {"records_url": pg.create_database("bench_redis"), "limits_url": redis_url},
    }
    clients = {name: TestClient(build_api_app(advisor, Settings(data_dir=work / str(i), **base, **extra)))  # type: ignore[arg-type]
               for i, (name, extra) in enumerate(configs.items())}
    out: dict[str, list[float]] = {name: [] for name in configs}
    order = list(configs)
    tag = {name: k for k, name in enumerate(configs)}
    rng = random.Random(0)
    for c in clients.values():
        c.__enter__()
    try:
        for i in range(n):
            rng.shuffle(order)
            for name in order:
                t = time.perf_counter()
                clients[name].post("/api/ask", json={"question": f"{QUESTIONS[i % len(QUESTIONS)]} ({i}-{tag[name]})"}).raise_for_status()
                out[name].append((time.perf_counter() - t) * 1000)
        for name, c in clients.items():
            records = c.app.state.records  # type: ignore[attr-defined]
            records.flush(60)
            out[name + " | kept"] = [float(len(records.questions()))]
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)
    return out


def limiter_latencies(redis_url: str, n: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name, url in (("memory", ""), ("Redis", redis_url)):
        limits = RateLimits(QUESTION_RATE, REQUEST_RATE, url)
        times = []
        for i in range(n):
            client = f"10.9.{i % 200 // 100}.{i % 100}"
            t = time.perf_counter()
            limits.request(client)
            limits.question(client)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = times[n // 10:]  # after a warm-up (connections, scripts loaded)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asks", type=int, default=400, help="questions per configuration")
    ap.add_argument("--hits", type=int, default=5000, help="questions through the limiter alone, per store")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-shared-"))
    pg, redis = PostgresServer().start(), RedisServer().start()
    try:
        advisor = Advisor.load(Settings(corpus_dir=ROOT / "corpus", data_dir=work / "index"), progress=lambda m: None)
        timings = ask_latencies(advisor, work, pg, redis.url, args.asks)
        limiter = limiter_latencies(redis.url, args.hits)
    finally:
        pg.remove()
        redis.remove()

    rows: list[tuple[str, str]] = []
    off = pct(timings["log off, limits in memory"], 50)
    for name, ms in timings.items():
        if "|" in name:
            continue
        rows.append((f"POST /api/ask, {name}: p50 / p95 ms", f"{pct(ms, 50):.2f} / {pct(ms, 95):.2f}"
                     + ("" if ms is timings["log off, limits in memory"] else f"  (p50 {100 * (pct(ms, 50) / off - 1):+.1f}% vs log off)")))
    for name, kept in timings.items():
        if "|" in name:
            rows.append((f"  questions kept, {name.split(' |')[0]}", f"{int(kept[0])} of {args.asks}"))
    mem, red = limiter["memory"], limiter["Redis"]
    rows.append(("limiter, one question (request + question checks), memory: p50 / p95 ms", f"{pct(mem, 50):.3f} / {pct(mem, 95):.3f}"))
    rows.append(("limiter, one question (request + question checks), Redis: p50 / p95 ms", f"{pct(red, 50):.3f} / {pct(red, 95):.3f}"))
    rows.append(("Redis limiter: added at p95, ms", f"{pct(red, 95) - pct(mem, 95):.3f}"))
    both = timings["log on PostgreSQL, limits in Redis"]
    rows.append(("POST /api/ask, PostgreSQL + Redis vs log off: p95 added, ms", f"{pct(both, 95) - pct(timings['log off, limits in memory'], 95):+.2f}"))
    print_table(rows)


if __name__ == "__main__":
    main()
