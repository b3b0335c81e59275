"""A first run that shows what it does: `python app.py` (what `make run` starts) says
something at least every 5 s until it serves, then logs one line a request (method, path,
status, milliseconds; never the question) and one line when it swaps in a new index. The
same pieces in process: the heartbeat and the request log."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor.heartbeat import Heartbeat
from advisor.web.requestlog import RequestLogMiddleware

REPO = Path(__file__).resolve().parents[2]
SECRET = "zebracorn-question-never-logged"


def test_the_heartbeat_speaks_in_every_silence_and_stops_once_serving() -> None:
    said: list[tuple[float, str]] = []
    t0 = time.monotonic()
    beat = Heartbeat(lambda m: said.append((time.monotonic() - t0, str(m))), every=0.3)
    beat("Exporting the model to ONNX…")
    time.sleep(1.0)  # a silent step
    beat("Chat ready at http://127.0.0.1:7860/")
    time.sleep(0.7)
    texts = [t for _, t in said]
    assert texts[0] == "Exporting the model to ONNX…" and "still: Exporting the model to ONNX" in texts[1], texts
    gaps = [b - a for (a, _), (b, _) in zip(said, said[1:], strict=False)]
    assert max(gaps) < 0.3 + 0.3, said
    assert texts[-1].startswith("Chat ready")  # serving: no more lines


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201 if scope["path"] == "/made" else 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_one_line_a_request_without_query_or_body(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    async def run(method: str, path: str, query: bytes) -> None:
        scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": SECRET.encode(), "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            pass

        await RequestLogMiddleware(_app)(scope, receive, send)

    def in_a_thread(method: str, path: str, query: bytes) -> None:  # (a browser test's event loop may be running in this one)
        t = threading.Thread(target=lambda: asyncio.run(run(method, path, query)))
        t.start()
        t.join(10)

    with caplog.at_level(logging.INFO, logger="advisor.web.requests"):
        in_a_thread("POST", "/made", b"")
        in_a_thread("GET", "/api/starters", f"q={SECRET}".encode())
    lines = [r.getMessage() for r in caplog.records if r.name == "advisor.web.requests"]
    assert len(lines) == 2 and lines[0].startswith("POST /made 201 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /api/starters 200 ") and SECRET not in caplog.text


# --------------------------------------------------------------------------------------
# the real entry point, with the fake embedder (no model download, a build in seconds)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.server
def test_app_py_says_what_it_does_and_logs_requests_and_index_swaps(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "tests" / "data" / "corpus", corpus)
    port = _free_port()
    env = {**os.environ, "ADVISOR_MODEL": "fake", "ADVISOR_CORPUS": str(corpus), "ADVISOR_DATA": str(tmp_path / "data"),
           "ADVISOR_PORT": str(port), "ADVISOR_RELOAD_SECONDS": "0.5", "ADVISOR_RATE_LIMIT": "off", "PYTHONUNBUFFERED": "1"}
    # app.py as `make run` starts it, with one step made slow and silent on purpose (6 s, as an
    # ONNX export is): the heartbeat must speak during it
    slow = ("import sys, time, app\nfrom advisor.engine import Advisor\nload = Advisor.load.__func__\n"
            "def slowly(cls, settings, progress=None, **kw):\n    progress('Loading slowly, on purpose…')\n    time.sleep(6)\n"
            "    return load(cls, settings, progress=progress, **kw)\n"
            "Advisor.load = classmethod(slowly)\nsys.argv = ['app.py']\nsys.exit(app.main())\n")
    proc = subprocess.Popen([sys.executable, "-c", slow], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[tuple[float, str]] = []
    t0 = time.monotonic()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.monotonic() - t0, line.rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not any("Chat ready at" in t for _, t in lines):
            assert proc.poll() is None and time.monotonic() < deadline, lines
            time.sleep(0.1)
        started = [t for t, _ in lines]
        gaps = [b - a for a, b in zip([0.0, *started], started, strict=False)]
        assert max(gaps) <= 5, lines  # never 5 s without a line while it starts
        assert any("still: Loading slowly, on purpose" in t for _, t in lines), lines
        assert httpx.get(url + "/api/health", timeout=30).status_code == 200
        rec = httpx.post(url + "/api/ask", json={"question": f"what do dental assistants do? {SECRET}"}, timeout=30)
        assert rec.status_code == 200
        httpx.get(url + "/profiles/dental-assistant?x=" + SECRET, timeout=30)
        (corpus / "dental-assistant.txt").write_text((corpus / "dental-assistant.txt").read_text("utf-8") + "\nA new line for a new index.\n", "utf-8")
        subprocess.run([sys.executable, "-m", "advisor", "build"], cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
        deadline = time.monotonic() + 30
        while not any("now serves the new index" in t for _, t in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=10)
    text = "\n".join(t for _, t in lines)
    assert "GET /api/health 200 " in text and "POST /api/ask 200 " in text and "GET /profiles/dental-assistant 200 " in text
    assert all(line.rstrip().endswith(" ms") for line in text.splitlines() if "advisor.web.requests" in line)
    assert SECRET not in text  # no question, no query string
    assert sum("now serves the new index" in t for _, t in lines) == 1
