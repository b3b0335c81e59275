"""A flooding client against the per-client rate limits: another client's latency, quiet
and during the flood, with the limits on and off. Prints a table; asserts nothing.

    .venv/bin/python benchmarks/bench_limits.py [--threads 16] [--seconds 10]

One server process (uvicorn, the real app); the flooder runs in its own process, the
measured client in this one. 127.0.0.1 is trusted as a proxy so each side can speak for
its own address with X-Forwarded-For.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests" / "web")]

from common import pct, print_table  # noqa: E402

FLOODER = str(Path(__file__).resolve().parents[1] / "tests" / "web" / "flooder.py")


def latencies(url: str, n: int, pace: float = 0.4) -> list[float]:
    """n questions, one every `pace` seconds (a busy student, within the default limit)."""
    out = []
    with httpx.Client(timeout=30, headers={"X-Forwarded-For": "10.3.0.1"}) as c:
        for i in range(n):
            time.sleep(pace)
            t = time.perf_counter()
            r = c.post(url + "/api/ask", json={"question": ["how long is school?", "what does the job pay?", "is it stressful?"][i % 3]})
            out.append(time.perf_counter() - t)
            r.raise_for_status()
    return out


def run(rate: str, threads: int, seconds: float, n: int) -> list[tuple[str, str]]:
    from conftest import AppServer

    from advisor import Advisor, Settings

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), rate_limit=rate, rate_limit_requests="off", trusted_proxies=("127.0.0.1",))
    advisor = Advisor.load(Settings())
    server = AppServer(advisor, settings).start()
    try:
        quiet = latencies(server.url, n)
        flood = subprocess.Popen([sys.executable, FLOODER, "127.0.0.1", str(server.port), str(seconds), str(threads)], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        loaded = latencies(server.url, n)
        counts = flood.communicate(timeout=seconds + 60)[0].strip()
    finally:
        server.stop()
    label = f"limit {rate}"
    return [
        (f"{label}: quiet p50 / p95 ms", f"{pct(quiet, 50) * 1000:.1f} / {pct(quiet, 95) * 1000:.1f}"),
        (f"{label}: flooded p50 / p95 ms", f"{pct(loaded, 50) * 1000:.1f} / {pct(loaded, 95) * 1000:.1f}"),
        (f"{label}: p95 ratio", f"{pct(loaded, 95) / pct(quiet, 95):.1f}x"),
        (f"{label}: flooder replies", counts),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=32, help="flooder connections (asyncio, one process, closed loop)")
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("-n", type=int, default=40, help="measured questions per phase")
    a = p.parse_args()
    from advisor import Settings

    rows: list[tuple[str, str]] = []
    for rate in (Settings().rate_limit, "off"):  # the default limits, then none
        rows += run(rate, a.threads, a.seconds, a.n)
    print_table(rows)


if __name__ == "__main__":
    main()
