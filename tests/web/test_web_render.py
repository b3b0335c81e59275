"""advisor/web/render.py: escaping, the answer + Sources messages, and reading history back."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from advisor.models import Answer, Citation
from advisor.web.render import answer_messages, escape_text, history_questions, unescape_text, user_message

PAYLOADS = [
    "<img src=http://x/y.png>",
    "![a](http://x/y.png)",
    "<script>alert(1)</script>",
    "**bold**",
    "[link](javascript:alert(1))",
    "<http://x/y>",
    "`code` _em_ # heading",
]
# Characters that start Markdown or HTML structure; after escaping each must be preceded
# by a backslash (or, for < and >, be gone entirely).
MD_ACTIVE = set("\\`*_[]()!#")


_ENTITY = re.compile(r"&(?:#\d+|[a-z]+);")


def unescaped_active_chars(escaped: str) -> list[str]:
    out, i = [], 0
    while i < len(escaped):
        ch = escaped[i]
        if ch == "\\":
            i += 2  # the escaped character is inert
            continue
        entity = _ENTITY.match(escaped, i)
        if entity:  # "&#47;" is a character reference, not Markdown
            i = entity.end()
            continue
        if ch in MD_ACTIVE:
            out.append(ch)
        i += 1
    return out


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_markup(payload: str) -> None:
    escaped = escape_text(payload)
    assert "<" not in escaped and ">" not in escaped
    assert unescaped_active_chars(escaped) == []
    assert "](" not in escaped.replace("\\]\\(", "")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_text_renders_as_plain_text(payload: str) -> None:
    html = MarkdownIt("commonmark").render(escape_text(payload))
    for tag in ("<img", "<script", "<a ", "<strong", "<em", "<code", "<h1"):
        assert tag not in html, (payload, html)
    # what a reader sees is exactly what was typed
    assert html == f"<p>{payload.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>\n"


@settings(database=None)  # no .hypothesis/ folder in the project
@given(st.text())
def test_unescape_inverts_escape(s: str) -> None:
    assert unescape_text(escape_text(s)) == s


def test_user_message_is_escaped_user_turn() -> None:
    msg = user_message("<b>hi</b> [x](y)")
    assert msg["role"] == "user"
    assert unescape_text(msg["content"]) == "<b>hi</b> [x](y)"
    assert "<" not in msg["content"]


# --------------------------------------------------------------------------------------
CITES = (
    Citation(n=1, doc="imaging-technologist", section="Required Education", lines=(80, 80), start=100, end=160, title="Imaging Technologist",
             text="Associate degree programs are most common, typically lasting 18 to 24 months."),
    Citation(n=2, doc="imaging-technologist", section="Work-Life Balance & Stress", lines=(99, 101), start=200, end=260, title="Imaging Technologist",
             text="Stress Level: Moderate\nBalance Rating: Good"),
)
ANSWER = Answer(
    question="how long is school?",
    kind="answer",
    text="Associate degree programs are most common, typically lasting 18 to 24 months. [1] Stress Level: Moderate [2]",
    confidence=0.8,
    citations=CITES,
)


def test_answer_message_shows_citation_markers() -> None:
    msgs = answer_messages(ANSWER)
    first = msgs[0]
    assert first["role"] == "assistant" and "metadata" not in first
    # [n] is escaped so Markdown never reads "[1]" as a link label, and reads back as "[1]"
    assert "\\[1\\]" in first["content"] and "\\[2\\]" in first["content"]
    shown = unescape_text(first["content"])
    assert "typically lasting 18 to 24 months. [1]" in shown
    assert "Stress Level: Moderate [2]" in shown
    assert "closest" not in shown and "Quoted from" not in shown  # a confident answer carries no label: every answer is quoted


def test_low_confidence_answer_says_in_plain_words_what_closest_match_means() -> None:
    low = Answer(question="q", kind="answer", text="Stress Level: Moderate [1]", confidence=0.3, citations=CITES[1:])
    shown = unescape_text(answer_messages(low)[0]["content"])
    assert "The profile may not answer this exactly: these are its sentences closest to your question." in shown


def test_bullets_stay_a_list_with_escaped_items() -> None:
    a = Answer(question="q", kind="answer", text="- Lead *aprons* [1]\n- PACS_(RIS) [1]", confidence=0.9, citations=CITES[:1])
    lines = answer_messages(a)[0]["content"].split("\n")
    assert lines[0] == "- Lead \\*aprons\\* \\[1\\]"
    assert lines[1] == "- PACS\\_\\(RIS\\) \\[1\\]"


def test_sources_message_lists_every_citation() -> None:
    msgs = answer_messages(ANSWER)
    assert len(msgs) == 2
    sources = msgs[1]
    assert sources["role"] == "assistant"
    assert sources["metadata"] == {"title": "Sources (2)", "status": "done"}
    text = unescape_text(sources["content"])
    # the career's title and the section, linked to the quoted lines in their profile page
    assert "**[1]** [Imaging Technologist › Required Education](/profiles/imaging-technologist#L80-L80)" in text
    assert "**[2]** [Imaging Technologist › Work-Life Balance & Stress](/profiles/imaging-technologist#L99-L101)" in text
    assert "imaging-technologist ›" not in text  # never the file id
    assert "> Associate degree programs are most common, typically lasting 18 to 24 months." in text
    # a multi-line quote keeps every line quoted
    assert "> Stress Level: Moderate\n> Balance Rating: Good" in text
    # and document text is escaped like user text
    assert "Work\\-Life Balance &amp; Stress" in sources["content"]


@pytest.mark.parametrize("kind", ["abstain", "smalltalk", "invalid"])
def test_non_answers_have_no_sources_block(kind: str) -> None:
    a = Answer(question="q", kind=kind, text="Sorry, the profile doesn't cover that.", confidence=0.0, suggestions=("What is the Work Setting?",))
    msgs = answer_messages(a)
    assert len(msgs) == 1
    assert "metadata" not in msgs[0]
    if kind == "abstain":
        assert "questions below the chat" in msgs[0]["content"]


# --------------------------------------------------------------------------------------
def test_history_plain_string_contents() -> None:  # gradio_client / HTTP shape
    history = [
        {"role": "user", "content": "how long is the associate degree?"},
        {"role": "assistant", "content": "Associate degree programs ... \\[1\\]"},
    ]
    assert history_questions(history) == ["how long is the associate degree?"]


def test_history_list_of_parts_contents() -> None:  # browser shape
    history = [
        {"role": "user", "content": [{"type": "text", "text": "how long is the associate degree?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Associate degree programs ... \\[1\\]"}]},
        {"role": "user", "content": [{"type": "text", "text": "and the bachelor's?"}]},
    ]
    assert history_questions(history) == ["how long is the associate degree?", "and the bachelor's?"]


def test_history_drops_sources_blocks_and_assistant_turns() -> None:
    answer = answer_messages(ANSWER)
    history = [user_message("first question"), *answer, user_message("second question"), *answer]
    assert history_questions(history) == ["first question", "second question"]


def test_history_drops_user_messages_carrying_metadata_titles() -> None:
    history = [{"role": "user", "content": "Sources (1)", "metadata": {"title": "Sources (1)"}}, {"role": "user", "content": "real"}]
    assert history_questions(history) == ["real"]


def test_history_tuples() -> None:
    history = [("how long is school?", "Two years [1]"), ["and the bachelor's?", None], (None, "a bot-only turn")]
    assert history_questions(history) == ["how long is school?", "and the bachelor's?"]


def test_history_none_and_empty() -> None:
    assert history_questions(None) == []
    assert history_questions([]) == []
    assert history_questions([{"role": "user", "content": "   "}, {"role": "user", "content": None}]) == []


def test_history_unescapes_what_the_chat_displayed() -> None:
    typed = "<img src=x> what's **1.5** [years](y)?"
    shown = user_message(typed)
    assert shown["content"] != typed
    parts = {"role": "user", "content": [{"type": "text", "text": shown["content"]}]}
    assert history_questions([shown, parts]) == [typed, typed]


def test_history_objects_with_attributes() -> None:  # e.g. gr.ChatMessage dataclasses
    history = [SimpleNamespace(role="user", content="from an object", metadata=None), SimpleNamespace(role="assistant", content="x", metadata=None)]
    assert history_questions(history) == ["from an object"]


def test_history_ignores_junk_entries() -> None:
    assert history_questions([42, "loose string", {"role": "user"}, {"content": "no role"}]) == []


def test_round_trip_through_rendered_chat_keeps_follow_up_context() -> None:
    history = [user_message("how long is the associate degree program?"), *answer_messages(ANSWER)]
    assert [re.sub(r"\s+", " ", q) for q in history_questions(history)] == ["how long is the associate degree program?"]
