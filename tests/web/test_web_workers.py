"""`advisor serve --workers N`: the index built once, N answer processes on one socket, a
rebuild swapped in under load without a failed request, SIGHUP, a dead worker replaced.

The processes are real (`python -m advisor serve` on port 0) with the fake embedder; the
first tests drive the swap machinery in this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import ZOOKEEPER, Served, build, small_corpus, wait_for

from advisor import Settings
from advisor.index.embedder import FakeEmbedder
from advisor.index.store import build_index
from advisor.web.reload import IndexWatcher, LiveAdvisor, ServedApp, load_served


# -- the swap, in this process ------------------------------------------------------------
@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data", model="fake")
    build_index(settings.corpus_dir, settings.data_dir, FakeEmbedder())
    return settings


class _OtherModel(FakeEmbedder):
    name = "another-model"


def test_watcher_swaps_in_a_new_index_and_keeps_out_one_that_does_not_fit(fresh: Settings, caplog: pytest.LogCaptureFixture) -> None:
    live = LiveAdvisor(load_served(fresh))
    kept = live.index.manifest  # read once, as the REST router does, and still current after a swap
    watcher = IndexWatcher(live, fresh, interval=0)
    assert watcher.check() is False  # nothing new
    assert [c["id"] for c in live.careers.listing()] == ["imaging-technologist"]

    (fresh.corpus_dir / "zookeeper.txt").write_text(ZOOKEEPER)
    build_index(fresh.corpus_dir, fresh.data_dir, FakeEmbedder())
    assert watcher.check() is True
    assert sorted(c["id"] for c in live.careers.listing()) == ["imaging-technologist", "zookeeper"]
    assert kept["counts"]["documents"] == 2
    serving = live.current

    # an index this process cannot use (another model) is refused, once, and the last one serves on
    (fresh.corpus_dir / "zookeeper.txt").unlink()
    build_index(fresh.corpus_dir, fresh.data_dir, _OtherModel())
    with caplog.at_level(logging.WARNING, logger="advisor.web.reload"):
        assert watcher.check() is False
        assert watcher.check() is False
    assert live.current is serving
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1 and "another-model" in caplog.text

    build_index(fresh.corpus_dir, fresh.data_dir, FakeEmbedder())
    assert watcher.check() is True
    assert kept["counts"]["documents"] == 1


def _call(app: Any, path: str) -> dict[str, str]:
    """One GET through an ASGI app; the response headers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # in a thread of its own: Playwright's sync API leaves an event loop running in this one
    # when a browser test ran earlier in the session, and asyncio.run refuses to nest
    worker = threading.Thread(target=asyncio.run, args=(app({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send),))
    worker.start()
    worker.join(timeout=60)
    return {k.decode(): v.decode() for k, v in sent[0]["headers"]}


def test_a_rest_request_sees_one_index_from_start_to_end(fresh: Settings) -> None:
    old, new = load_served(fresh), load_served(fresh)
    live = LiveAdvisor(old)
    seen: dict[str, list[Any]] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        first = live.current
        live.swap(new if live.current is old else old)  # `advisor build` lands mid-request
        live.ask("how long is school?")
        seen[scope["path"]] = [first, live.current]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    served = ServedApp(app, live)
    headers = _call(served, "/api/ask")
    assert seen["/api/ask"][0] is seen["/api/ask"][1]  # pinned: one index for the whole request
    assert live.current is new  # the next request gets the new one
    assert headers["x-advisor-worker"].isdigit()
    assert headers["server-timing"].startswith("ask;dur=") and ", app;dur=" in headers["server-timing"]

    _call(served, "/gradio_api/queue/join")  # the chat's routes are not pinned
    assert seen["/gradio_api/queue/join"][0] is not seen["/gradio_api/queue/join"][1]


# -- real processes ---------------------------------------------------------------------------
@dataclass
class Tree:
    served: Served
    corpus: Path
    data: Path


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Tree]]:
    """Two `advisor serve --api-only --workers 2`, started together: one looks for a new
    index every second, the other only on SIGHUP."""
    out: dict[str, Tree] = {}
    for name, every in (("polling", "1"), ("sighup", "0")):
        root = tmp_path_factory.mktemp(name)
        corpus, data = small_corpus(root / "corpus"), root / "data"
        out[name] = Tree(Served(corpus, data, root / "serve.log", "--api-only", "--workers", "2", "--reload-seconds", every), corpus, data)
    try:
        for tree in out.values():
            tree.served.wait_ready()
        yield out
    finally:
        for tree in out.values():
            tree.served.stop()


def _health_by_pid(url: str, pids: set[int], timeout: float = 20) -> dict[int, dict[str, Any]]:
    """/api/health from every worker: a new connection each time, until each pid answered."""
    seen: dict[int, dict[str, Any]] = {}

    def all_answered() -> bool:
        r = httpx.get(url + "/api/health", timeout=10, headers={"connection": "close"})
        assert r.status_code == 200, r.text
        seen[int(r.headers["x-advisor-worker"])] = r.json()
        return set(seen) >= pids

    wait_for(all_answered, timeout, f"every worker of {sorted(pids)} to answer; got {sorted(seen)}", interval=0.01)
    return seen


def _built_at(data: Path) -> str:
    return str(json.loads((data / "index" / "manifest.json").read_text())["built_at"])


@pytest.mark.server
def test_index_is_built_once_and_the_workers_share_one_socket(trees: dict[str, Tree]) -> None:
    served = trees["polling"].served
    log = served.log()
    assert log.count("Building the search index") == 1 and log.count("Index saved to") == 1, log
    assert len(set(served.pids)) == 2
    health = _health_by_pid(served.api_url, set(served.pids))
    assert {h["index_built_at"] for h in health.values()} == {_built_at(trees["polling"].data)}


class Load:
    """Clients in threads, each asking and listing careers back to back on its own
    keep-alive connection; every outcome is kept."""

    def __init__(self, url: str, clients: int = 4) -> None:
        self.url = url
        self.stop = threading.Event()
        self.results: list[tuple[float, str, int, int, bool]] = []  # sent at, path, status, pid, zookeeper listed
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]

    def _client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                for path in ("/api/ask", "/api/careers"):
                    t = time.monotonic()
                    try:
                        if path == "/api/ask":
                            r = client.post(path, json={"question": "how long is the associate degree program?"})
                        else:
                            r = client.get(path)
                    except httpx.HTTPError as exc:
                        self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                        continue
                    zoo = path == "/api/careers" and r.status_code == 200 and any(c["id"] == "zookeeper" for c in r.json()["careers"])
                    self.results.append((t, path, r.status_code, int(r.headers.get("x-advisor-worker", 0)), zoo))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)


@pytest.mark.server
def test_a_rebuild_under_load_is_swapped_in_without_a_failed_request(trees: dict[str, Tree]) -> None:
    tree = trees["polling"]
    served, pids = tree.served, set(tree.served.pids)
    with Load(served.api_url) as load:
        wait_for(lambda: len(load.results) >= 40, 30, "the load to get going")
        started = time.monotonic()
        (tree.corpus / "zookeeper.txt").write_text(ZOOKEEPER)
        build(tree.corpus, tree.data)
        wait_for(lambda: served.log().count("now serves the new index") >= 2, 30, "both workers to swap in the new index")
        swapped = time.monotonic()
        wait_for(lambda: {pid for t, path, _, pid, zoo in load.results if t > swapped and zoo} >= pids, 60,
                 "both workers to list the new career under load")
    assert not load.errors, load.errors[:5]
    assert {r[2] for r in load.results} == {200}, [r for r in load.results if r[2] != 200][:5]
    during = [r for r in load.results if started <= r[0] <= swapped]
    assert during, "no request was in flight while the index was rebuilt and swapped"
    assert any(not r[4] for r in load.results if r[1] == "/api/careers" and r[0] < started)  # the old index served first
    after = [r for r in load.results if r[1] == "/api/careers" and r[0] > swapped]
    assert after and all(r[4] for r in after)  # and once swapped, only the new one
    health = _health_by_pid(served.api_url, pids)
    assert {(h["documents"], h["index_built_at"]) for h in health.values()} == {(2, _built_at(tree.data))}


@pytest.mark.server
def test_sighup_swaps_in_a_new_index_and_a_dead_worker_is_replaced(trees: dict[str, Tree]) -> None:
    tree = trees["sighup"]
    served, pids = tree.served, set(tree.served.pids)
    (tree.corpus / "zookeeper.txt").write_text(ZOOKEEPER)
    build(tree.corpus, tree.data)
    # with --reload-seconds 0 nothing looks until told to
    assert {h["documents"] for h in _health_by_pid(served.api_url, pids).values()} == {1}
    served.signal(signal.SIGHUP)
    wait_for(lambda: served.log().count("now serves the new index") >= 2, 30, "both workers to swap in the new index on SIGHUP")
    assert {h["documents"] for h in _health_by_pid(served.api_url, pids).values()} == {2}

    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    # the socket stays open in the other worker: new requests keep being answered
    for _ in range(20):
        assert httpx.get(served.api_url + "/api/health", timeout=10, headers={"connection": "close"}).status_code == 200
    back = wait_for(lambda: re.search(r"The answer worker \d is serving again: pid (\d+)\.", served.log()), 60,
                    "the supervisor to start a new worker")
    fresh = int(back.group(1))
    assert fresh not in pids and f"(pid {victim}) stopped (exit code -9)" in served.log()
    health = _health_by_pid(served.api_url, (pids - {victim}) | {fresh})
    assert health[fresh]["documents"] == 2  # the new worker loads the index on disk now


# -- the shipped systemd files -----------------------------------------------------------------
def test_the_shipped_systemd_unit_and_its_settings_are_valid(tmp_path: Path) -> None:
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
    env = dict(line.split("=", 1) for line in (deploy / "advisor.env").read_text().splitlines() if line and not line.startswith("#"))
    settings = Settings.from_env(env)  # every value is one `advisor serve` accepts
    assert (settings.workers, settings.port, settings.api_port, settings.api_only) == (2, 7860, 7861, False)
    unit = (deploy / "advisor.service").read_text()
    assert "ExecStart=/srv/advisor/.venv/bin/advisor serve\n" in unit and "ExecReload=/bin/kill -HUP $MAINPID" in unit
    assert "ReadWritePaths=/var/lib/advisor" in unit and f"ADVISOR_DATA={settings.data_dir}" in (deploy / "advisor.env").read_text()
    if shutil.which("systemd-analyze"):  # the unit as systemd reads it, with paths that exist here
        local = unit.replace("/srv/advisor/.venv/bin/advisor", sys.executable).replace("/etc/advisor/advisor.env", str(deploy / "advisor.env"))
        local = local.replace("User=advisor", "User=root").replace("Group=advisor", "Group=root").replace("WorkingDirectory=/srv/advisor", f"WorkingDirectory={tmp_path}")
        (tmp_path / "advisor.service").write_text(local)
        done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "advisor.service")], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.server
def test_a_single_process_swaps_in_a_rebuild_too(tmp_path: Path) -> None:
    """`advisor serve` without --workers: the chat and the API in one process, which also
    serves the next index `advisor build` writes."""
    corpus, data = small_corpus(tmp_path / "corpus"), tmp_path / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = Served(corpus, data, tmp_path / "serve.log", "--port", str(port), "--reload-seconds", "1")
    try:
        served.wait_ready()
        first = httpx.get(served.api_url + "/api/health", timeout=10)
        assert first.json()["documents"] == 1 and first.headers["x-advisor-worker"] == str(served.proc.pid)
        (corpus / "zookeeper.txt").write_text(ZOOKEEPER)
        build(corpus, data)
        wait_for(lambda: httpx.get(served.api_url + "/api/health", timeout=10).json()["documents"] == 2, 30, "the new index to be served")
        assert "now serves the new index" in served.log()
        assert httpx.get(served.api_url + "/", timeout=10).status_code == 200  # the chat page, same process
    finally:
        served.stop()
