"""The shipped nginx configuration (deploy/nginx/advisor.conf.template), run as Debian's
nginx on free 127.0.0.1 ports with a self-signed certificate, in front of real `advisor
serve` process trees (HTTPS, several upstreams, a dead one, the chat, the widget from
another site) and in front of recording upstreams (headers, routing, event streams,
limits). Skipped only when nginx is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import REPO, Served, small_corpus, wait_for

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
pytestmark = [pytest.mark.server]
if NGINX is None:
    pytestmark.append(pytest.mark.skip(reason="nginx is not installed (Debian: apt-get install nginx; `make browser` installs it)"))

_spec = importlib.util.spec_from_file_location("nginx_render", REPO / "deploy" / "nginx" / "render.py")
assert _spec is not None and _spec.loader is not None
render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@dataclass
class TLS:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """Trusts the test certificate only (and checks the name 127.0.0.1 against it)."""
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, source: str = "127.0.0.1", **kw: Any) -> httpx.Client:
        """An HTTPS client whose requests come from `source` (any 127.x address is this
        machine): each test has its own address, so its own budget at the proxy."""
        return httpx.Client(transport=httpx.HTTPTransport(verify=self.context(), local_address=source), timeout=30, **kw)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLS:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return TLS(cert, key)


class Nginx:
    """Debian's nginx, not a daemon, with its own prefix, pid, logs and temp folders, the
    site rendered from the shipped template inside a minimal nginx.conf."""

    def __init__(self, folder: Path, tls: TLS, api: list[str], chat: list[str], **limits: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.https, self.http = _free_port(), _free_port()
        site = render.render({
            "ADVISOR_SERVER_NAME": "127.0.0.1 localhost",
            "ADVISOR_HTTPS_LISTEN": f"127.0.0.1:{self.https}", "ADVISOR_HTTP_LISTEN": f"127.0.0.1:{self.http}",
            "ADVISOR_CERT": str(tls.cert), "ADVISOR_CERT_KEY": str(tls.key),
            "ADVISOR_API_SERVERS": render.upstream(api), "ADVISOR_CHAT_SERVERS": render.upstream(chat), **limits,
        })
        (folder / "advisor.conf").write_text(site)
        temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""  # the test folders are private to this user
        (folder / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n{user}"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n  access_log {folder / 'access.log'};\n  {temp}\n  include {folder / 'advisor.conf'};\n}}\n")
        cmd = [str(NGINX), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
        check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self._up(), 20, "nginx to listen")
        self.url = f"https://127.0.0.1:{self.https}"

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"nginx exited: {(self.folder / 'error.log').read_text()}")
        return _accepts(self.https) and _accepts(self.http)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# -- in front of the real processes ---------------------------------------------------------
@dataclass
class Stack:
    main: Served  # `advisor serve --workers 2`: 2 answer workers and the chat process
    extra: Served  # `advisor serve --api-only --workers 1`: "another machine"
    proxy: Nginx

    @property
    def worker_pids(self) -> set[int]:
        return set(self.main.pids) | set(self.extra.pids)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, tls: TLS, page_origin: str) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    corpus = small_corpus(root / "corpus")
    allowed = {"ADVISOR_ALLOWED_ORIGINS": page_origin}
    main = Served(corpus, root / "data-main", root / "main.log", "--workers", "2", env=allowed)
    extra = Served(corpus, root / "data-extra", root / "extra.log", "--api-only", "--workers", "1", env=allowed)
    proxy = None
    try:
        main.wait_ready(90)
        extra.wait_ready(60)
        dead = f"127.0.0.1:{_free_port()}"  # nothing listens there
        proxy = Nginx(root / "nginx", tls, api=[main.api_url.removeprefix("http://"), extra.api_url.removeprefix("http://"), dead],
                      chat=[main.chat_url.removeprefix("http://")])
        yield Stack(main, extra, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        main.stop()
        extra.stop()


def _ask(client: httpx.Client, url: str) -> httpx.Response:
    return client.post(url + "/api/ask", json={"question": "how long is the associate degree program?"})


def test_https_answers_from_several_upstreams_and_skips_dead_ones(stack: Stack, tls: TLS) -> None:
    with tls.client("127.0.0.3") as client:
        replies = [_ask(client, stack.proxy.url) for _ in range(12)]  # one upstream is dead from the start
        assert [r.status_code for r in replies] == [200] * 12
        assert all(r.json()["answer"] for r in replies)
        pids = {int(r.headers["x-advisor-worker"]) for r in replies}
        assert pids <= stack.worker_pids and len(pids) >= 2, pids  # spread over processes (and machines)
        assert pids & set(stack.extra.pids) and pids & set(stack.main.pids)

        stack.extra.stop()  # a machine goes away
        replies = [_ask(client, stack.proxy.url) for _ in range(12)]
    assert [r.status_code for r in replies] == [200] * 12
    assert {int(r.headers["x-advisor-worker"]) for r in replies} <= set(stack.main.pids)


def test_the_chat_page_and_its_event_stream_come_from_the_chat_process(stack: Stack, tls: TLS) -> None:
    from gradio_client import Client

    with tls.client("127.0.0.8") as client:
        page = client.get(stack.proxy.url + "/")
        health = client.get(stack.proxy.url + "/api/health")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert int(page.headers["x-advisor-worker"]) == stack.main.chat_pid
    assert int(health.headers["x-advisor-worker"]) in stack.worker_pids and health.json()["status"] == "ok"

    chat = Client(stack.proxy.url + "/", verbose=False, ssl_verify=False)  # server-sent events through the proxy
    _box, history, _ = chat.predict("how long is the associate degree program?", [], "", api_name="/chat")
    assert [m["role"] for m in history][:2] == ["user", "assistant"]


@pytest.mark.browser
def test_the_widget_on_another_site_answers_through_the_proxy(stack: Stack, new_page: Callable[..., Any], page_server: Any, page_origin: str) -> None:
    from playwright.sync_api import expect

    page_server.pages["/proxied.html"] = ("text/html", (
        "<!doctype html><html><head><title>A school</title></head><body><h1>Careers</h1>"
        '<div id="career-advisor"></div>'
        f'<script src="{stack.proxy.url}/embed.js" data-target="#career-advisor"></script></body></html>').encode())
    page = new_page(ignore_https_errors=True)  # the test certificate is self-signed
    answered: list[Any] = []
    page.on("response", lambda r: answered.append(r) if r.url.endswith("/api/ask") else None)
    page.goto(f"{page_origin}/proxied.html")
    expect(page.locator("[data-testid=advisor-suggestion]").first).to_be_visible()  # starters over CORS, through the proxy
    page.locator("[data-testid=advisor-input]").fill("how long is the associate degree program?")
    page.locator("[data-testid=advisor-send]").click()
    answer = page.locator("[data-testid=advisor-answer]")
    expect(answer).to_have_count(1)
    expect(answer).not_to_contain_text("cannot be reached")
    assert len(answered) == 1 and answered[0].status == 200
    assert answered[0].url == f"{stack.proxy.url}/api/ask"
    assert int(answered[0].headers["x-advisor-worker"]) in stack.worker_pids


# -- in front of recording upstreams ----------------------------------------------------------
@dataclass
class Recorder:
    """An upstream that records what reaches it. /gradio_api/queue/data is an event stream
    that sends one event, then holds until `release` is set, then sends another."""

    name: str
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # method, path, headers
    release: threading.Event = field(default_factory=threading.Event)
    held: list[str] = field(default_factory=list)
    released_in_time: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.path.startswith("/gradio_api/queue/data"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    self.wfile.write(b"data: first\n\n")
                    self.wfile.flush()
                    outer.held.append(self.path)
                    outer.released_in_time.append(outer.release.wait(15))
                    self.wfile.write(b"data: second\n\n")
                    return
                body = f'{{"upstream": "{outer.name}"}}'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.seen]

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Recorded:
    api: Recorder
    chat: Recorder
    proxy: Nginx


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, tls: TLS) -> Iterator[Recorded]:
    """The template with tight limits (1 question a minute, 5 at once; 3 connections)."""
    api, chat = Recorder("api"), Recorder("chat")
    proxy = Nginx(tmp_path_factory.mktemp("nginx-recorded"), tls, api=[api.address], chat=[chat.address],
                  ADVISOR_ASK_RATE="1r/m", ADVISOR_ASK_BURST="5", ADVISOR_CONNECTIONS_PER_CLIENT="3")
    yield Recorded(api, chat, proxy)
    proxy.stop()
    api.stop()
    chat.stop()


def test_routes_and_forwarded_headers(recorded: Recorded, tls: TLS) -> None:
    url = recorded.proxy.url
    with tls.client("127.0.0.4") as client:
        r = client.get(url + "/api/careers", headers={"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6"})
        assert r.json() == {"upstream": "api"}
        for path, upstream in (("/embed.js", "api"), ("/api/docs", "api"), ("/", "chat"), ("/assets/index.js", "chat"), ("/gradio_api/info", "chat")):
            assert client.get(url + path).json() == {"upstream": upstream}, path
    _method, path, headers = recorded.api.seen[0]
    assert path == "/api/careers"
    assert headers["x-forwarded-for"] == "127.0.0.4"  # the client's own claim is replaced at the edge
    assert headers["x-real-ip"] == "127.0.0.4"
    assert headers["x-forwarded-proto"] == "https"
    assert headers["host"] == f"127.0.0.1:{recorded.proxy.https}"

    plain = httpx.get(f"http://127.0.0.1:{recorded.proxy.http}/api/careers", timeout=10)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")


def test_event_streams_are_passed_on_unbuffered(recorded: Recorded, tls: TLS) -> None:
    with tls.client("127.0.0.9") as client, client.stream("GET", recorded.proxy.url + "/gradio_api/queue/data?session_hash=x") as r:
        lines = r.iter_lines()
        assert next(line for line in lines if line) == "data: first"  # arrives while the upstream still holds the stream
        recorded.chat.release.set()
        assert next(line for line in lines if line) == "data: second"
    recorded.chat.release.clear()
    assert recorded.chat.released_in_time == [True]


def test_questions_beyond_the_burst_get_429_at_the_proxy(recorded: Recorded, tls: TLS) -> None:
    before = recorded.api.paths().count("/api/ask")
    with tls.client("127.0.0.5") as client:
        codes = [client.post(recorded.proxy.url + "/api/ask", json={"question": "pay?"}).status_code for _ in range(20)]
    passed = recorded.api.paths().count("/api/ask") - before
    assert set(codes) == {200, 429} and codes[0] == 200
    assert codes.count(200) == passed <= 1 + 5 + 1  # the first, the burst, and one more if a minute ticked over


def test_the_admin_report_goes_to_the_chat_process_with_a_tight_limit(recorded: Recorded, tls: TLS) -> None:
    with tls.client("127.0.0.8") as client:
        replies = [client.get(recorded.proxy.url + "/admin") for _ in range(30)]
    codes = [r.status_code for r in replies]
    assert replies[0].json() == {"upstream": "chat"} and replies[0].headers["cache-control"] == "no-store"
    assert codes.count(429) >= 30 - (1 + 10 + 1)  # the first, the burst of 10, one more if the rate ticked over


def test_big_bodies_get_413_and_never_reach_a_worker(recorded: Recorded, tls: TLS) -> None:
    with tls.client("127.0.0.7") as client:
        big = client.post(recorded.proxy.url + "/api/ask", json={"question": "x" * 40_000})
        small = client.post(recorded.proxy.url + "/api/ask", json={"question": "x" * 20_000})
    assert big.status_code == 413 and small.status_code == 200
    assert all(int(h.get("content-length", 0)) <= 32_768 for _, path, h in recorded.api.seen if path == "/api/ask")


def test_held_connections_per_client_are_capped(recorded: Recorded, tls: TLS) -> None:
    recorded.chat.held.clear()
    with tls.client("127.0.0.6") as client, ThreadPoolExecutor(3) as pool:

        def hold(i: int) -> str:
            with tls.client("127.0.0.6") as own, own.stream("GET", f"{recorded.proxy.url}/gradio_api/queue/data?session_hash={i}") as r:
                return "".join(r.iter_text())

        streams = [pool.submit(hold, i) for i in range(3)]
        try:
            wait_for(lambda: len(recorded.chat.held) == 3, 20, "three event streams held open")
            assert client.get(recorded.proxy.url + "/api/careers").status_code == 429  # a fourth connection
        finally:
            recorded.chat.release.set()
        assert all("data: second" in s.result(30) for s in streams)
    recorded.chat.release.clear()
    with tls.client("127.0.0.6") as client:
        assert client.get(recorded.proxy.url + "/api/careers").status_code == 200  # closed streams free the slots
