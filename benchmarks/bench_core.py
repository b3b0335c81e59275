"""Core performance on this machine: build time, cold start, warm ask latency, memory.

    python benchmarks/bench_core.py [--questions eval/dev.jsonl] [--rounds 3]

Prints a table. Targets (issue #2): warm ask p50 ≤ 25 ms, p95 ≤ 50 ms; process start to
first answer ≤ 8 s with a built index; `advisor build` ≤ 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import pct, print_table  # noqa: E402


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit {proc.returncode}")
    return wall, usage.ru_maxrss / 1024



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=Path, default=ROOT / "eval" / "dev.jsonl")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    env = {**os.environ, "ADVISOR_DATA": str(data), "ADVISOR_CORPUS": str(ROOT / "corpus")}
    exe = [sys.executable, "-m", "advisor"]
    rows: list[tuple[str, str]] = []

    builds = [run_child(exe + ["build"], env) for _ in range(2)]
    rows.append(("advisor build (wall, s)", f"{min(b[0] for b in builds):.2f} (runs: {', '.join(f'{b[0]:.2f}' for b in builds)})"))
    rows.append(("advisor build peak RSS (MB)", f"{max(b[1] for b in builds):.0f}"))

    colds = [run_child(exe + ["ask", "how long is the training?"], env) for _ in range(args.rounds)]
    rows.append(("cold start → first answer (s)", f"{statistics.median(c[0] for c in colds):.2f} median (runs: {', '.join(f'{c[0]:.2f}' for c in colds)})"))
    rows.append(("cold ask peak RSS (MB)", f"{max(c[1] for c in colds):.0f}"))

    from advisor import Advisor, Settings

    t0 = time.perf_counter()
    adv = Advisor.load(Settings(corpus_dir=ROOT / "corpus", data_dir=data))
    rows.append(("in-process Advisor.load (s)", f"{time.perf_counter() - t0:.2f}"))
    lines = [json.loads(x) for x in args.questions.read_text("utf-8").splitlines() if x.strip()]
    lat: list[float] = []
    for _ in range(args.rounds):
        adv.retriever._cache.clear()  # measure real encoding, not the cache
        for g in lines:
            t = time.perf_counter()
            adv.ask(g["question"], history=g.get("history", []))
            lat.append((time.perf_counter() - t) * 1000)
    rows.append((f"warm ask latency, {len(lat)} asks (ms)", f"p50 {pct(lat, 50):.1f} / p95 {pct(lat, 95):.1f} / max {max(lat):.1f}"))
    big = "how long is the training? " * 4000
    t = time.perf_counter()
    ans = adv.ask(big)
    rows.append(("100 KB question (ms)", f"{(time.perf_counter() - t) * 1000:.1f} ({'notice given' if ans.notices else 'NO notice'})"))
    rows.append(("this process peak RSS (MB)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"))

    print_table(rows)


if __name__ == "__main__":
    main()
