"""Every quote checkable: the profile pages at /profiles/<career> (advisor/web/profiles.py),
the citation's title and URL in the API record, and ratings by server-issued answer id
and signed token (advisor/web/feedback.py, POST /api/feedback). In process, with the
deterministic fake embedder: no model, no browser (tests/web/test_web_a11y.py drives the
same pages in Chromium)."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from advisor import Advisor, Settings
from advisor.records.store import RecordsStore
from advisor.web.feedback import KEY_ENV, Ratings, answer_key
from advisor.web.profiles import SCRIPT, render_profile

REPO = Path(__file__).resolve().parents[2]
HOSTILE = (
    "Hostile <script>alert(1)</script> Career\n"
    "About <img src=x onerror=alert(2)>\n"
    "The work pays & is **fun** [x](javascript:alert(3)). It is hard work for a long time every day.\n"
    "More Facts\n"
    "- One bullet with <b>tags</b> stays text.\n"
    "- Another bullet line.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus (text, Markdown), a web page, and a profile full of markup."""
    folder = tmp_path_factory.mktemp("profiles") / "corpus"
    shutil.copytree(REPO / "tests" / "data" / "corpus", folder)
    shutil.copy(REPO / "tests" / "data" / "pages" / "electrician.html", folder)
    (folder / "hostile.txt").write_text(HOSTILE, "utf-8")
    return folder


@pytest.fixture(scope="module")
def advisor(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Advisor:
    return Advisor.load(Settings(corpus_dir=corpus, data_dir=tmp_path_factory.mktemp("profiles-data"), model="fake"))


def settings_for(advisor: Advisor, data: Path, **more: Any) -> Settings:
    return Settings(corpus_dir=advisor.settings.corpus_dir, data_dir=data, model="fake", rate_limit="off", rate_limit_requests="off", **more)


@pytest.fixture(scope="module")
def client(advisor: Advisor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from advisor.web.server import build_api_app

    with TestClient(build_api_app(advisor, settings_for(advisor, tmp_path_factory.mktemp("profiles-app")))) as c:
        yield c


class _Page(HTMLParser):
    """The parts of a profile page a test reads: lines (data-line → text), headings, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, str] = {}
        self.ids: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self._stack: list[tuple[str, int | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        line = int(a["data-line"]) if a.get("data-line") else None
        self._stack.append((tag, line))
        if line is not None:
            self.lines.setdefault(line, "")
            if tag[0] == "h" and tag[1:].isdigit():
                self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        open_lines = [n for _, n in self._stack if n is not None]
        if open_lines:
            n = open_lines[-1]
            self.lines[n] = (self.lines[n] + data) if self.lines[n] else data
            if self.headings and self._stack[-2:] and any(t[0] == "h" and t[1:].isdigit() for t, m in self._stack if m == n):
                tag, text = self.headings[-1]
                self.headings[-1] = (tag, text + data)
        if self._stack and self._stack[-1][0] == "script":
            self.scripts.append(data)


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


# --------------------------------------------------------------------------------------
# the record: each citation names its career's title and the page of its quote
def test_every_citation_has_the_careers_title_and_the_url_of_its_lines(client: TestClient) -> None:
    rec = client.post("/api/ask", json={"question": "what do dental assistants do every day?"}).json()
    assert rec["citations"], rec
    for c in rec["citations"]:
        assert c["title"] == "Dental Assistant" and c["doc"] == "dental-assistant"
        assert c["url"] == f"/profiles/dental-assistant#L{c['lines'][0]}-L{c['lines'][1]}"
    assert rec["rating_token"] and rec["answer_id"] and rec["confidence_label"] in ("from the profile", "closest match")


def test_each_quote_is_the_text_of_the_lines_its_url_names(client: TestClient, advisor: Advisor) -> None:
    for question in ("what do dental assistants do every day?", "where do pharmacy technicians work?", "what does an electrician earn?"):
        rec = client.post("/api/ask", json={"question": question}).json()
        for c in rec["citations"]:
            path, fragment = c["url"].split("#")
            page = client.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            a, b = (int(x) for x in re.fullmatch(r"L(\d+)-L(\d+)", fragment).groups())  # type: ignore[union-attr]
            lines = parse(page.text).lines
            shown = "\n".join(lines[n] for n in sorted(lines) if a <= n <= b)
            for piece in c["text"].split("\n"):  # each quoted line stands, verbatim, in the lines named
                assert piece.strip() in shown, (c["url"], piece, shown)


# --------------------------------------------------------------------------------------
# the page
def test_the_page_shows_the_title_sections_and_numbered_lines(client: TestClient, advisor: Advisor) -> None:
    page = client.get("/profiles/pharmacy-tech")
    p = parse(page.text)
    assert "<h1 data-testid=\"profile-title\">Pharmacy Technician</h1>" in page.text
    headings = [(t, x.strip()) for t, x in p.headings]
    assert ("h2", "What They Do") in headings and ("h2", "Becoming a Pharmacy Technician") in headings and ("h3", "Certification") in headings
    doc = advisor.index.documents["pharmacy-tech"]
    text_lines = doc.text.split("\n")
    for n, shown in p.lines.items():  # every line on the page is a line of the text the advisor indexed, at its number
        assert shown == text_lines[n - 1], (n, shown)
    assert len(p.ids) == len(set(p.ids))  # ids are unique
    assert 'href="#L5"' in page.text  # the sections' table of contents


def test_a_web_page_profile_numbers_its_lines_as_the_file_does(client: TestClient, advisor: Advisor) -> None:
    doc = advisor.index.documents["electrician"]
    assert doc.source_lines is not None
    p = parse(client.get("/profiles/electrician").text)
    assert set(p.lines) <= set(doc.source_lines)  # the file's lines, not the text's
    raw = (advisor.settings.corpus_dir / "electrician.html").read_text("utf-8").split("\n")
    assert "Most electricians train through an apprenticeship" in raw[min(n for n, t in p.lines.items() if "apprenticeship" in t) - 1]
    assert len(p.ids) == len(set(p.ids))  # three list items on one line of the file: one id


def test_all_text_is_escaped_and_the_only_script_is_the_pages_own(client: TestClient) -> None:
    page = client.get("/profiles/hostile")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    p = parse(html)
    assert p.tags.count("script") == 1 and p.scripts == [SCRIPT]
    csp = page.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp  # that one script, and nothing loaded from elsewhere
    assert "**fun** [x](javascript:alert(3))" in p.lines[3]  # Markdown stays text


def test_render_profile_is_the_text_the_advisor_read_not_the_file_now(advisor: Advisor, corpus: Path) -> None:
    doc = advisor.index.documents["hostile"]
    before = render_profile(doc, advisor.index.chunks)
    (corpus / "hostile.txt").write_text("Changed since\n", "utf-8")
    try:
        assert render_profile(doc, advisor.index.chunks) == before  # from the index, never from the file
    finally:
        (corpus / "hostile.txt").write_text(HOSTILE, "utf-8")


@pytest.mark.parametrize("career", ["no-such-career", "dental-assistan", "%2e%2e%2fsettings.py", "a\\b", "%00"])
def test_an_unknown_career_is_a_404_page_that_offers_the_close_ones(client: TestClient, career: str) -> None:
    r = client.get(f"/profiles/{career}")
    assert r.status_code == 404 and "<script" not in r.text and "corpus_dir" not in r.text
    if "%2f" not in career:  # (an encoded slash is another path: no profile route at all)
        assert r.headers["content-type"].startswith("text/html") and "No such profile" in r.text
    if career == "dental-assistan":
        assert 'href="/profiles/dental-assistant"' in r.text


def test_the_index_lists_every_profile(client: TestClient, advisor: Advisor) -> None:
    r = client.get("/profiles/")
    for doc_id in advisor.index.documents:
        assert f'href="/profiles/{doc_id}"' in r.text
    assert client.get("/profiles").status_code == 200


# --------------------------------------------------------------------------------------
# ratings: by server-issued id and token, stored from the server's own record
def _ask(client: TestClient, question: str = "what do dental assistants do every day?") -> dict[str, Any]:
    return dict(client.post("/api/ask", json={"question": question}).json())


def _ratings(client: TestClient) -> list[dict[str, Any]]:
    store: RecordsStore = client.app.state.records  # type: ignore[attr-defined]
    return store.ratings()


def test_a_rating_stores_the_servers_record_and_rating_again_changes_it(client: TestClient) -> None:
    rec = _ask(client)
    before = len(_ratings(client))
    up = client.post("/api/feedback", json={"answer_id": rec["answer_id"], "token": rec["rating_token"], "liked": True})
    assert up.status_code == 200 and up.json()["saved"] is True
    down = client.post("/api/feedback", json={"answer_id": rec["answer_id"], "token": rec["rating_token"], "liked": False})
    assert down.status_code == 200
    rows = _ratings(client)[before:]
    assert len(rows) == 1 and rows[0]["liked"] is False and rows[0]["answer_id"] == rec["answer_id"]
    assert rows[0]["question"] == rec["question"] and rows[0]["answer"] == rec["answer"]
    assert rows[0]["citations"] and all(c.startswith("dental-assistant:") for c in rows[0]["citations"])


def test_forged_altered_or_borrowed_tokens_write_nothing(client: TestClient) -> None:
    rec, other = _ask(client), _ask(client, "where do pharmacy technicians work?")
    payload, mac = rec["rating_token"].split(".")
    forged = base64.urlsafe_b64encode(b"x" * 40).decode().rstrip("=")
    tries = [
        {"answer_id": "made-up", "token": "made.up"},
        {"answer_id": rec["answer_id"], "token": other["rating_token"]},  # another answer's token
        {"answer_id": rec["answer_id"], "token": f"{forged}.{mac}"},  # another payload under its signature
        {"answer_id": rec["answer_id"], "token": f"{payload}.{mac[:-2]}AA"},  # a changed signature
        {"answer_id": rec["answer_id"], "token": payload},  # no signature
    ]
    before = len(_ratings(client))
    for body in tries:
        r = client.post("/api/feedback", json={**body, "liked": True})
        assert r.status_code == 404 and r.json()["saved"] is False, body
    assert len(_ratings(client)) == before
    assert client.post("/api/feedback", json={"answer_id": rec["answer_id"], "token": "x" * 31000, "liked": True}).status_code == 422


def test_another_process_on_the_same_data_folder_accepts_the_token(advisor: Advisor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer workers share the key file in the data folder (or ADVISOR_ANSWER_KEY): a rating
    reaches any of them; a server with another key refuses it."""
    from advisor.web.server import build_api_app

    monkeypatch.delenv(KEY_ENV, raising=False)
    data = tmp_path / "data"
    with TestClient(build_api_app(advisor, settings_for(advisor, data))) as one:
        rec = _ask(one)
    with TestClient(build_api_app(advisor, settings_for(advisor, data))) as two:  # a second worker: its own process, the same folder
        assert two.post("/api/feedback", json={"answer_id": rec["answer_id"], "token": rec["rating_token"], "liked": True}).status_code == 200
    assert (data / "answer-key").stat().st_mode & 0o777 == 0o600
    with TestClient(build_api_app(advisor, settings_for(advisor, tmp_path / "elsewhere"))) as stranger:
        assert stranger.post("/api/feedback", json={"answer_id": rec["answer_id"], "token": rec["rating_token"], "liked": True}).status_code == 404
    monkeypatch.setenv(KEY_ENV, "a key several machines share")
    assert answer_key(settings_for(advisor, tmp_path / "a")) == answer_key(settings_for(advisor, tmp_path / "b"))


def test_a_token_names_exactly_its_answer(advisor: Advisor) -> None:
    ratings = Ratings(b"k" * 32)
    answer = advisor.ask("what do dental assistants do every day?")
    answer_id, token = ratings.issue(answer)
    rated = ratings.open(answer_id, token)
    assert rated is not None and (rated.question, rated.answer) == (answer.question, answer.text)
    assert Ratings(b"j" * 32).open(answer_id, token) is None
