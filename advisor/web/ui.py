"""The Gradio chat. Callbacks only call the core and the pure functions in render.py."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

import gradio as gr  # this module is imported only when the web app is built

from advisor.models import Answer
from advisor.settings import Settings
from advisor.web.feedback import FeedbackStore
from advisor.web.render import answer_messages, content_text, escape_text, history_questions, unescape_text, user_message

log = logging.getLogger(__name__)

CSS = """
#chat { min-height: 360px; }
#question textarea { font-size: 16px; }  /* 16px stops phones zooming in on focus */
.advisor-footer { font-size: 0.85em; opacity: 0.8; }
"""
OOPS = "Sorry, something went wrong on our side. Please try again."


class _Recent:
    """The last answers shown, so a thumbs-up can be stored with its citations."""

    def __init__(self, size: int = 512) -> None:
        self.items: OrderedDict[str, Answer] = OrderedDict()
        self.size = size

    def add(self, key: str, answer: Answer) -> None:
        self.items[key] = answer
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def get(self, key: str) -> Answer | None:
        return self.items.get(key)


def build_blocks(advisor: Any, settings: Settings, feedback: FeedbackStore) -> Any:
    recent = _Recent()
    starters = advisor.starter_questions(4)

    def chat(question: Any, history: list[dict[str, Any]] | None) -> tuple[Any, list[dict[str, Any]], Any]:
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        try:
            answer = advisor.ask(question, history=history_questions(history))
        except Exception:  # the core should not raise; if it does, the student sees a polite line
            log.exception("ask failed")
            return gr.update(), history + [user_message(question), {"role": "assistant", "content": OOPS}], gr.update(visible=False)
        if answer.kind == "invalid" and not question.strip():
            return gr.update(), history, gr.update()
        messages = answer_messages(answer)
        recent.add(messages[0]["content"], answer)
        suggestions = list(answer.suggestions) if answer.kind != "answer" else []
        return "", history + [user_message(answer.question or question)] + messages, gr.Dataset(samples=[[q] for q in suggestions], visible=bool(suggestions))

    def pick_example(history: list[dict[str, Any]] | None, evt: gr.SelectData) -> tuple[Any, list[dict[str, Any]], Any]:
        value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)
        return chat(value, history)

    def pick_suggestion(sample: Any, history: list[dict[str, Any]] | None) -> tuple[Any, list[dict[str, Any]], Any]:
        value = sample[0] if isinstance(sample, (list, tuple)) and sample else str(sample or "")
        return chat(value, history)

    def on_like(history: list[dict[str, Any]] | None, data: gr.LikeData) -> None:
        history = list(history or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if not isinstance(index, int) or not 0 <= index < len(history):
            return
        i = index
        while i > 0 and (history[i].get("metadata") or {}).get("title"):
            i -= 1  # a click on the Sources block counts for its answer
        answer_text = content_text(history[i].get("content", ""))
        question = next((unescape_text(content_text(m.get("content", ""))) for m in reversed(history[:i]) if m.get("role") == "user"), "")
        known = recent.get(answer_text)
        citations = [f"{c.doc}:{c.start}-{c.end}" for c in known.citations] if known else []
        feedback.add(bool(data.liked), question, known.text if known else answer_text, citations)

    with gr.Blocks(title=settings.title, analytics_enabled=False) as demo:
        gr.Markdown(f"# {escape_text(settings.title)}\n\n{escape_text(settings.intro)}", elem_id="intro")
        chatbot = gr.Chatbot(
            elem_id="chat",
            label="Conversation",
            examples=[{"text": q} for q in starters],
            placeholder="Ask a question, or pick one of these:",
            feedback_options=("Like", "Dislike"),
            buttons=["copy"],
            allow_tags=False,
            height=480,
            layout="bubble",
        )
        suggestions = gr.Dataset(
            components=[gr.Textbox(visible=False)],
            samples=[],
            label="The profile can answer these instead",
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
            "Every answer is quoted word for word from the career profile; open *Sources* to see where. "
            "If the profile doesn't cover a question, the advisor says so.",
            elem_classes=["advisor-footer"],
        )
        outputs = [box, chatbot, suggestions]
        box.submit(chat, [box, chatbot], outputs, api_name="chat")
        send.click(chat, [box, chatbot], outputs, api_visibility="private")
        chatbot.example_select(pick_example, [chatbot], outputs, api_visibility="private")
        suggestions.click(pick_suggestion, [suggestions, chatbot], outputs, api_visibility="private")
        chatbot.like(on_like, [chatbot], None, api_visibility="private")
    return demo


def make_theme() -> Any:
    """Gradio's default look with system fonts: no font downloads from third parties."""
    return gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "sans-serif"], font_mono=["ui-monospace", "monospace"])
