"""The two web apps (app factories): `build_api_app`, the REST API and the widget that each
answer worker serves, and `build_app`, the same with the Gradio chat mounted at /. Both
are guarded at the door (guard.py) and write the records store the settings name.

FastAPI and Gradio are imported when an app is built, not when this module is: the
supervisor of `advisor serve --workers N` imports the serving code and builds no app.
"""

from __future__ import annotations

from typing import Any

from advisor.records.store import open_records
from advisor.settings import Settings
from advisor.web.guard import ClientAddress, RateLimits, guard


def _api(advisor: Any, settings: Settings) -> Any:
    """FastAPI with the REST routes and the widget, not yet guarded."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse

    from advisor.web.admin import admin_router
    from advisor.web.api import api_router

    # OpenAPI 3.0: the bundled Swagger UI (4.x) does not read 3.1 documents
    app = FastAPI(title=f"{settings.title} API", docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.openapi_version = "3.0.3"
    _offline_docs(app)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default reply repeats the input (a 10 MB question came back whole)
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    # Always our own CORS policy: with one in place Gradio adds none of its own (which
    # would reflect any Origin). No origins configured → same origin only.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        allow_credentials=False,
        max_age=600,
    )
    # what students asked and how they rated it: one store per process (the SQLite file
    # several processes share, or PostgreSQL); its writer writes what is queued at shutdown
    records = open_records(settings)
    app.state.records = records
    app.router.on_shutdown.append(records.close)
    app.include_router(api_router(advisor, settings, records))
    app.include_router(admin_router(advisor, settings, records))
    return app


def _limits(settings: Settings) -> RateLimits:
    return RateLimits(settings.rate_limit, settings.rate_limit_requests, settings.limits_url)


def build_api_app(advisor: Any, settings: Settings) -> Any:
    """The REST API and the widget without the chat page: what each answer worker of
    `advisor serve --workers N` runs."""
    return guard(_api(advisor, settings), settings, _limits(settings), ClientAddress(settings.trusted_proxies))


def build_app(advisor: Any, settings: Settings) -> Any:
    """The whole web app for an already loaded Advisor (tests call this directly): the
    REST API and widget, with the Gradio chat mounted at /."""
    import gradio as gr

    from advisor.web.ui import CSS, build_blocks, make_theme  # imports gradio: only when the chat is built

    app = _api(advisor, settings)
    limits = _limits(settings)  # one budget: REST and chat
    clients = ClientAddress(settings.trusted_proxies)
    blocks = build_blocks(advisor, settings, app.state.records, limits, clients)
    blocks.queue(default_concurrency_limit=settings.concurrency, max_size=settings.queue_size)
    gr.mount_gradio_app(
        app,
        blocks,
        path="",
        max_file_size="1kb",
        footer_links=[],
        ssr_mode=False,
        theme=make_theme(),
        css=CSS,
        show_error=False,
    )
    return guard(app, settings, limits, clients)


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
