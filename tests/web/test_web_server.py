"""The real app on a free 127.0.0.1 port, called as its clients call it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from advisor.web.render import unescape_text

pytestmark = [pytest.mark.server, pytest.mark.model]


def _text(content: Any) -> str:
    """A chat message's text, whether content is a string or a list of parts."""
    if isinstance(content, str):
        return content
    return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))


def test_gradio_client_chat(live_app: Any) -> None:
    from gradio_client import Client

    client = Client(live_app.url + "/", verbose=False)
    api = client.view_api(return_format="dict", print_info=False)
    assert list(api["named_endpoints"]) == ["/chat"]
    assert [p["parameter_name"] for p in api["named_endpoints"]["/chat"]["parameters"]] == ["question", "history", "career"]

    box, history, _suggestions = client.predict("how long is the associate degree program?", [], "", api_name="/chat")
    assert box == ""  # the question box is cleared
    roles = [m["role"] for m in history]
    assert roles == ["user", "assistant", "assistant"]
    answer = unescape_text(_text(history[1]["content"]))
    assert "[1]" in answer and "18 to 24 months" in answer
    assert re.fullmatch(r"Sources \(\d+\)", history[2]["metadata"]["title"])

    # the history the client got back is accepted as context for a follow-up
    _box, history2, _ = client.predict("and the bachelor's?", history, "", api_name="/chat")
    assert len(history2) == len(history) + 3
    assert "four-year bachelor's programs" in unescape_text(_text(history2[-2]["content"]))  # the length, from the history

    # an empty question changes nothing (no bubble, no error)
    _box, history3, _ = client.predict("   ", history2, "", api_name="/chat")
    assert len(history3) == len(history2)


def test_http_post_ask(live_app: Any) -> None:
    r = httpx.post(live_app.url + "/api/ask", json={"question": "how long is the associate degree program?", "id": "7"}, timeout=30)
    assert r.status_code == 200
    rec = r.json()
    assert rec["id"] == "7" and rec["abstained"] is False
    assert "[1]" in rec["answer"]
    assert "img-src 'self' data: blob:" in r.headers["content-security-policy"].split("; ")
