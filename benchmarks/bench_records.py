"""The question log and the counselors' report: what logging costs an answer, how fast the
writer empties its queue, and how long a report takes. Prints a table; asserts nothing.

    .venv/bin/python benchmarks/bench_records.py [--asks 300] [--report-questions 1000]

`POST /api/ask` in process (TestClient, the real app and model) with the log on and off
(ADVISOR_KEEP_DAYS=0); the writer alone on a fresh file; `build_report` over a store of
unanswered questions (the eval sets' wordings, with numbered variants so most are
distinct), the first time (every wording embedded) and again (embeddings kept).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from common import pct, print_table  # noqa: E402

from advisor import Advisor, Settings  # noqa: E402
from advisor.records.report import build_report, load_records  # noqa: E402
from advisor.records.store import QuestionRecord, RecordsStore, stamp, utc_now  # noqa: E402

QUESTIONS = ["how long is school?", "what does the job pay?", "is it stressful?", "do they do fluoro?", "what is the capital of peru?"]


def ask_latencies(advisor: Advisor, data: Path, n: int) -> dict[int, list[float]]:
    """ms per POST /api/ask with the log on (keep_days=90) and off (0), alternating, each
    question new (the embedding cache never helps one side)."""
    from fastapi.testclient import TestClient

    from advisor.web.server import build_api_app

    out: dict[int, list[float]] = {90: [], 0: []}
    apps = {keep: build_api_app(advisor, Settings(corpus_dir=ROOT / "corpus", data_dir=data / str(keep), keep_days=keep,
                                                  rate_limit="off", rate_limit_requests="off")) for keep in out}
    with TestClient(apps[90]) as on, TestClient(apps[0]) as off:
        for i in range(n):
            for keep, c in ((90, on), (0, off)) if i % 2 else ((0, off), (90, on)):
                t = time.perf_counter()
                c.post("/api/ask", json={"question": f"{QUESTIONS[i % len(QUESTIONS)]} ({keep}-{i})"}).raise_for_status()
                out[keep].append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--asks", type=int, default=300)
    ap.add_argument("--writes", type=int, default=20000)
    ap.add_argument("--report-questions", type=int, default=1000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-records-"))
    advisor = Advisor.load(Settings(corpus_dir=ROOT / "corpus", data_dir=work / "data"), progress=lambda m: None)
    rows: list[tuple[str, str]] = []

    timings = ask_latencies(advisor, work / "apps", args.asks)
    for keep, label in ((90, "log on"), (0, "log off (keep_days=0)")):
        ms = timings[keep]
        rows.append((f"POST /api/ask, {label}: p50 / p95 ms", f"{pct(ms, 50):.1f} / {pct(ms, 95):.1f}"))

    store = RecordsStore(work / "writer.sqlite3", queue_size=args.writes)
    record = QuestionRecord(stamp(utc_now()), "api", "how long is school?", "", ("imaging-technologist",), "answer", "", 1.0,
                            (("imaging-technologist", "Required Education", 80, 80),), (), 10.0, None)
    t = time.perf_counter()
    for _ in range(args.writes):
        store.log(record)
    queued = time.perf_counter() - t
    store.flush(300)
    total = time.perf_counter() - t
    store.close()
    rows.append(("log(): µs per call (enqueue only)", f"{queued / args.writes * 1e6:.1f}"))
    rows.append((f"writer: {args.writes} questions written, per second", f"{args.writes / total:,.0f}"))

    lines = [json.loads(x) for f in ("dev", "holdout", "blind", "careers-dev") for x in (ROOT / "eval" / f"{f}.jsonl").read_text().splitlines()]
    wordings = [g["question"] for g in lines if not g.get("history")]
    reports = RecordsStore(work / "report.sqlite3")
    batch = []
    for i in range(args.report_questions):
        q = wordings[i % len(wordings)] + (f" ({i // len(wordings)})" if i >= len(wordings) else "")
        batch.append(QuestionRecord.of(advisor.ask(q), channel="api", answer_id=None, latency_ms=1.0))
    # every one counted as unanswered: the most work a report can have
    reports.write([QuestionRecord(**{**r.__dict__, "kind": "abstain"}) for r in batch])
    for label in ("first", "again (embeddings kept)"):
        t = time.perf_counter()
        report = build_report(load_records(reports, "all"), advisor)
        rows.append((f"report over {args.report_questions} unanswered questions, {label}: s", f"{time.perf_counter() - t:.1f}"))
    rows.append(("  groups found", str(report.unanswered_groups)))
    print_table(rows)


if __name__ == "__main__":
    main()
