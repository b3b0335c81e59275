"""REST beside the chat: POST /api/ask, GET /api/careers, /api/starters, /api/health, and
the embeddable widget."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from advisor.errors import CareerError
from advisor.records.store import QuestionRecord, RecordsStore
from advisor.settings import Settings

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


def api_router(advisor: Any, settings: Settings, records: RecordsStore | None = None) -> APIRouter:
    """The REST routes; each question answered is logged to `records` (off the answer path)."""
    router = APIRouter()
    manifest = advisor.index.manifest

    def resolve(career: str | None) -> str | None:
        """A career id (or None); an unknown one is a 404 naming the closest ids."""
        if career is None or not career.strip():
            return None
        try:
            return str(advisor.careers.resolve(career))
        except CareerError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @router.post("/api/ask", summary="Ask one question",
                 response_description="The batch output record, with `latency_ms` (time in the advisor) and `answer_id` (this answer's id)")
    def ask(req: AskRequest) -> dict[str, Any]:
        career = resolve(req.career)
        t0 = time.perf_counter()
        answer = advisor.ask(req.question, history=req.history, career=career)
        latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        answer_id = secrets.token_urlsafe(12)
        if records is not None and req.question.strip():
            records.log(QuestionRecord.of(answer, channel="api", answer_id=answer_id, latency_ms=latency_ms, question=req.question))
        record = {**answer.to_dict(), "latency_ms": latency_ms, "answer_id": answer_id}
        return {"id": req.id, **record} if req.id is not None else record

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

    return router
