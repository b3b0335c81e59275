"""What every middleware of the door shares: the ASGI types, reading a header, and the
short JSON reply a refusal sends."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return str(v.decode("latin-1"))
    return None


async def reply(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None, close: bool = False) -> None:
    body = json.dumps({"detail": detail}).encode()
    extra = [(b"connection", b"close")] if close else []
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or []), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def refuse(scope: Scope, send: Send, status: int, detail: str, origins: Iterable[str], headers: list[tuple[bytes, bytes]] | None = None,
                 close: bool = False) -> None:
    """An early reply; an allowed origin may read it (the widget shows "please wait"), as the
    CORS middleware inside would have allowed."""
    extra = list(headers or [])
    origin = header(scope, b"origin")
    allowed = tuple(origins)
    if origin and ("*" in allowed or origin in allowed):
        extra += [(b"access-control-allow-origin", b"*" if "*" in allowed else origin.encode("latin-1")),
                  (b"access-control-expose-headers", b"Retry-After"), (b"vary", b"Origin")]
    await reply(send, status, detail, extra, close)
