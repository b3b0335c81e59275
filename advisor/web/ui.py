"""The Gradio app: the `/chat` API of gradio_client (question, history, career → box,
history, suggestions; the history in Gradio's messages format, each answer with its
Sources block) and its private like handler. Callbacks only call the core and the pure
functions in render.py.

The chat *page* at / is not Gradio's any more (advisor/web/chatpage.py says why): these
components are the API's inputs and outputs, and Gradio's own page is not served."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from typing import Any

import gradio as gr  # this module is imported only when the web app is built

from advisor.models import Answer
from advisor.records.store import QuestionRecord, RecordsStore
from advisor.settings import Settings
from advisor.web.feedback import citation_keys
from advisor.web.render import answer_messages, escape_text, history_questions, user_message

log = logging.getLogger(__name__)

CSS = ""  # Gradio's page is not shown (the chat page is advisor/web/chatpage.py)
OOPS = "Sorry, something went wrong on our side. Please try again."
SLOW_DOWN = "You're asking very quickly. Please wait {s} seconds, then ask again."
_SURROGATES = re.compile("[\ud800-\udfff]")


class _Recent:
    """The answers this server gave lately, by their server-issued id: a rating names one,
    and what is stored is the server's own record of it, never text the browser sent."""

    def __init__(self, size: int = 20000) -> None:
        self.items: OrderedDict[str, Answer] = OrderedDict()
        self.size = size

    def add(self, key: str, answer: Answer) -> None:
        self.items[key] = answer
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def get(self, key: str) -> Answer | None:
        return self.items.get(key)


def build_blocks(advisor: Any, settings: Settings, records: RecordsStore, limits: Any, clients: Any) -> Any:
    """The Gradio app of the `/chat` API. Each answer is logged to `records` (off the answer
    path) under its server-issued id, which a rating names."""
    recent = _Recent()
    careers = advisor.careers.listing()
    default = advisor.careers.resolve(settings.career) if settings.career else None

    def chat(question: Any, history: list[dict[str, Any]] | None, career: Any = None, request: gr.Request | None = None) -> tuple[Any, list[dict[str, Any]], Any]:
        history = list(history or [])
        question = _SURROGATES.sub("\ufffd", question) if isinstance(question, str) else ""
        if question.strip() and request is not None and request.client is not None:
            wait = limits.question(clients.of(request.client.host, request.headers.get("x-forwarded-for")))
            if wait:  # the question stays in the box, to send again
                return gr.update(), history + [{"role": "assistant", "content": escape_text(SLOW_DOWN.format(s=wait))}], gr.update()
        try:
            t0 = time.perf_counter()
            answer = advisor.ask(question, history=history_questions(history), career=career or None)
            latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        except Exception:  # the core should not raise; if it does, the student sees a polite line
            log.exception("ask failed")
            return gr.update(), history + [user_message(question), {"role": "assistant", "content": OOPS}], gr.update(visible=False)
        if answer.kind == "invalid" and not question.strip():
            return gr.update(), history, gr.update()
        answer_id = secrets.token_urlsafe(12)
        messages = [{**m, "metadata": {**(m.get("metadata") or {}), "id": answer_id}} for m in answer_messages(answer)]
        recent.add(answer_id, answer)
        records.log(QuestionRecord.of(answer, channel="chat", answer_id=answer_id, latency_ms=latency_ms, question=question))
        suggestions = list(answer.suggestions) if answer.kind != "answer" else []
        return "", history + [user_message(answer.question or question)] + messages, gr.Dataset(samples=[[q] for q in suggestions], visible=bool(suggestions))

    def on_like(history: list[dict[str, Any]] | None, data: gr.LikeData) -> None:
        """Store a rating for an answer this server gave: the message names it by its
        server-issued id; an unknown or forged id writes nothing."""
        history = list(history or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if not isinstance(index, int) or not 0 <= index < len(history):
            return
        metadata = history[index].get("metadata") if isinstance(history[index], dict) else None
        answer_id = metadata.get("id") if isinstance(metadata, dict) else None
        known = recent.get(answer_id) if isinstance(answer_id, str) else None
        if known is None:
            log.info("A rating for an unknown answer id was refused.")
            return
        records.rate(bool(data.liked), known.question, known.text, citation_keys(known), answer_id=answer_id)

    with gr.Blocks(title=settings.title, analytics_enabled=False) as demo:
        picker = gr.Dropdown(choices=[("All careers", "")] + [(c["title"], c["id"]) for c in careers], value=default or "", label="Career",
                             elem_id="career")
        chatbot = gr.Chatbot(elem_id="chat", label="Conversation", feedback_options=("Like", "Dislike"), allow_tags=False,
                             latex_delimiters=[])  # "$$x^2$$" in a question stays as typed
        suggestions = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[], label="The profiles can answer these instead",
                                 elem_id="suggestions", type="values")
        box = gr.Textbox(label="Your question", elem_id="question", max_length=20000)
        box.submit(chat, [box, chatbot, picker], [box, chatbot, suggestions], api_name="chat")
        chatbot.like(on_like, [chatbot], None, api_visibility="private")
    return demo


def make_theme() -> Any:
    """Gradio's default look with system fonts: no font downloads from third parties."""
    return gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"], font_mono=["ui-monospace", "monospace"])
