"""One eval record (`advisor.evaluation.eval_record`) as one flat row."""

from __future__ import annotations

from typing import Any

COLUMNS = ("id", "question", "history", "career", "type", "answerable", "expect_any", "answer", "abstained", "kind",
           "pass", "why", "rank", "confidence", "latency_ms", "citations")
JOIN = " | "  # joins a list (history, expected phrases, citations) into one cell


def citation_text(c: dict[str, Any]) -> str:
    """`[1] Career title › section: quote` (the file id when a record has no title), the
    quote's white space folded."""
    return f"[{c.get('n', '?')}] {c.get('title') or c.get('doc', '')} › {c.get('section', '')}: {' '.join(str(c.get('text', '')).split())}"


def citation_url(c: dict[str, Any]) -> str:
    """The citation's profile page at its lines (`/profiles/<career>#L22-L24`): the record's
    `url`, or made from `doc` and `lines` for a record written before records had one."""
    if isinstance(c.get("url"), str) and c["url"].startswith("/profiles/"):
        return str(c["url"])
    lines = c.get("lines")
    if not c.get("doc") or not isinstance(lines, list) or len(lines) != 2:
        return ""
    from advisor.models import profile_url

    return profile_url(str(c["doc"]), (int(lines[0]), int(lines[1])))


def _strings(xs: object) -> list[str]:
    if isinstance(xs, str):
        return [xs]
    return [str(x) for x in xs] if isinstance(xs, list) else []


def flat_row(rec: dict[str, Any]) -> dict[str, Any]:
    """The CSV columns of one record. `career` is the career(s) that answered, else the
    line's pinned career; `answer` is the error message for a line that failed to run."""
    gold = rec.get("gold") or {}
    careers = rec.get("careers") or ([rec["career"]] if rec.get("career") else [])
    answerable = gold.get("answerable")
    return {
        "id": rec.get("id", ""),
        "question": rec.get("question", ""),
        "history": JOIN.join(_strings(rec.get("history"))),
        "career": " / ".join(map(str, careers)) or str(gold.get("career") or ""),
        "type": str(gold.get("type", "")),
        "answerable": "" if answerable is None else bool(answerable),
        "expect_any": JOIN.join(_strings(gold.get("expect_any"))),
        "answer": rec.get("error") or rec.get("answer", ""),
        "abstained": "" if "error" in rec else bool(rec.get("abstained")),
        "kind": "error" if "error" in rec else rec.get("kind", ""),
        "pass": rec.get("pass"),
        "why": rec.get("why") or "",
        "rank": rec.get("rank"),
        "confidence": rec.get("confidence"),
        "latency_ms": rec.get("latency_ms"),
        "citations": JOIN.join(citation_text(c) for c in rec.get("citations") or [] if isinstance(c, dict)),
    }
