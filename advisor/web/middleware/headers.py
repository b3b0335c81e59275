"""Security headers on every reply, preflights, refusals and errors included."""

from __future__ import annotations

from advisor.settings import Settings
from advisor.web.middleware.replies import ASGIApp, Message, Receive, Scope, Send


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers on every reply. The chat page is Gradio's: it needs inline styles and one
    inline script (its config); everything else comes from this server only."""
    ancestors = " ".join(["'self'", *[o for o in settings.allowed_origins if o != "*"]])
    if "*" in settings.allowed_origins:
        ancestors = "*"
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",  # user text can never make the browser fetch a remote image
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class SecurityHeadersMiddleware:
    """Adds `security_headers` to every HTTP reply that does not set them itself."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(settings).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []), *[(k, v) for k, v in headers if k not in present]]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
