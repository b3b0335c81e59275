"""The FastAPI app from build_app, in process (TestClient): REST, headers, CORS, the Gradio
API surface and the upload limit. Real model, real corpus; no server is started."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.model

SCHOOL = "https://school.example"
EVIL = "https://evil.example"
BATCH_KEYS = {"question", "answer", "abstained", "confidence", "citations", "passages"}
CITATION_KEYS = {"n", "doc", "title", "section", "lines", "text", "url"}


@pytest.fixture(scope="module")
def client(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[TestClient]:
    from app import build_app

    with TestClient(build_app(web_advisor, make_settings())) as c:
        yield c


@pytest.fixture(scope="module")
def school_client(web_advisor: Any, make_settings: Callable[..., Any]) -> Iterator[TestClient]:
    from app import build_app

    with TestClient(build_app(web_advisor, make_settings(allowed_origins=(SCHOOL,)))) as c:
        yield c


@pytest.fixture(scope="module")
def corpus_text(web_advisor: Any) -> dict[str, str]:
    return {d: doc.text for d, doc in web_advisor.index.documents.items()}


# --------------------------------------------------------------------------------------
# POST /api/ask
def test_ask_returns_the_batch_record(client: TestClient, corpus_text: dict[str, str]) -> None:
    r = client.post("/api/ask", json={"question": "how long is the associate degree program?"})
    assert r.status_code == 200
    rec = r.json()
    assert BATCH_KEYS <= rec.keys()
    assert "id" not in rec
    assert rec["question"] == "how long is the associate degree program?"
    assert rec["abstained"] is False and rec["kind"] == "answer"
    assert "[1]" in rec["answer"] and "18 to 24 months" in rec["answer"]
    assert 0.0 < rec["confidence"] <= 1.0
    assert 1 <= len(rec["passages"]) <= 10
    assert rec["citations"], rec
    for c in rec["citations"]:
        assert set(c) == CITATION_KEYS
        assert isinstance(c["n"], int) and f"[{c['n']}]" in rec["answer"]
        assert len(c["lines"]) == 2 and c["lines"][0] <= c["lines"][1]
        assert c["text"] in corpus_text[c["doc"]]  # quoted verbatim
        assert c["title"] == "Imaging Technologist" and c["url"] == f"/profiles/{c['doc']}#L{c['lines'][0]}-L{c['lines'][1]}"


def test_ask_echoes_id(client: TestClient) -> None:
    rec = client.post("/api/ask", json={"question": "what is the stress level?", "id": "q-17"}).json()
    assert rec["id"] == "q-17"
    assert "Stress Level: Moderate [1]" in rec["answer"]


def test_follow_up_uses_history(client: TestClient) -> None:
    alone = client.post("/api/ask", json={"question": "and the bachelor's?"}).json()
    rec = client.post("/api/ask", json={"question": "and the bachelor's?", "history": ["how long is the associate degree?"]}).json()
    assert rec["abstained"] is False
    assert "four-year bachelor's programs" in rec["answer"]  # how long: from the earlier question
    assert "four-year" not in alone["answer"] and "how long" not in alone["resolved_question"]


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_polite_invalid_record(client: TestClient, question: str) -> None:
    r = client.post("/api/ask", json={"question": question})
    assert r.status_code == 200
    rec = r.json()
    assert rec["kind"] == "invalid" and rec["abstained"] is True and rec["citations"] == []
    assert rec["answer"].startswith("Please type a question")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"question": 42}',
        b'{"question": ["a"]}',
        b"{}",
        b'{"question": "ok", "history": "not a list"}',
        b'{"question": "ok", "history": [1, 2]}',
    ],
)
def test_bad_bodies_are_422(client: TestClient, body: bytes) -> None:
    r = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text


def test_overlong_history_item_is_422(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "ok", "history": ["x" * 2001]})
    assert r.status_code == 422


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["documents"] == 1 and h["units"] > 0
    assert h["model"] == "all-MiniLM-L6-v2"


def test_starters_are_student_questions_the_profile_answers(client: TestClient) -> None:
    body = client.get("/api/starters").json()
    assert body["intro"] == "Ask about Imaging Technologists" and body["career"] is None
    questions = body["questions"]
    assert len(questions) == 4 and len(set(questions)) == 4
    for q in questions:
        assert q.endswith("?") and "profile" not in q.lower(), q
        rec = client.post("/api/ask", json={"question": q}).json()
        assert rec["kind"] == "answer" and rec["citations"], (q, rec["reason"])


def test_careers_and_a_pinned_career(client: TestClient) -> None:
    assert client.get("/api/careers").json() == {"careers": [{"id": "imaging-technologist", "title": "Imaging Technologist"}]}
    body = client.get("/api/starters", params={"career": "imaging-technologist"}).json()
    assert body["career"] == "imaging-technologist" and len(body["questions"]) == 4
    rec = client.post("/api/ask", json={"question": "how long is the associate degree?", "career": "imaging-technologist"}).json()
    assert rec["career"] == "imaging-technologist" and rec["career_title"] == "Imaging Technologist"


@pytest.mark.parametrize("path", ["/api/ask", "/api/starters"])
def test_an_unknown_career_is_a_404_naming_the_close_ones(client: TestClient, path: str) -> None:
    if path == "/api/ask":
        r = client.post(path, json={"question": "how long is school?", "career": "imaging-technologst"})
    else:
        r = client.get(path, params={"career": "imaging-technologst"})
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "imaging-technologst" in detail and "Did you mean: imaging-technologist" in detail


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "post" in spec["paths"]["/api/ask"]
    assert "/api/health" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in docs.text.lower() and "/api/openapi.json" in docs.text


def test_embed_js_is_javascript(client: TestClient) -> None:
    r = client.get("/embed.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in r.text and "/api/ask" in r.text


# --------------------------------------------------------------------------------------
# headers on every response
@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/", None),
        ("GET", "/config", None),
        ("GET", "/gradio_api/info", None),
        ("GET", "/api/health", None),
        ("GET", "/api/openapi.json", None),
        ("GET", "/api/docs", None),
        ("GET", "/embed.js", None),
        ("GET", "/no/such/page", None),
        ("POST", "/api/ask", {"question": "what is the stress level?"}),
        ("POST", "/api/ask", {"question": 42}),
    ],
)
def test_every_response_has_the_security_headers(client: TestClient, method: str, path: str, body: Any) -> None:
    r = client.request(method, path, json=body)
    csp = r.headers.get("content-security-policy", "")
    assert "img-src 'self' data: blob:" in csp, (r.status_code, dict(r.headers))
    assert "frame-ancestors 'self'" in csp
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_allowed_origins_may_frame_the_chat(school_client: TestClient) -> None:
    csp = school_client.get("/").headers["content-security-policy"]
    assert f"frame-ancestors 'self' {SCHOOL}" in csp.split(";")[-1]


# --------------------------------------------------------------------------------------
# CORS
@pytest.mark.parametrize("path", ["/api/health", "/api/starters", "/config", "/gradio_api/info", "/embed.js"])
def test_default_settings_allow_no_other_origin(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Origin": EVIL})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-credentials" not in r.headers


def test_default_settings_ask_from_other_origin_gets_no_cors(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "what is the stress level?"}, headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in r.headers
    pre = _preflight(client, "/api/ask", EVIL)
    assert pre.status_code >= 400 and "access-control-allow-origin" not in pre.headers


def _preflight(c: TestClient, path: str, origin: str) -> Any:
    return c.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})


def test_preflight_from_allowed_origin(school_client: TestClient) -> None:
    r = _preflight(school_client, "/api/ask", SCHOOL)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == SCHOOL
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers
    post = school_client.post("/api/ask", json={"question": "what is the stress level?"}, headers={"Origin": SCHOOL})
    assert post.status_code == 200 and post.headers["access-control-allow-origin"] == SCHOOL


@pytest.mark.parametrize("origin", [EVIL, "http://school.example", "https://school.example.evil.example", "null"])
def test_preflight_from_other_origin_refused(school_client: TestClient, origin: str) -> None:
    r = _preflight(school_client, "/api/ask", origin)
    assert r.status_code >= 400
    assert "access-control-allow-origin" not in r.headers
    post = school_client.post("/api/ask", json={"question": "what is the stress level?"}, headers={"Origin": origin})
    assert "access-control-allow-origin" not in post.headers


# --------------------------------------------------------------------------------------
# the Gradio side
def test_gradio_api_lists_chat_and_no_feedback_endpoint(client: TestClient) -> None:
    info = client.get("/gradio_api/info").json()
    assert list(info["named_endpoints"]) == ["/chat"]
    assert not info["unnamed_endpoints"]
    params = [p["parameter_name"] for p in info["named_endpoints"]["/chat"]["parameters"]]
    assert params == ["question", "history", "career"]
    listed = str(info).lower()
    assert "like" not in listed.replace("likely", "") and "feedback" not in listed


def test_like_handler_is_private_in_the_config(client: TestClient) -> None:
    deps = client.get("/config").json()["dependencies"]
    likes = [d for d in deps if any(t[1] == "like" for t in d.get("targets", []))]
    assert len(likes) == 1 and likes[0]["api_visibility"] == "private"
    public = [d["api_name"] for d in deps if d.get("api_visibility") == "public"]
    assert public == ["chat"]
