"""Pure formatting between the core's Answer and what the chat shows. No Gradio import.

Everything from a user or a document is escaped before it reaches Markdown: a question
holding `<img src=…>` or `![](http://…)` is shown as text and makes the browser fetch
nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from advisor.models import Answer, Citation

# Under an answer whose match is weak: what "closest match" means, in plain words. (A
# confident answer needs no label: every answer is quoted word for word.)
CLOSEST = "The profile may not answer this exactly: these are its sentences closest to your question."
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
SOURCES_TITLE = "Sources"


def escape_text(text: str) -> str:
    """Markdown- and HTML-inert text: every special character escaped, every tag shown.

    Addresses get entities too: the Markdown renderer turns "http://…" and "www.…" into
    links before backslash escapes apply, which would show stray backslashes in a link.
    """
    text = html.escape(text, quote=False)  # & < >
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("://", ":&#47;&#47;").replace("www\\.", "www&#46;")


def answer_markdown(answer: Answer) -> str:
    """The answer bubble: notices, the quoted sentences with [n], a confidence word,
    or the "not covered" text."""
    parts: list[str] = [f"_{escape_text(n)}_" for n in answer.notices]
    body: list[str] = []
    for line in answer.text.split("\n"):
        if line.startswith("- "):
            body.append("- " + escape_text(line[2:].replace("\t", " \u00b7 ")))  # a table row's cells, apart
        else:  # a sentence group, a "Key: Value" fact or a career's label: a paragraph each
            shown = escape_text(line.replace("\t", " \u00b7 "))
            if body and body[-1].startswith("- "):
                body.append("")
            body.append(f"**{shown}**" if len(answer.careers) > 1 and line.endswith(":") and "[" not in line else shown)
            body.append("")
    parts.append("\n".join(body).strip())
    if answer.kind == "answer" and answer.confidence_label == "closest match":
        parts.append(f"_{CLOSEST}_")
    elif answer.kind == "abstain" and answer.suggestions:
        parts.append("_The questions below the chat are ones the profile does answer._")
    return "\n\n".join(parts)


def citation_label(c: Citation) -> str:
    """Where a quote stands, in words: the career's title and the section."""
    return f"{c.title or c.doc} › {c.section}" if c.section else (c.title or c.doc)


def sources_markdown(answer: Answer) -> str:
    """The collapsible Sources block: for each [n], a link to the quoted lines in their
    profile (the career's title and section) and the quote."""
    out = []
    for c in answer.citations:
        quote = "\n".join("> " + escape_text(x.strip()) for x in c.text.split("\n") if x.strip())
        out.append(f"**\\[{c.n}\\]** [{escape_text(citation_label(c))}]({c.url})\n\n{quote}")
    return "\n\n".join(out)


def sources_title(answer: Answer) -> str:
    return f"{SOURCES_TITLE} ({len(answer.citations)})"


def answer_messages(answer: Answer) -> list[dict[str, Any]]:
    """Chat messages for one answer: the answer, then (if any) a collapsed Sources block."""
    msgs: list[dict[str, Any]] = [{"role": "assistant", "content": answer_markdown(answer)}]
    if answer.citations:
        msgs.append(
            {
                "role": "assistant",
                "content": sources_markdown(answer),
                "metadata": {"title": sources_title(answer), "status": "done"},
            }
        )
    return msgs


def user_message(question: str) -> dict[str, Any]:
    return {"role": "user", "content": escape_text(question)}


def unescape_text(text: str) -> str:
    """Inverse of `escape_text`, for reading our own history back."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def content_text(content: Any) -> str:
    """The text of a message's content, whether a string, a dict part or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, Sequence):
        return " ".join(content_text(part) for part in content if isinstance(part, (str, dict)))
    return ""


def history_questions(history: Sequence[Any] | None) -> list[str]:
    """The user's earlier questions from a Gradio history, whatever its shape.

    From the browser each message's content is a list of parts ([{"type": "text", …}]);
    from gradio_client or HTTP it is a plain string; tuples [user, bot] come from old
    clients; our own Sources blocks (messages with metadata) and assistant turns are
    dropped. User text was escaped for display and is unescaped here.
    """
    questions: list[str] = []
    for msg in history or []:
        if isinstance(msg, (list, tuple)) and len(msg) == 2:
            if msg[0]:
                questions.append(unescape_text(content_text(msg[0])))
            continue
        if not isinstance(msg, dict):
            msg = getattr(msg, "__dict__", {}) or {}
        if msg.get("role") != "user" or (msg.get("metadata") or {}).get("title"):
            continue
        text = unescape_text(content_text(msg.get("content"))).strip()
        if text:
            questions.append(text)
    return questions
