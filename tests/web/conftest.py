"""Fixtures for the web-layer tests: the real Advisor (once per session), the app served
by uvicorn on a free 127.0.0.1 port, small local HTTP servers (a page that embeds the
widget, a recorder that must never be contacted) and one headless Chromium per session.

Helpers are handed to tests as fixtures (`wait_until`, `start_app`, `recorder`) so the
test files import nothing from here.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before anything imports gradio

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTIFACTS = REPO / "artifacts"  # the browser tests' output: failure screenshots, and the layouts' in screens/
SCREENS = ARTIFACTS / "screens"
CHROMIUM = "/usr/bin/chromium"
# Chromium keeps only the last --disable-features, and Playwright passes its own list first:
# ours repeats Playwright's (1.65) and adds AutofillServerCommunication (form lookups at
# content-autofill.googleapis.com). test_web_browser_network checks no name of Playwright's is lost.
CHROMIUM_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,"
    "PaintHolding,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,TcpPortRandomizationWin,OptimizationHints,"
    "NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch,msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion,"
    "AutofillServerCommunication"
)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    # The browser resolves no name but the loopback ones, so nothing it does in the background
    # (component updates, sign-in, autofill...) reaches a DNS server or leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-domain-reliability", "--no-pings", "--disable-features=" + CHROMIUM_DISABLED_FEATURES,
]
BROWSER_TIMEOUT_MS = 20_000


# --------------------------------------------------------------------------------------
# the records store, read as a test sees it
def table_rows(db: Path, table: str) -> list[dict[str, Any]]:
    """Every row of `table` ("feedback" or "questions") in the records file, oldest first;
    [] before the file exists."""
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(f"SELECT * FROM {table} ORDER BY id")]
    finally:
        con.close()


# polling, ports
def _wait_until(predicate: Callable[[], Any], timeout: float = 10.0, message: str = "condition", interval: float = 0.05) -> Any:
    """Return predicate()'s first truthy value; fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)  # the polling interval, not a wait for something to happen


@pytest.fixture(scope="session")
def wait_until() -> Callable[..., Any]:
    return _wait_until


def _bound_socket() -> socket.socket:
    """A listening-ready socket on a free 127.0.0.1 port (handed to uvicorn: no port race).
    IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets it knows are TCP, and
    without it every reply on a reused keep-alive connection waited ~40 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


# --------------------------------------------------------------------------------------
# small local HTTP servers
@dataclass
class LocalHTTPServer:
    """A threaded HTTP server on a free 127.0.0.1 port that serves `pages` and records
    every request path (so a test can assert that nothing was fetched)."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path → (content type, body)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                ctype, body = outer.pages.get(self.path.split("?")[0], ("image/png", b""))
                self.send_response(200 if self.path.split("?")[0] in outer.pages else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"http-{self.port}", daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def recorder() -> Iterator[LocalHTTPServer]:
    """An HTTP server no page may ever contact; it records every request it gets."""
    server = LocalHTTPServer()
    yield server
    server.stop()


# --------------------------------------------------------------------------------------
# the real advisor and the app
@pytest.fixture(scope="session")
def web_advisor(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real model over the real corpus, index built in a fresh folder, once a session."""
    from advisor import Advisor, Settings

    return Advisor.load(Settings(corpus_dir=CORPUS, data_dir=tmp_path_factory.mktemp("index-data")))


@pytest.fixture(scope="session")
def careers_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three careers: the imaging profile (with its synonyms) and two real OOH profiles."""
    import shutil

    folder = tmp_path_factory.mktemp("careers") / "corpus"
    shutil.copytree(CORPUS, folder)
    for f in (REPO / "tests" / "data" / "ooh").glob("*.txt"):
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="session")
def careers_advisor(careers_corpus: Path, tmp_path_factory: pytest.TempPathFactory, web_advisor: Any) -> Any:
    from advisor import Advisor, Settings

    return Advisor.load(Settings(corpus_dir=careers_corpus, data_dir=tmp_path_factory.mktemp("careers-data")), embedder=web_advisor.embedder)


@pytest.fixture(scope="session")
def careers_app(careers_advisor: Any, careers_corpus: Path, tmp_path_factory: pytest.TempPathFactory, page_origin: str) -> Iterator[AppServer]:
    """The app over three careers, the widget page's origin allowed."""
    from advisor import Settings

    settings = Settings(corpus_dir=careers_corpus, data_dir=tmp_path_factory.mktemp("careers-app"), allowed_origins=(page_origin,),
                        rate_limit="off", rate_limit_requests="off")
    server = AppServer(careers_advisor, settings).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def make_settings(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Settings for one app: its own data folder (feedback DB), given allowed origins. The
    per-client rate limits are off (every test client shares one address) unless given;
    tests/web/test_web_limits.py tests them."""
    from advisor import Settings

    def make(allowed_origins: tuple[str, ...] = (), **more: Any) -> Any:
        more = {"rate_limit": "off", "rate_limit_requests": "off", **more}
        return Settings(corpus_dir=CORPUS, data_dir=tmp_path_factory.mktemp("app-data"), allowed_origins=allowed_origins, **more)

    return make


class AppServer:
    """build_app(advisor, settings) served by uvicorn in a thread on a free port."""

    def __init__(self, advisor: Any, settings: Any) -> None:
        import uvicorn

        from advisor.web.server import uvicorn_options
        from app import build_app

        self.settings = settings
        self.app = build_app(advisor, settings)
        self.sock = _bound_socket()
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", **{**uvicorn_options(settings), "timeout_graceful_shutdown": 5})
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def feedback_db(self) -> Path:
        """The records store: its `feedback` and `questions` tables (advisor/records/store.py)."""
        return Path(self.settings.data_dir) / "records.sqlite3"

    def _healthy(self) -> bool:
        import httpx

        if not self.thread.is_alive():
            raise AssertionError(f"the app server on port {self.port} stopped while starting")
        try:
            return httpx.get(self.url + "/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self) -> AppServer:
        self.thread.start()
        _wait_until(self._healthy, 60, f"{self.url}/api/health to answer 200")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        if self.thread.is_alive():  # a connection that would not close: do not hang the suite
            self.server.force_exit = True
            self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def start_app(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[Callable[..., AppServer]]:
    """Factory: start an extra app (e.g. with other allowed origins); stopped after the test."""
    started: list[AppServer] = []

    def start(**settings: Any) -> AppServer:
        server = AppServer(web_advisor, make_settings(**settings)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def page_server() -> Iterator[LocalHTTPServer]:
    """Serves the pages that embed the widget; tests add pages to `.pages`. Its origin is
    http://localhost:PORT, a different origin from the app at http://127.0.0.1:APP."""
    server = LocalHTTPServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def page_origin(page_server: LocalHTTPServer) -> str:
    return page_server.url("localhost")


@pytest.fixture(scope="session")
def live_app(web_advisor: Any, make_settings: Callable[..., Any], page_origin: str) -> Iterator[AppServer]:
    """The app every server/browser test talks to; the widget page's origin is allowed."""
    server = AppServer(web_advisor, make_settings(allowed_origins=(page_origin,))).start()
    yield server
    server.stop()


# --------------------------------------------------------------------------------------
# the browser
@pytest.fixture(scope="session")
def playwright_api() -> Iterator[Any]:
    """Playwright's sync API, started once: a second one cannot run in the same thread."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium_launch() -> dict[str, Any]:
    """How the test browser is launched: keyword arguments of Playwright's launch()."""
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS)}


@pytest.fixture(scope="session")
def browser(playwright_api: Any, chromium_launch: dict[str, Any]) -> Iterator[Any]:
    b = playwright_api.chromium.launch(**chromium_launch)
    yield b
    b.close()


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Factory: a page in a fresh browser context (kwargs go to new_context). On failure a
    screenshot of each page is saved to artifacts/ (the layout tests also keep theirs, in
    artifacts/screens/, passing or not: the `screens` fixture)."""
    contexts: list[Any] = []

    def make(**context_options: Any) -> Any:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        return page

    yield make
    report = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{i}-{j}.png"), full_page=True)
                except Exception:  # a crashed page must not hide the real failure
                    pass
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def screens() -> Path:
    """Where layout screenshots go (desktop, 375 and 320 px): artifacts/screens/."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
