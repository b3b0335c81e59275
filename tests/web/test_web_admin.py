"""/admin: the counselors' report behind ADVISOR_ADMIN_PASSWORD (HTTP Basic). No password set
means no page; a wrong password is refused and logged (without it) and limited per client;
student text is only ever escaped; and no admin data is reachable without the password —
not through /admin, nor through Gradio's API, config or queue. In process (TestClient) and
in Chromium against a served app."""

from __future__ import annotations

import base64
import html
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

pytestmark = pytest.mark.model

PASSWORD = "counselor-secret-42"
MARKER = "zebracorn marmalade tariffs?"  # a question no profile covers: it lands among the unanswered
XSS = ["<script>window.__pwned=1</script> how do zebracorns work?", '<img src=x onerror="window.__pwned=2"> zebracorn lessons?']
REPORT_WORDS = ("What students asked", "grouped by meaning", "zebracorn")


def basic(password: str, user: str = "counselor") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def admin(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[TestClient]:
    """The REST app (what answer workers run; /admin lives in every process) with a password,
    after a few questions: an answered one, an unanswered marker, two hostile ones."""
    from advisor.web.server import build_api_app

    with TestClient(build_api_app(web_advisor, make_settings(admin_password=PASSWORD))) as c:
        for q in ["how long is the associate degree program?", MARKER, *XSS]:
            assert c.post("/api/ask", json={"question": q}).status_code == 200
        assert c.app.state.records.flush(10)
        yield c


def test_without_a_password_there_is_no_admin_page(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    from app import build_app

    with TestClient(build_app(web_advisor, make_settings())) as c:
        c.post("/api/ask", json={"question": MARKER})
        for path in ("/admin", "/admin/", "/admin/report.csv", "/admin/anything"):
            for headers in ({}, basic(""), basic(PASSWORD)):
                r = c.get(path, headers=headers)
                assert r.status_code == 404, (path, r.status_code)
                assert not any(w in r.text for w in REPORT_WORDS)


def test_the_report_needs_the_password(admin: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    none = admin.get("/admin")
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Basic ") and none.headers["cache-control"] == "no-store"
    with caplog.at_level(logging.WARNING, logger="advisor.web.admin"):
        wrong = admin.get("/admin", headers=basic("not-the-password"))
    assert wrong.status_code == 401 and wrong.headers["cache-control"] == "no-store"
    assert not any(w in none.text + wrong.text for w in REPORT_WORDS)
    lines = [r.getMessage() for r in caplog.records if r.name == "advisor.web.admin"]
    assert len(lines) == 1 and "wrong password" in lines[0] and "testclient" in lines[0] and "not-the-password" not in caplog.text

    page = admin.get("/admin", headers=basic(PASSWORD))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "What students asked" in page.text and html.escape(MARKER) in page.text and "Not answered, grouped by meaning" in page.text
    assert admin.get("/admin/", headers=basic(PASSWORD, user="anyone")).status_code == 200  # any user name
    assert admin.get("/admin?since=next tuesday", headers=basic(PASSWORD)).status_code == 422


def test_student_text_is_escaped_on_the_admin_page(admin: TestClient) -> None:
    page = admin.get("/admin", headers=basic(PASSWORD)).text
    assert "<script" not in page.lower() and "<img" not in page.lower()
    for q in XSS:
        assert html.escape(q, quote=True) in page


def test_the_csv_download(admin: TestClient) -> None:
    assert admin.get("/admin/report.csv").status_code == 401
    r = admin.get("/admin/report.csv?since=all", headers=basic(PASSWORD))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["cache-control"] == "no-store" and r.headers["content-disposition"].startswith("attachment;")
    assert MARKER in r.text and r.text.count("\n") == 5  # a header and one row per question


def test_wrong_passwords_are_limited_per_client(web_advisor: Any, make_settings: Callable[..., Any]) -> None:
    from advisor.web.server import build_api_app

    with TestClient(build_api_app(web_advisor, make_settings(admin_password=PASSWORD))) as c:
        assert [c.get("/admin", headers=basic(f"guess-{i}")).status_code for i in range(10)] == [401] * 10
        blocked = c.get("/admin", headers=basic(PASSWORD))  # even the right one, until the minute has passed
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert "What students asked" not in blocked.text
        assert c.get("/api/health").status_code == 200  # the rest of the app is not affected


# --------------------------------------------------------------------------------------
# a served app, in Chromium and over HTTP
@pytest.fixture(scope="module")
def served(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[Any]:
    from conftest import AppServer

    # behind a "proxy" (this machine), so the sweep can come from its own address
    server = AppServer(web_advisor, make_settings(admin_password=PASSWORD, trusted_proxies=("127.0.0.1",))).start()
    for q in ["what is the stress level?", MARKER, *XSS]:
        assert httpx.post(server.url + "/api/ask", json={"question": q}, timeout=30).status_code == 200
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.server
def test_a_counselor_reads_the_report_in_the_browser(new_page: Callable[..., Any], served: Any, wait_until: Callable[..., Any]) -> None:
    page = new_page(http_credentials={"username": "counselor", "password": PASSWORD}, accept_downloads=True)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    wait_until(lambda: MARKER in httpx.get(served.url + "/admin", headers=basic(PASSWORD), timeout=30).text, 15, "the questions in the log")
    response = page.goto(served.url + "/admin")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="What students asked")).to_be_visible()
    expect(page.get_by_test_id("summary")).to_contain_text("questions")
    unanswered = page.get_by_test_id("unanswered")
    expect(unanswered).to_contain_text(MARKER)
    expect(unanswered).to_contain_text(XSS[0])  # shown as text
    expect(page.get_by_test_id("topics")).to_contain_text("imaging-technologist")
    assert page.evaluate("typeof window.__pwned") == "undefined" and dialogs == []
    with page.expect_download() as download:
        page.get_by_test_id("csv").click()
    assert MARKER in open(download.value.path(), encoding="utf-8-sig").read()
    page.select_option("select[name=since]", "all")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(served.url + "/admin?since=all")
    expect(unanswered).to_contain_text(MARKER)


@pytest.mark.browser
@pytest.mark.server
def test_a_wrong_password_is_refused_in_the_browser(new_page: Callable[..., Any], served: Any) -> None:
    page = new_page(http_credentials={"username": "counselor", "password": "wrong-password"})
    response = page.goto(served.url + "/admin")
    assert response is not None and response.status == 401
    assert not any(w in page.content() for w in REPORT_WORDS)


SWEEPER = {"X-Forwarded-For": "10.9.0.1"}


def _events(url: str, fn_index: int, data: list[Any]) -> str:
    """Join Gradio's queue with any fn_index and read the whole event stream (as text)."""
    session = f"sweep{time.time_ns()}"
    join = httpx.post(url + "/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                            "event_data": None, "trigger_id": None}, headers=SWEEPER, timeout=30)
    text = join.text
    if join.status_code != 200:
        return text
    with httpx.stream("GET", url + "/gradio_api/queue/data", params={"session_hash": session}, headers=SWEEPER, timeout=30) as r:
        for line in r.iter_lines():
            text += line + "\n"
            if line.startswith("data:") and json.loads(line[5:]).get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                break
    return text


@pytest.mark.server
def test_no_admin_data_is_reachable_without_the_password(served: Any) -> None:
    seen: list[tuple[str, int, str]] = []
    with httpx.Client(timeout=30, headers=SWEEPER) as c:
        for path in ("/admin", "/admin/", "/admin/report.csv", "/admin/report.csv?since=all", "/admin?since=all", "/admin/../admin",
                     "/admin/x", "/ADMIN", "/admin.csv", "/gradio_api/admin", "/api/admin"):
            for method in ("GET", "POST", "HEAD", "PUT", "DELETE"):
                for headers in ({}, basic("wrong-password"), {"Authorization": "Bearer " + PASSWORD}):
                    r = c.request(method, served.url + path, headers=headers)
                    seen.append((f"{method} {path}", r.status_code, r.text))
                    assert r.status_code in (401, 404, 405, 429), (method, path, r.status_code)
        config = c.get(served.url + "/config")
        seen += [("GET /config", config.status_code, config.text)]
        for path in ("/gradio_api/info", "/info", "/", "/gradio_api/config", "/gradio_api/startup-events", "/theme.css"):
            r = c.get(served.url + path)
            seen.append((f"GET {path}", r.status_code, r.text))
    deps = config.json()["dependencies"]
    for fn_index in [*range(len(deps)), len(deps), 99, -1]:
        for data in ([], ["how long is school?", [], ""], [None, None, None]):
            seen.append((f"queue fn_index={fn_index}", 0, _events(served.url, fn_index, data)))
    leaks = [(what, status) for what, status, text in seen if any(w in text for w in (*REPORT_WORDS, MARKER, "onerror"))]
    assert leaks == []
    # the sweep's wrong passwords locked its address out; another address, with the password, reads the report
    assert httpx.get(served.url + "/admin", headers={**basic(PASSWORD), **SWEEPER}, timeout=30).status_code == 429
    assert MARKER in httpx.get(served.url + "/admin", headers={**basic(PASSWORD), "X-Forwarded-For": "10.9.0.2"}, timeout=30).text
