"""REST beside the chat: POST /api/ask, POST /api/feedback, GET /api/careers, /api/starters,
/api/health; the chat page at /, the embeddable widget at /embed.js, and the profile pages
at /profiles/<career> that citations link to."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from advisor.errors import CareerError
from advisor.records.store import QuestionRecord, RecordsStore
from advisor.settings import Settings
from advisor.web.chatpage import chat_page
from advisor.web.feedback import MAX_TOKEN_CHARS, Ratings, answer_key
from advisor.web.middleware.headers import security_headers
from advisor.web.profiles import CSP as PROFILE_CSP
from advisor.web.profiles import render_index, render_missing, render_profile, safe_career

STATIC = Path(__file__).resolve().parent / "static"
MAX_TEXT_CHARS = 2000  # a question or earlier question longer than this is refused, not read
MAX_HISTORY = 20  # earlier questions sent with one question


class AskRequest(BaseModel):
    question: str = Field(..., max_length=MAX_TEXT_CHARS, description="The student's question (the first 500 characters are read)")
    history: list[Annotated[str, Field(max_length=MAX_TEXT_CHARS)]] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="Earlier user questions, oldest first"
    )
    career: str | None = Field(None, max_length=200, description="Answer from this career only (an id from GET /api/careers)")
    id: str | None = Field(None, max_length=200, description="Echoed back, as in the batch contract")


class RatingRequest(BaseModel):
    answer_id: str = Field(..., max_length=200, description="The `answer_id` of an answer of POST /api/ask")
    token: str = Field(..., max_length=MAX_TOKEN_CHARS, description="Its `rating_token`, as it came")
    liked: bool = Field(..., description="true: helpful (thumbs up); false: not helpful")


def api_router(advisor: Any, settings: Settings, records: RecordsStore | None = None) -> APIRouter:
    """The REST routes; each question answered is logged to `records` (off the answer path)."""
    router = APIRouter()
    manifest = advisor.index.manifest
    ratings = Ratings(answer_key(settings))
    page_csp = security_headers(settings)["Content-Security-Policy"].replace("script-src 'self' 'unsafe-inline'", "script-src 'self'")

    def resolve(career: str | None) -> str | None:
        """A career id (or None); an unknown one is a 404 naming the closest ids."""
        if career is None or not career.strip():
            return None
        try:
            return str(advisor.careers.resolve(career))
        except CareerError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @router.post("/api/ask", summary="Ask one question",
                 response_description="The batch output record, with `latency_ms` (time in the advisor), `answer_id` (this answer's id), "
                                      "`rating_token` (what POST /api/feedback needs to rate it) and `confidence_label`; each citation "
                                      "has the career's `title` and a `url` (relative to this server) of the quoted lines in their profile")
    def ask(req: AskRequest, x_advisor_channel: Annotated[str | None, Header(include_in_schema=False)] = None) -> dict[str, Any]:
        career = resolve(req.career)
        t0 = time.perf_counter()
        answer = advisor.ask(req.question, history=req.history, career=career)
        latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        answer_id, token = ratings.issue(answer)
        channel = "chat" if x_advisor_channel == "chat" else "api"  # the chat page says so; the widget and programs are "api"
        if records is not None and req.question.strip():
            records.log(QuestionRecord.of(answer, channel=channel, answer_id=answer_id, latency_ms=latency_ms, question=req.question))
        record = {**answer.to_dict(), "latency_ms": latency_ms, "answer_id": answer_id, "rating_token": token,
                  "confidence_label": answer.confidence_label}
        return {"id": req.id, **record} if req.id is not None else record

    @router.post("/api/feedback", summary="Rate an answer (thumbs up or down)",
                 response_description="`saved`: true. 404 when the id and token are not an answer this server gave; 503 when ratings cannot be kept now")
    def feedback(req: RatingRequest) -> JSONResponse:
        """Rate an answer of POST /api/ask by its `answer_id` and `rating_token`: what is
        stored is the server's own record of that answer. Rating again changes the rating."""
        if records is None:
            return JSONResponse({"saved": False, "detail": "Ratings are not kept by this server."}, status_code=503)
        done = ratings.rate(records, req.answer_id, req.token, req.liked)
        if done == "unknown":
            return JSONResponse({"saved": False, "detail": "No answer of this server has that id and token."}, status_code=404)
        if done == "unavailable":
            return JSONResponse({"saved": False, "detail": "Ratings cannot be saved right now."}, status_code=503)
        return JSONResponse({"saved": True, "answer_id": req.answer_id, "liked": req.liked})

    @router.get("/api/careers", summary="The careers the advisor answers about")
    def careers() -> dict[str, Any]:
        return {"careers": advisor.careers.listing()}

    @router.get("/api/health", summary="Liveness and index facts")
    def health(request: Request) -> dict[str, Any]:
        store = getattr(request.app.state, "records", None)
        return {
            "status": "ok",
            "records": store.status if store is not None else "not kept here",  # the question log and the ratings
            "feedback": store.status if store is not None else "not kept here",  # the same store (the older name)
            "limits": request.app.state.limits.health() if hasattr(request.app.state, "limits") else None,  # shared (Redis) or per process
            "documents": manifest["counts"]["documents"],
            "careers": len(advisor.careers),
            "units": manifest["counts"]["units"],
            "model": manifest["model"]["name"],
            "index_built_at": manifest.get("built_at"),
        }

    @router.get("/api/starters", summary="Questions to start a conversation with")
    def starters(career: str | None = Query(None, max_length=200, description="A career id: its starter questions")) -> dict[str, Any]:
        cid = resolve(career)
        return {"questions": advisor.starter_questions(4, cid), "career": cid, "intro": advisor.career_intro(cid)}

    @router.get("/embed.js", include_in_schema=False)
    def embed_js(request: Request) -> Response:
        js = (STATIC / "embed.js").read_text("utf-8")
        return Response(js, media_type="application/javascript", headers={"Cache-Control": "public, max-age=300"})

    @router.get("/", include_in_schema=False)
    def page() -> HTMLResponse:
        """The chat page: the chat component of /embed.js, filling the screen."""
        career = resolve(settings.career) if settings.career else None
        return HTMLResponse(chat_page(settings.title, settings.intro, career), headers={"Content-Security-Policy": page_csp})

    @router.get("/profiles", include_in_schema=False)
    @router.get("/profiles/", include_in_schema=False)
    def profiles() -> HTMLResponse:
        return HTMLResponse(render_index(advisor.index.documents.values()), headers={"Content-Security-Policy": PROFILE_CSP})

    @router.get("/profiles/{career}", summary="A profile as the advisor read it (an HTML page; #L22-L24 highlights lines 22 to 24)")
    def profile(career: str) -> HTMLResponse:
        index = advisor.index  # one index for the whole page, even if a new one is swapped in meanwhile
        documents = index.documents
        doc = documents.get(career) if safe_career(career) else None
        if doc is None:
            return HTMLResponse(render_missing(career, documents.values()), status_code=404, headers={"Content-Security-Policy": PROFILE_CSP})
        html = render_profile(doc, index.chunks, index.manifest.get("built_at"))
        return HTMLResponse(html, headers={"Content-Security-Policy": PROFILE_CSP, "Cache-Control": "no-cache"})

    return router
