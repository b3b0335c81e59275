"""Web performance on loopback: page ready, question→answer in the browser, and
POST /api/ask latency under 1, 10 and 50 concurrent clients.

    python benchmarks/bench_web.py [--requests 200]

Starts the app in-process on a free 127.0.0.1 port, drives Debian's chromium with
Playwright, and stops everything at the end. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import pct, print_table  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])



def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=0, help="requests per concurrency level (default: one per dev question, no repeats)")
    ap.add_argument("--browser-questions", type=int, default=5)
    args = ap.parse_args()

    import httpx
    import uvicorn

    from advisor import Advisor, Settings
    from app import build_app

    settings = Settings(corpus_dir=ROOT / "corpus", data_dir=Path(tempfile.mkdtemp(prefix="advisor-webbench-")))
    advisor = Advisor.load(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(advisor, settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    rows: list[tuple[str, str]] = []
    questions = [json.loads(x)["question"] for x in (ROOT / "eval" / "dev.jsonl").read_text("utf-8").splitlines() if x.strip()]
    try:
        rows += browser_rows(base, questions[: args.browser_questions])
        n_requests = args.requests or len(questions)
        with httpx.Client(timeout=60) as client:
            for clients in (1, 10, 50):
                advisor.retriever._cache.clear()  # every level pays for its own question encodings
                lat: list[float] = []

                def one(i: int, client: httpx.Client = client, lat: list[float] = lat) -> None:
                    t = time.perf_counter()
                    r = client.post(base + "/api/ask", json={"question": questions[i % len(questions)], "history": []})
                    r.raise_for_status()
                    lat.append((time.perf_counter() - t) * 1000)

                t0 = time.perf_counter()
                with ThreadPoolExecutor(max_workers=clients) as pool:
                    list(pool.map(one, range(n_requests)))
                wall = time.perf_counter() - t0
                rows.append((f"POST /api/ask, {clients} concurrent (ms)",
                             f"p50 {pct(lat, 50):.1f} / p95 {pct(lat, 95):.1f}, {len(lat) / wall:.0f} req/s"))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print_table(rows)


def browser_rows(base: str, questions: list[str]) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        t0 = time.perf_counter()
        page.goto(base + "/")
        page.wait_for_selector("#question textarea", state="visible", timeout=30000)
        rows.append(("page ready: navigation → textbox visible (ms)", f"{(time.perf_counter() - t0) * 1000:.0f}"))
        times = []
        for i, q in enumerate(questions):
            box = page.locator("#question textarea")
            box.fill(q)
            t = time.perf_counter()
            box.press("Enter")
            page.wait_for_function("n => document.querySelectorAll('#chat [data-testid=user]').length >= n", arg=i + 1, timeout=30000)
            page.wait_for_function(
                "n => { const b = document.querySelectorAll('#chat [data-testid=bot]'); return b.length >= n && !document.querySelector('#chat .pending'); }",
                arg=i + 1, timeout=30000)
            times.append((time.perf_counter() - t) * 1000)
        rows.append((f"browser: Enter → answer shown, {len(times)} questions (ms)", f"p50 {pct(times, 50):.0f} / max {max(times):.0f}"))
        browser.close()
    return rows


if __name__ == "__main__":
    main()
