"""A request body read at the door, against a size cap (413) and a deadline (408); a JSON
body for /api/ must be strict JSON — no NaN or Infinity, no unpaired surrogates (422).
The app inside gets the body replayed."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from advisor.settings import Settings
from advisor.web.middleware.replies import ASGIApp, Message, Receive, Scope, Send, header, refuse

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path, settings = scope["path"], self.settings
        limit = settings.max_body_bytes if path.startswith("/api/") else settings.max_chat_body_bytes
        body, status = await read_body(scope, receive, limit, settings.body_timeout)
        if status == 413:
            await refuse(scope, send, 413, f"The request body is larger than {limit} bytes.", settings.allowed_origins, close=True)
            return
        if status == 408:
            await refuse(scope, send, 408, f"The request body did not arrive within {settings.body_timeout:g} seconds.", settings.allowed_origins,
                         close=True)
            return
        if status == 400:
            return  # the client went away
        if path.startswith("/api/") and _is_json(scope):
            problem = strict_json_problem(body)
            if problem:
                await refuse(scope, send, 422, problem, settings.allowed_origins)
                return
        await self.app(scope, _replay(body, receive), send)


def _is_json(scope: Scope) -> bool:
    ctype = (header(scope, b"content-type") or "").lower()
    return "json" in ctype or not ctype


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> tuple[bytes, int]:
    """The whole body, or a status: 413 (too big, by header or by count), 408 (too slow),
    400 (the client disconnected)."""
    declared = header(scope, b"content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                return b"", 413
        except ValueError:
            return b"", 413
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", 408
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            return b"", 408
        if message["type"] == "http.disconnect":
            return b"", 400
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", 413
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), 0


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return again


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_json_problem(body: bytes) -> str | None:
    """Why `body` is not strict JSON text, in words that do not repeat it; None when fine.
    An empty body is left to the route (which says the field is missing)."""
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"The body is not UTF-8 text (byte {exc.start + 1})."
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    except ValueError:
        return "The body holds NaN or Infinity, which are not JSON numbers."
    if _has_lone_surrogate(value):
        return "The body holds an unpaired surrogate escape (\\ud800-\\udfff), which is not text."
    return None


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False
