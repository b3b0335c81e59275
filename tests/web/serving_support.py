"""`advisor serve` as a real process tree, for the worker and proxy tests (imported as
`serving_support`): started on port 0, its addresses and pids read from what it prints."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from conftest import _wait_until as wait_for  # the suite's one polling helper

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "corpus" / "imaging-technologist.txt"
ZOOKEEPER = "Zookeeper\n\nDuties\nZookeepers feed the animals and clean their enclosures every day.\n"

# The fake embedder (no torch, instant builds): these tests are about processes, not answers.
# The app's own per-client limits are off; the proxy's are what test_web_proxy.py checks.
SERVE_ENV = {"ADVISOR_MODEL": "fake", "ADVISOR_RATE_LIMIT": "off", "ADVISOR_RATE_LIMIT_REQUESTS": "off",
             "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}


def small_corpus(folder: Path) -> Path:
    """One real profile in a fresh folder (tests add careers to it)."""
    folder.mkdir(parents=True)
    shutil.copy(PROFILE, folder / PROFILE.name)
    return folder




class Served:
    """`python -m advisor serve …` in its own process group, output to a file."""

    def __init__(self, corpus: Path, data: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        self._log = open(log, "w")  # closed in stop()
        port = [] if "--port" in args else ["--port", "0"]
        cmd = [sys.executable, "-m", "advisor", "serve", "--corpus", str(corpus), "--data", str(data), *port, *args]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **SERVE_ENV, **(env or {})},
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.api_url = self.chat_url = ""
        self.pids: list[int] = []

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def _announced(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"advisor serve exited with {self.proc.returncode}:\n{self.log()}")
        return "Stop with Ctrl+C." in self.log()

    def wait_ready(self, timeout: float = 60) -> Served:
        wait_for(self._announced, timeout, f"advisor serve to announce its addresses; output so far:\n{self.log()}")
        text = self.log()
        single = re.search(r"Chat ready at (http://\S+?)/ ", text)  # one process: everything on --port
        if single:
            self.api_url = self.chat_url = single.group(1)
            return self
        api = re.search(r"REST API and widget .*?: (http://\S+?)/ — \d+ answer worker\(s\), pids ([\d, ]+),", text)
        assert api, text
        self.api_url = api.group(1)
        self.pids = [int(p) for p in api.group(2).split(",")]
        chat = re.search(r"Chat page: (http://\S+?)/ — one process, pid (\d+)", text)
        if chat:
            self.chat_url = chat.group(1)
            self.chat_pid = int(chat.group(2))
        return self

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:  # never leave a process tree behind
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def build(corpus: Path, data: Path) -> str:
    """`advisor build`, as an operator runs it beside the serving processes."""
    done = subprocess.run([sys.executable, "-m", "advisor", "build", "--corpus", str(corpus), "--data", str(data)],
                          cwd=REPO, env={**os.environ, **SERVE_ENV}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr
