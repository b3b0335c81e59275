"""One FastAPI app: REST routes, security headers, CORS, and the Gradio chat mounted at /."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from advisor.settings import Settings

log = logging.getLogger(__name__)


def security_headers(settings: Settings) -> dict[str, str]:
    ancestors = " ".join(["'self'", *[o for o in settings.allowed_origins if o != "*"]])
    if "*" in settings.allowed_origins:
        ancestors = "*"
    return {
        # img-src: user text can never make the browser fetch a remote image.
        # A strict default-src would break Gradio's inline styles, so it is not set.
        "Content-Security-Policy": f"img-src 'self' data: blob:; frame-ancestors {ancestors}; object-src 'none'; base-uri 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def build_api_app(advisor: Any, settings: Settings) -> Any:
    """The REST API and the widget without the chat page: what each answer worker of
    `advisor serve --workers N` runs, and the base the chat page is mounted on."""
    from fastapi import FastAPI, Request
    from fastapi.middleware.cors import CORSMiddleware
    from starlette.responses import Response

    from advisor.web.api import api_router

    # OpenAPI 3.0: the bundled Swagger UI (4.x) does not read 3.1 documents
    app = FastAPI(title=f"{settings.title} API", docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.openapi_version = "3.0.3"
    _offline_docs(app)
    headers = security_headers(settings)

    @app.middleware("http")
    async def add_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in headers.items():
            response.headers.setdefault(k, v)
        return response

    # Always our own CORS policy: with one in place Gradio adds none of its own (which
    # would reflect any Origin). No origins configured → same origin only.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    app.include_router(api_router(advisor, settings))
    return app


def build_app(advisor: Any, settings: Settings) -> Any:
    """The whole web app for an already loaded Advisor (tests call this directly): the
    REST API and widget, with the Gradio chat mounted at /."""
    import gradio as gr

    from advisor.web.feedback import FeedbackStore
    from advisor.web.ui import CSS, build_blocks, make_theme

    app = build_api_app(advisor, settings)
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3")
    app.state.feedback = feedback
    blocks = build_blocks(advisor, settings, feedback)
    blocks.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size)
    gr.mount_gradio_app(
        app,
        blocks,
        path="",
        max_file_size="1kb",
        footer_links=["api"],
        ssr_mode=False,
        theme=make_theme(),
        css=CSS,
        show_error=False,
    )
    return app


def _offline_docs(app: Any) -> None:
    """The OpenAPI page at /api/docs with Swagger UI served from this server, not a CDN
    (the advisor runs offline, and img-src 'self' would block the CDN's favicon anyway)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/api/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> Any:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title=f"{app.title} docs",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon-32x32.png",
        )


def serve(settings: Settings, progress: Callable[[str], None] = print) -> None:
    """Load (building the index on first run), then serve until interrupted."""
    import uvicorn

    from advisor.engine import Advisor

    advisor = Advisor.load(settings, progress=progress)
    if settings.career:
        advisor.careers.resolve(settings.career)  # an unknown career: one line naming the close ones
    app = build_app(advisor, settings)
    progress(f"Chat ready at http://{settings.host}:{settings.port}/  (REST: POST /api/ask, docs: /api/docs). Stop with Ctrl+C.")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
