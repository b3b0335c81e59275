"""Storage faults never stop the web app: a damaged or unwritable feedback store is set
aside or disabled (shown in /api/health) and the chat keeps answering; a read-only data
folder with a valid index serves."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.model
@pytest.mark.parametrize("fault", ["damaged", "unwritable"])
def test_the_app_answers_with_a_broken_feedback_store(web_advisor: Any, make_settings: Callable[..., Any], tmp_path: Path, fault: str) -> None:
    from app import build_app

    data = tmp_path / "data"
    if fault == "damaged":
        data.mkdir()
        (data / "feedback.sqlite3").write_bytes(b"not sqlite at all " * 100)
    else:
        data.write_text("a file where the data folder should be: nothing can be written under it")
    settings = make_settings().with_(data_dir=data)
    with TestClient(build_app(web_advisor, settings)) as c:
        health = c.get("/api/health").json()
        answer = c.post("/api/ask", json={"question": "how long is the associate degree?"})
    assert answer.status_code == 200 and answer.json()["abstained"] is False
    if fault == "damaged":
        assert health["feedback"] == "ok"
        assert [p.name for p in data.iterdir() if ".damaged-" in p.name]
    else:
        assert health["feedback"].startswith("disabled:")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _can_unshare() -> bool:
    try:
        return subprocess.run(["unshare", "--mount", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.server
def test_a_read_only_data_folder_with_a_valid_index_serves(tmp_path: Path) -> None:
    """`python app.py` with data/ on a read-only mount (a private mount namespace: as root,
    only a read-only mount truly stops writes): it starts, answers, and says in
    /api/health that ratings are not kept. It used to exit with a traceback."""
    if not _can_unshare():
        pytest.skip("unshare --mount is not permitted here (needs root or user namespaces)")
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(REPO / "tests" / "data" / "corpus", corpus)
    env = {**os.environ, "ADVISOR_MODEL": "fake", "ADVISOR_CORPUS": str(corpus), "ADVISOR_DATA": str(data), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "advisor", "build"], env=env, cwd=REPO, check=True, capture_output=True, timeout=120)
    before = sorted(p.name for p in data.rglob("*"))
    port = _free_port()
    script = 'mount --bind -o ro "$1" "$1" && exec "$2" app.py --port "$3"'
    proc = subprocess.Popen(["unshare", "--mount", "sh", "-c", script, "sh", str(data), sys.executable, str(port)],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 90
        health = None
        while time.time() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert health is not None, proc.communicate(timeout=5) if proc.poll() is not None else "no answer"
        answer = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "what does a dental assistant do?"}, timeout=30)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert answer.status_code == 200
    assert health["feedback"].startswith("disabled:") and "cannot be written" in health["feedback"]
    assert "Traceback" not in err and err.count("Records store") == 1, err
    assert sorted(p.name for p in data.rglob("*")) == before  # nothing written
