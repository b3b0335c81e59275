"""The Gradio chat. Callbacks only call the core and the pure functions in render.py."""

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
from advisor.web.render import answer_messages, escape_text, history_questions, user_message

log = logging.getLogger(__name__)

CSS = """
#chat { min-height: 240px; }
#question textarea { font-size: 16px; }  /* 16px stops phones zooming in on focus */
.advisor-footer { font-size: 0.85em; opacity: 0.8; }
#intro h1 { margin-bottom: 0.2em; }
@media (max-width: 480px) {
  /* a phone: the question box must show on first load, without scrolling */
  #chat { height: 42vh !important; min-height: 200px; }
  #intro h1 { font-size: 1.3em; margin: 0; }
  #intro p { margin: 0.2em 0; font-size: 0.9em; }
  .advisor-footer { display: none; }
}
"""
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
    """The chat page. Each answer is logged to `records` (off the answer path) under its
    server-issued id, which a rating names."""
    recent = _Recent()
    careers = advisor.careers.listing()
    several = len(careers) > 1
    default = advisor.careers.resolve(settings.career) if settings.career else None

    def intro(career: str | None) -> str:
        return f"# {escape_text(settings.title)}\n\n**{escape_text(advisor.career_intro(career))}.** {escape_text(settings.intro)}"

    def examples(career: str | None) -> list[Any]:
        return [{"text": q} for q in advisor.starter_questions(4, career)]

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

    def pick_example(history: list[dict[str, Any]] | None, career: Any, evt: gr.SelectData, request: gr.Request) -> tuple[Any, list[dict[str, Any]], Any]:
        value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)
        return chat(value, history, career, request)

    def pick_suggestion(sample: Any, history: list[dict[str, Any]] | None, career: Any, request: gr.Request) -> tuple[Any, list[dict[str, Any]], Any]:
        value = sample[0] if isinstance(sample, (list, tuple)) and sample else str(sample or "")
        return chat(value, history, career, request)

    def pick_career(career: Any) -> tuple[Any, Any, Any]:
        """A new career: a new conversation, with that career's title and starters."""
        cid = career or None
        return gr.update(value=intro(cid)), gr.update(examples=examples(cid), value=[]), gr.Dataset(samples=[], visible=False)

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
        citations = [f"{c.doc}:{c.start}-{c.end}" for c in known.citations]
        records.rate(bool(data.liked), known.question, known.text, citations, answer_id=answer_id)

    with gr.Blocks(title=settings.title, analytics_enabled=False) as demo:
        header = gr.Markdown(intro(default), elem_id="intro", latex_delimiters=[])
        picker = gr.Dropdown(
            choices=[("All careers", "")] + [(c["title"], c["id"]) for c in careers],
            value=default or "",
            label="Career",
            info="Type to search",
            filterable=True,
            elem_id="career",
            visible=several,
        )
        chatbot = gr.Chatbot(
            elem_id="chat",
            label="Conversation",
            examples=examples(default),
            placeholder="Ask a question, or pick one of these:",
            feedback_options=("Like", "Dislike"),
            buttons=["copy"],
            allow_tags=False,
            latex_delimiters=[],  # "$$x^2$$" in a question is shown as typed
            height=480,
            layout="bubble",
        )
        suggestions = gr.Dataset(
            components=[gr.Textbox(visible=False)],
            samples=[],
            label="The profiles can answer these instead",
            elem_id="suggestions",
            visible=False,
            type="values",
        )
        with gr.Row(equal_height=True):
            box = gr.Textbox(
                label="Your question",
                placeholder="e.g. How long is the training?",
                elem_id="question",
                scale=5,
                lines=1,
                max_lines=4,
                max_length=20000,
                autofocus=True,
                submit_btn=False,
            )
            send = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=72)
        gr.Markdown(
            "Every answer is quoted word for word from a career profile; open *Sources* to see where. "
            "If the profiles don't cover a question, the advisor says so.",
            elem_classes=["advisor-footer"],
            latex_delimiters=[],
        )
        outputs = [box, chatbot, suggestions]
        box.submit(chat, [box, chatbot, picker], outputs, api_name="chat")
        send.click(chat, [box, chatbot, picker], outputs, api_visibility="private")
        chatbot.example_select(pick_example, [chatbot, picker], outputs, api_visibility="private")
        suggestions.click(pick_suggestion, [suggestions, chatbot, picker], outputs, api_visibility="private")
        picker.change(pick_career, [picker], [header, chatbot, suggestions], api_visibility="private")
        chatbot.like(on_like, [chatbot], None, api_visibility="private")
    return demo


def make_theme() -> Any:
    """Gradio's default look with system fonts: no font downloads from third parties."""
    return gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"], font_mono=["ui-monospace", "monospace"])
