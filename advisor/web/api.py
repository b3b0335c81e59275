"""REST beside the chat: POST /api/ask, GET /api/careers, /api/starters, /api/health, and
the embeddable widget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from advisor.errors import CareerError
from advisor.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_CHARS = 200_000


class AskRequest(BaseModel):
    question: str = Field(..., max_length=MAX_BODY_CHARS, description="The student's question")
    history: list[str] = Field(default_factory=list, max_length=50, description="Earlier user questions, oldest first")
    career: str | None = Field(None, max_length=200, description="Answer from this career only (an id from GET /api/careers)")
    id: str | None = Field(None, max_length=200, description="Echoed back, as in the batch contract")


def api_router(advisor: Any, settings: Settings) -> APIRouter:
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

    @router.post("/api/ask", summary="Ask one question", response_description="The batch output record")
    def ask(req: AskRequest) -> dict[str, Any]:
        if any(len(h) > MAX_BODY_CHARS for h in req.history):
            raise HTTPException(status_code=422, detail="history items must be at most 200000 characters")
        career = resolve(req.career)
        record = advisor.ask(req.question, history=req.history, career=career).to_dict()
        return {"id": req.id, **record} if req.id is not None else record

    @router.get("/api/careers", summary="The careers the advisor answers about")
    def careers() -> dict[str, Any]:
        return {"careers": advisor.careers.listing()}

    @router.get("/api/health", summary="Liveness and index facts")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
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
