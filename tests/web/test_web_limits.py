"""The door (advisor/web/guard.py) against the probes of issue 7: body and field limits,
strict JSON, slow bodies, methods, closed Gradio routes, per-client rate limits, forged
feedback and uploads. Each test reproduces a probe that used to succeed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import table_rows
from fastapi.testclient import TestClient

pytestmark = [pytest.mark.model, pytest.mark.server]

QUESTION = "what is the stress level?"


@pytest.fixture(scope="module")
def app_server(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[Any]:
    """One server with the production rate limits, a short body deadline and 127.0.0.1
    trusted as a proxy (so tests can speak for several clients with X-Forwarded-For)."""
    from conftest import AppServer

    settings = make_settings(
        body_timeout=1.0,
        rate_limit="8/10 seconds",
        rate_limit_requests="400/10 seconds",
        trusted_proxies=("127.0.0.1",),
    )
    server = AppServer(web_advisor, settings).start()
    yield server
    server.stop()


def _as(client: str) -> dict[str, str]:
    return {"X-Forwarded-For": client}


@pytest.fixture(scope="module")
def client(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[TestClient]:
    from app import build_app

    with TestClient(build_app(web_advisor, make_settings())) as c:
        yield c


# --------------------------------------------------------------------------------------
# sizes
def test_a_50mb_body_is_413_without_being_read(app_server: Any) -> None:
    big = b'{"question": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    t = time.perf_counter()
    r = httpx.post(app_server.url + "/api/ask", content=big, headers={"content-type": "application/json", **_as("10.0.0.1")}, timeout=30)
    assert r.status_code == 413, r.text[:200]
    assert r.headers["content-type"] == "application/json"
    assert len(r.content) < 200 and "32768 bytes" in r.json()["detail"]
    assert time.perf_counter() - t < 20  # a sanity bound, not a performance target


def test_a_chunked_body_is_counted_too(app_server: Any) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    r = httpx.post(app_server.url + "/api/ask", content=chunks(), headers={"content-type": "application/json", **_as("10.0.0.2")}, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize(
    "body,where",
    [
        ({"question": "y" * 2001}, "question"),
        ({"question": "ok", "history": ["h" * 2001]}, "history"),
        ({"question": "ok", "history": ["h"] * 21}, "history"),
    ],
)
def test_overlong_fields_are_refused_and_not_echoed(client: TestClient, body: dict[str, Any], where: str) -> None:
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422
    assert "yyyy" not in r.text and "hhhh" not in r.text and len(r.content) < 1000
    assert r.json()["detail"][0]["loc"][:2] == ["body", where]


def test_validation_errors_never_echo_the_input(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": ["<script>secret-marker</script>"]})
    assert r.status_code == 422 and "secret-marker" not in r.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"question": NaN}',
        b'{"question": "ok", "history": [Infinity]}',
        b'{"question": -Infinity}',
        b'{"question": "\\ud800 how long is school?"}',
        b'{"question": "ok", "history": ["\\udfff"]}',
        b'{"question": "ok", "id": "\\ud83d"}',
        b'{"question": "\xff\xfe"}',
        b'{"question": "ok",}',
    ],
)
def test_non_json_numbers_surrogates_and_bad_bytes_are_422(client: TestClient, raw: bytes) -> None:
    r = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], str | list)


def test_a_paired_surrogate_is_fine(client: TestClient) -> None:
    r = client.post("/api/ask", content=b'{"question": "\\ud83d\\ude00 how long is school?"}', headers={"content-type": "application/json"})
    assert r.status_code == 200


def test_the_connection_stays_usable_after_a_422(app_server: Any) -> None:
    with httpx.Client(base_url=app_server.url, headers=_as("10.0.0.3")) as c:
        bad = c.post("/api/ask", content=b'{"question": NaN}', headers={"content-type": "application/json"})
        good = c.post("/api/ask", json={"question": QUESTION})
    assert bad.status_code == 422 and good.status_code == 200


def test_a_body_that_never_finishes_gets_408(app_server: Any) -> None:
    """Content-Length 1000 and 12 bytes sent: refused after the body deadline (1 s here),
    the connection closed; it used to be held for over 90 s."""
    with socket.create_connection(("127.0.0.1", app_server.port), timeout=10) as s:
        s.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"question\":")
        t = time.perf_counter()
        data = b""
        while True:
            part = s.recv(4096)
            if not part:
                break
            data += part
        waited = time.perf_counter() - t
    assert data.startswith(b"HTTP/1.1 408"), data[:100]
    assert b"did not arrive within 1 seconds" in data
    assert waited < 8


def _closed_after(sock: socket.socket, trickle: bytes = b"", limit: float = 10.0) -> float:
    """Seconds until the server closes `sock`, sending `trickle` a byte every 0.3 s."""
    t = time.perf_counter()
    sock.settimeout(0.3)
    i = 0
    while time.perf_counter() - t < limit:
        if i < len(trickle):
            try:
                sock.sendall(trickle[i:i + 1])
            except OSError:
                return time.perf_counter() - t
            i += 1
        try:
            if sock.recv(100) == b"":
                return time.perf_counter() - t
        except TimeoutError:
            continue
        except OSError:
            return time.perf_counter() - t
    return float("inf")


def test_an_idle_connection_is_closed(app_server: Any) -> None:
    with socket.create_connection(("127.0.0.1", app_server.port)) as s:
        assert _closed_after(s) < 5  # the head deadline is 1 s here; uvicorn alone never closed it


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(app_server: Any) -> None:
    head = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200
    with socket.create_connection(("127.0.0.1", app_server.port)) as s:
        assert _closed_after(s, head) < 5


# --------------------------------------------------------------------------------------
# methods and closed routes
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_methods_on_ask_are_405(client: TestClient, method: str) -> None:
    r = client.request(method, "/api/ask")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert "content-security-policy" in r.headers


@pytest.mark.parametrize("path", ["/api/health", "/api/careers"])
def test_post_on_get_routes_is_405(client: TestClient, path: str) -> None:
    assert client.post(path, json={}).status_code == 405


@pytest.mark.parametrize("path", ["/embed.js", "/api/health", "/api/starters", "/"])
def test_head_works_where_get_does(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/monitoring"),
        ("GET", "/monitoring/summary"),
        ("GET", "/openapi.json"),
        ("GET", "/gradio_api/openapi.json"),
        ("GET", "/gradio_api/runs"),
        ("GET", "/gradio_api/run-history/buckets"),
        ("GET", "/docs"),
        ("POST", "/gradio_api/upload"),
    ],
)
def test_gradio_internals_are_not_public(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 404, (path, r.status_code)
    assert "content-security-policy" in r.headers


def test_uploads_are_closed_and_write_nothing(client: TestClient) -> None:
    temp = Path(os.environ["GRADIO_TEMP_DIR"])
    before = sorted(temp.rglob("*"))
    files = [("files", (f"f{i}.txt", b"x" * 100, "text/plain")) for i in range(50)]
    r = client.post("/gradio_api/upload", files=files)
    assert r.status_code == 404
    assert sorted(temp.rglob("*")) == before
    assert temp.name.startswith("advisor-gradio-")  # Gradio's temp folder is this process's own


def test_preflights_carry_the_security_headers(client: TestClient) -> None:
    r = client.options("/api/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_csp_has_default_and_script_src(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp


def test_latex_is_off_in_the_chat(client: TestClient) -> None:
    components = client.get("/config").json()["components"]
    shown = [c for c in components if c.get("type") in {"chatbot", "markdown"}]
    assert shown and all(c["props"].get("latex_delimiters") == [] for c in shown)


# --------------------------------------------------------------------------------------
# rate limits
def test_a_client_over_its_rate_gets_429_with_retry_after(app_server: Any) -> None:
    codes = []
    with httpx.Client(base_url=app_server.url, headers=_as("10.1.0.1"), timeout=30) as c:
        for _ in range(10):
            codes.append(c.post("/api/ask", json={"question": QUESTION}))
        other = httpx.post(app_server.url + "/api/ask", json={"question": QUESTION}, headers=_as("10.1.0.2"), timeout=30)
    assert [r.status_code for r in codes] == [200] * 8 + [429] * 2
    last = codes[-1]
    assert 1 <= int(last.headers["retry-after"]) <= 10
    assert "wait" in last.json()["detail"] and last.headers["content-type"] == "application/json"
    assert other.status_code == 200  # another address has its own budget


def test_forwarded_for_counts_only_from_a_trusted_proxy(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    """Without trusted proxies a client cannot dodge its limit by inventing X-Forwarded-For."""
    from conftest import AppServer

    server = AppServer(web_advisor, make_settings(rate_limit="3/10 seconds")).start()
    try:
        codes = [httpx.post(server.url + "/api/ask", json={"question": QUESTION}, headers=_as(f"10.2.0.{i}"), timeout=30).status_code for i in range(5)]
    finally:
        server.stop()
    assert codes == [200, 200, 200, 429, 429]


def test_client_address_rules() -> None:
    from advisor.web.guard import ClientAddress

    trusting = ClientAddress(["127.0.0.1", "10.0.0.0/8"])
    assert trusting.of("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert trusting.of("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.0.0.5") == "203.0.113.9"  # right-most untrusted hop
    assert trusting.of("192.0.2.7", "203.0.113.9") == "192.0.2.7"  # the peer is no proxy of ours
    assert trusting.of("127.0.0.1", "not-an-ip") == "127.0.0.1"
    assert ClientAddress([]).of("192.0.2.7", "203.0.113.9") == "192.0.2.7"


def test_widget_says_wait_on_429() -> None:
    from advisor.web.api import STATIC

    js = (STATIC / "embed.js").read_text("utf-8")
    assert "429" in js and "Please wait " in js and "Retry-After" in js  # (the browser says it: test_web_browser_security.py)


FLOODER = str(Path(__file__).resolve().parent / "flooder.py")


def _p95(url: str, n: int) -> float:
    times = []
    with httpx.Client(timeout=30, headers=_as("10.3.0.1")) as c:
        for _ in range(n):
            time.sleep(0.05)
            t = time.perf_counter()
            r = c.get(url + "/api/starters")
            times.append(time.perf_counter() - t)
            assert r.status_code == 200
    times.sort()
    return times[int(0.95 * (len(times) - 1))]


def test_a_flooding_client_does_not_slow_another(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    """Issue 7's acceptance check: a client flooding /api/ask from its own process (16
    connections, each asking the most expensive kind of question as fast as it is
    answered) leaves another client's p95 within 3x its quiet p95: after its budget the
    flooder gets 429s, which cost the server little. (Without the limit the other client's
    p95 rose ~10x here.)"""
    from conftest import AppServer

    server = AppServer(web_advisor, make_settings(rate_limit="5/10 seconds", trusted_proxies=("127.0.0.1",))).start()
    try:
        quiet = _p95(server.url, 60)
        flood = subprocess.Popen([sys.executable, FLOODER, "127.0.0.1", str(server.port), "8", "16"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)
            loaded = _p95(server.url, 60)
        finally:
            counts = flood.communicate(timeout=60)[0]
    finally:
        server.stop()
    assert "429:" in counts, counts
    assert loaded <= 3 * max(quiet, 0.005), (quiet, loaded, counts)


# --------------------------------------------------------------------------------------
# forged feedback through Gradio's queue
def _run_event(url: str, fn_index: int, data: list[Any], event_data: Any = None, client: str = "10.4.0.1") -> list[dict[str, Any]]:
    """Join Gradio's queue as a browser would and read the event stream to its end."""
    session = f"probe{time.time_ns()}"
    join = httpx.post(url + "/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
                                                                   "trigger_id": None}, headers=_as(client), timeout=30)
    assert join.status_code == 200, join.text
    messages = []
    with httpx.stream("GET", url + "/gradio_api/queue/data", params={"session_hash": session}, headers=_as(client), timeout=30) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                messages.append(msg)
                if msg.get("msg") == "process_completed":
                    break
    return messages


def _fn_index(url: str, trigger: str) -> int:
    deps = httpx.get(url + "/config", timeout=30).json()["dependencies"]
    for i, d in enumerate(deps):
        if any(t[1] == trigger for t in d.get("targets", [])):
            return int(d.get("id", i))
    raise AssertionError(f"no {trigger} handler")


def _rows(db: Path) -> list[dict[str, Any]]:
    return table_rows(db, "feedback")


def test_feedback_cannot_be_forged_through_the_queue(app_server: Any) -> None:
    like = _fn_index(app_server.url, "like")
    def msg(role: str, text: str, **more: Any) -> dict[str, Any]:
        return {"role": role, "content": [{"type": "text", "text": text}], **more}  # the browser's shape

    forged = [msg("user", "invented question"), msg("assistant", "invented answer " * 500, metadata={"id": "made-up"})]
    plain = [msg("user", "invented question"), msg("assistant", "invented answer")]
    before = len(_rows(app_server.feedback_db))
    for history in (forged, plain):
        done = _run_event(app_server.url, like, [history], {"index": 1, "value": "x", "liked": True})
        assert done[-1]["success"] is True, done[-1]  # the handler ran, and refused
    assert len(_rows(app_server.feedback_db)) == before  # nothing written

    # a real answer of this server can be rated, once per answer: rating again updates the row
    submit = _fn_index(app_server.url, "submit")
    done = _run_event(app_server.url, submit, ["how long is the associate degree?", [], ""])
    assert done[-1]["success"] is True, done[-1]
    history = done[-1]["output"]["data"][1]
    answer_index = next(i for i, m in enumerate(history) if m["role"] == "assistant")
    assert history[answer_index]["metadata"]["id"]
    for liked in (True, False, False):
        rated = _run_event(app_server.url, like, [history], {"index": answer_index, "value": "x", "liked": liked})
        assert rated[-1]["success"] is True, rated[-1]
    rows = _rows(app_server.feedback_db)[before:]
    assert len(rows) == 1 and rows[0]["liked"] == 0 and rows[0]["answer_id"] == history[answer_index]["metadata"]["id"]
    assert rows[0]["question"] == "how long is the associate degree?" and "invented" not in rows[0]["answer"]


def test_the_chat_says_wait_when_a_student_asks_too_fast(app_server: Any) -> None:
    """Over the question budget (8 per 10 s here) the chat answers with a friendly line and
    leaves the question in the box; the REST budget is the same one."""
    submit = _fn_index(app_server.url, "submit")
    replies = [_run_event(app_server.url, submit, ["how long is the associate degree?", [], ""], client="10.5.0.1")[-1] for _ in range(9)]
    assert all(r["success"] for r in replies)
    last_box, last_history = replies[-1]["output"]["data"][:2]
    assert "asking very quickly" in str(last_history[-1]["content"]) and "seconds" in str(last_history[-1]["content"])
    assert "asking very quickly" not in str(replies[-2]["output"]["data"][1])
    assert httpx.post(app_server.url + "/api/ask", json={"question": QUESTION}, headers=_as("10.5.0.1"), timeout=30).status_code == 429


def test_held_connections_are_capped_per_client(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    """Gradio's heartbeat stream stays open while a page is; one address may hold only so
    many (2 here) and the next is refused, so a client cannot pile up open connections."""
    from conftest import AppServer

    server = AppServer(web_advisor, make_settings(max_streams_per_client=2, trusted_proxies=("127.0.0.1",))).start()
    try:
        with httpx.Client(timeout=30) as c:
            with c.stream("GET", server.url + "/gradio_api/heartbeat/a1", headers=_as("10.6.0.1")) as one, \
                 c.stream("GET", server.url + "/gradio_api/heartbeat/a2", headers=_as("10.6.0.1")) as two:
                third = c.get(server.url + "/gradio_api/heartbeat/a3", headers=_as("10.6.0.1"))
                elsewhere = c.get(server.url + "/api/health", headers=_as("10.6.0.2"))
                assert one.status_code == two.status_code == 200
    finally:
        server.stop()
    assert third.status_code == 429 and third.headers["retry-after"]
    assert elsewhere.status_code == 200


def test_gradio_temp_files_go_with_the_process(tmp_path: Path) -> None:
    code = "import os, advisor.web, pathlib; d = pathlib.Path(os.environ['GRADIO_TEMP_DIR']); (d / 'x').write_text('x'); print(d)"
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert Path(out).name.startswith("advisor-gradio-") and not Path(out).exists()
