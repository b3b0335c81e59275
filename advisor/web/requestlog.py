"""One log line a request: `GET /api/ask 200 12.3 ms` (method, path, status, milliseconds).
The path only: never its query string, a body or a question, at any level.

Logged by `advisor.web.requests` at INFO, which a serving process shows (serving.py's
`serving_logs`); Set that logger to WARNING (or run behind a proxy that logs) to have none.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("advisor.web.requests")


class RequestLogMiddleware:
    """Wraps the whole app (outside the door, so a refused request is logged too)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [0]

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if log.isEnabledFor(logging.INFO):
                path = scope.get("path", "")
                log.info("%s %s %s %.1f ms", scope.get("method", "?"), path[:200].encode("unicode_escape").decode("ascii"), status[0] or "-",
                         (time.perf_counter() - t0) * 1000)
