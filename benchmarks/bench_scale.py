"""Answers per second and latency for 1, 2 and N answer workers (`advisor serve --api-only
--workers N`), open-loop at fixed arrival rates and closed-loop with C clients, and where
the time of an answer goes.

    python benchmarks/bench_scale.py [--workers 1,2,3] [--rates 20,50,100,200]
                                     [--clients 1,4,16] [--seconds 5] [--repeats 2]

The real model over ./corpus, its index built once in a temporary folder. The server runs
as its own process tree; the load comes from one more process (asyncio over raw sockets,
keep-alive connections, HTTP/1.1), so the client's interpreter does not share a GIL with a
worker. Open loop: request i is due at t0 + i/rate whether or not earlier ones are back,
and its latency counts from when it was due (no coordinated omission). Closed loop: C
clients, each asking again as soon as its answer is back. Every question text is new to
the workers (`vary`), so each answer embeds its question.

From the `Server-Timing` header each worker sends (advisor/web/reload.py): `ask` = ms in
Advisor.ask, `app` = ms in the ASGI app until the response started; so framework = app −
ask (routing, validation, JSON, the guard; under load also the wait for a thread of the
pool), and outside = client latency − app (HTTP
parsing, the event loop, waiting for the thread pool, and loopback). `ask` is wall time:
with several questions in one process at once it includes waiting for the GIL. Each point
runs `--repeats` times; the table gives the median run and the spread over runs. CPU
ms/answer and "workers' cores" (their CPU seconds per second) come from /proc: they say
what an answer costs whatever else the machine runs, and whether the workers got the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import pct  # noqa: E402

TIMING = re.compile(rb"(\w+);dur=([\d.]+)")


# -- the load generator (its own process) -------------------------------------------------------
class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer


async def _exchange(conn: Conn, request: bytes) -> tuple[int, dict[bytes, bytes]]:
    conn.writer.write(request)
    head = await conn.reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    await conn.reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers


class Pool:
    """Idle keep-alive connections; a new one when none is idle."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.idle = host, port, []  # type: ignore[var-annotated]

    async def request(self, request: bytes) -> tuple[int, dict[bytes, bytes]]:
        for attempt in range(2):
            reused = bool(self.idle)
            conn = self.idle.pop() if reused else Conn(*await asyncio.open_connection(self.host, self.port))
            try:
                status, headers = await _exchange(conn, request)
            except (asyncio.IncompleteReadError, ConnectionError):
                conn.writer.close()
                if reused and attempt == 0:  # the server closed an idle connection meanwhile: not an error
                    continue
                raise
            if headers.get(b"connection", b"").lower() == b"close":
                conn.writer.close()
            else:
                self.idle.append(conn)
            return status, headers
        raise AssertionError("unreachable")


def _requests(host: str, port: int, questions: list[str]) -> list[bytes]:
    out = []
    for q in questions:
        body = json.dumps({"question": q}).encode()
        out.append(b"POST /api/ask HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                   % (host.encode(), port, len(body), body))
    return out


async def _one(pool: Pool, request: bytes, due: float, out: list[tuple[Any, ...]]) -> None:
    try:
        status, headers = await asyncio.wait_for(pool.request(request), 30)
    except Exception as exc:  # a failed request is a result, not a crash of the generator
        out.append(("error", time.perf_counter() - due, type(exc).__name__, None, None))
        return
    t = dict((k.decode(), float(v)) for k, v in TIMING.findall(headers.get(b"server-timing", b"")))
    out.append((status, time.perf_counter() - due, headers.get(b"x-advisor-worker", b"?").decode(), t.get("ask"), t.get("app")))


async def _open_loop(host: str, port: int, questions: list[str], rate: float, seconds: float, offset: int) -> list[tuple[Any, ...]]:
    pool, reqs, out, tasks = Pool(host, port), _requests(host, port, questions), [], []  # type: ignore[var-annotated]
    t0 = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pool, reqs[(offset + i) % len(reqs)], due, out)))
    await asyncio.gather(*tasks)
    return out


async def _closed_loop(host: str, port: int, questions: list[str], clients: int, seconds: float, offset: int) -> list[tuple[Any, ...]]:
    reqs, out = _requests(host, port, questions), []  # type: ignore[var-annotated]
    end = time.perf_counter() + seconds

    async def client(k: int) -> None:
        pool, i = Pool(host, port), offset + k
        while time.perf_counter() < end:
            await _one(pool, reqs[i % len(reqs)], time.perf_counter(), out)
            i += clients

    await asyncio.gather(*(client(k) for k in range(clients)))
    return out


def _loadgen(conn: Any, host: str, port: int, questions: list[str], mode: str, level: float, seconds: float, offset: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    if mode == "open":
        out = asyncio.run(_open_loop(host, port, questions, level, seconds, offset))
    else:
        out = asyncio.run(_closed_loop(host, port, questions, int(level), seconds, offset))
    c1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    conn.send((out, wall, (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) / wall))


_sent = 0  # requests sent so far: the next run goes on with the next question texts


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_load(url: str, questions: list[str], mode: str, level: float, seconds: float, pids: list[int]) -> dict[str, Any]:
    global _sent
    host, port = url.removeprefix("http://").split(":")
    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_loadgen, args=(send, host, int(port), questions, mode, level, seconds, _sent))
    cpu0 = cpu_seconds(pids)
    p.start()
    send.close()
    out, wall, cpu = recv.recv()  # EOFError if the generator died
    p.join()
    workers_cpu = cpu_seconds(pids) - cpu0
    _sent += len(out) + int(level)  # closed loop: each client stepped on by `clients`
    ok = [r for r in out if r[0] == 200]
    lat = [r[1] * 1000 for r in ok]
    asks = [r[3] for r in ok if r[3] is not None]
    framework = [r[4] - r[3] for r in ok if r[3] is not None and r[4] is not None]
    outside = [r[1] * 1000 - r[4] for r in ok if r[4] is not None]
    per_worker: dict[str, int] = {}
    for r in ok:
        per_worker[r[2]] = per_worker.get(r[2], 0) + 1
    return {
        "rps": len(ok) / wall, "ok": len(ok), "failed": len(out) - len(ok), "wall": wall, "loadgen_cpu": cpu,
        "cpu_ms": 1000 * workers_cpu / max(1, len(ok)), "cores": workers_cpu / wall,
        "p50": pct(lat, 50) if lat else float("nan"), "p95": pct(lat, 95) if lat else float("nan"), "p99": pct(lat, 99) if lat else float("nan"),
        "ask": pct(asks, 50) if asks else float("nan"),
        "framework": pct(framework, 50) if framework else float("nan"),
        "outside": pct(outside, 50) if outside else float("nan"),
        "share": "/".join(f"{100 * n // max(1, len(ok))}" for n in sorted(per_worker.values(), reverse=True)),
    }


def vary(questions: list[str]) -> list[str]:
    """Each question with filler words before and after it: 15,000 texts, more than the
    answer path's caches of question vectors hold (4096 per worker, 3 workers), so every
    request is embedded, as a new student's question is. (A repeated question, such as a
    starter, costs only the rest: --repeat-questions.)"""
    before = ("", "so", "and", "well", "ok", "hmm", "also", "but")
    after = ("", "please", "thanks", "now", "today", "exactly", "again", "right", "then", "too", "anyway", "though")
    return [f"{b} {q} {a}".strip() for a in after for b in before for q in questions]


# -- the server ---------------------------------------------------------------------------------
class Server:
    def __init__(self, workers: int, corpus: Path, data: Path, log: Path) -> None:
        env = {**os.environ, "ADVISOR_RATE_LIMIT": "off", "ADVISOR_RATE_LIMIT_REQUESTS": "off", "GRADIO_ANALYTICS_ENABLED": "False"}
        self.log = log
        self._fh = open(log, "w")  # closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--api-only", "--workers", str(workers), "--port", "0",
                                      "--corpus", str(corpus), "--data", str(data)], cwd=ROOT, env=env, stdout=self._fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600  # the first start builds the index with the real model
        while "Stop with Ctrl+C." not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"advisor serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        m = re.search(r"(http://[\d.]+:\d+)/ — \d+ answer worker\(s\), pids ([\d, ]+),", log.read_text())
        assert m, log.read_text()
        self.url = m.group(1)
        self.pids = [int(p) for p in m.group(2).split(",")]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self._fh.close()


def _fmt(runs: list[dict[str, Any]], key: str, digits: int = 1) -> str:
    values = sorted(r[key] for r in runs)
    mid = median(values)
    if len(values) == 1 or max(values) - min(values) < 10 ** -digits:
        return f"{mid:.{digits}f}"
    return f"{mid:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", default="1,2,3", help="worker counts to compare")
    ap.add_argument("--rates", default="20,50,100,200", help="open-loop arrival rates, requests/s")
    ap.add_argument("--clients", default="1,4,16", help="closed-loop concurrent clients")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one measurement")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each point (the spread shows the noise)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--repeat-questions", action="store_true",
                    help="ask the dev questions as they are: their vectors come from the answer path's cache after the first time")
    args = ap.parse_args()

    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines() if line.strip()]
    if not args.repeat_questions:
        questions = vary(questions)
    data = Path(tempfile.mkdtemp(prefix="advisor-scale-"))
    print(f"# {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}; {len(questions)} question texts from eval/dev.jsonl; "
          f"{args.seconds:g} s a run, {args.repeats} run(s) a point: median (min–max)", flush=True)
    header = ["workers", "load", "answers/s", "failed", "p50 ms", "p95 ms", "p99 ms", "ask ms", "app-ask ms", "outside ms",
              "CPU ms/answer", "workers' cores", "share %", "loadgen CPU"]
    rows: list[list[str]] = []
    for workers in [int(w) for w in args.workers.split(",")]:
        server = Server(workers, args.corpus, data, data.parent / f"{data.name}-{workers}.log")
        try:
            run_load(server.url, questions, "closed", 4, 2.0, server.pids)  # warm up every worker
            points = [("open", float(r)) for r in args.rates.split(",")] + [("closed", float(c)) for c in args.clients.split(",")]
            for mode, level in points:
                runs = [run_load(server.url, questions, mode, level, args.seconds, server.pids) for _ in range(args.repeats)]
                label = f"{level:g} req/s offered" if mode == "open" else f"{level:g} clients"
                rows.append([str(workers), label, _fmt(runs, "rps"), str(sum(r["failed"] for r in runs)), _fmt(runs, "p50"), _fmt(runs, "p95"),
                             _fmt(runs, "p99"), _fmt(runs, "ask"), _fmt(runs, "framework", 2), _fmt(runs, "outside"),
                             _fmt(runs, "cpu_ms"), _fmt(runs, "cores", 2), runs[0]["share"],
                             f"{100 * median(r['loadgen_cpu'] for r in runs):.0f}%"])
                print("  ".join(rows[-1]), flush=True)
        finally:
            server.stop()
    shutil.rmtree(data, ignore_errors=True)
    print(f"\n# load average after {os.getloadavg()[0]:.2f}\n")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
