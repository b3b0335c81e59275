"""One FastAPI app: REST routes, security headers, CORS, and the Gradio chat mounted at /."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from advisor.settings import Settings

log = logging.getLogger(__name__)


# The HTTP server's own settings (the guard covers requests): idle keep-alive connections
# close after 5 s, a request head may hold at most 16 KB, and uvicorn does not rewrite the
# client address from X-Forwarded-For (by default it believes 127.0.0.1; the guard decides
# whom to believe, from ADVISOR_TRUSTED_PROXIES).
UVICORN_LIMITS: dict[str, Any] = {
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16384,
    "timeout_graceful_shutdown": 10,
    "proxy_headers": False,
}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """UVICORN_LIMITS, and a request head must arrive within `body_timeout` seconds."""
    from advisor.web.guard import http_protocol

    return {**UVICORN_LIMITS, "http": http_protocol(settings.body_timeout)}


def _api(advisor: Any, settings: Settings) -> Any:
    """FastAPI with the REST routes and the widget, not yet guarded."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse

    from advisor.records.store import RECORDS_FILE, RecordsStore
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
    # what students asked and how they rated it: one store per process (several processes
    # share the file); the writer thread writes what is queued when the server stops
    records = RecordsStore.open(settings.data_dir / RECORDS_FILE, keep_days=settings.keep_days)
    app.state.records = records
    app.router.on_shutdown.append(records.close)
    app.include_router(api_router(advisor, settings, records))
    app.include_router(admin_router(advisor, settings, records))
    return app


def _guard(app: Any, settings: Settings, limits: Any = None, clients: Any = None) -> Any:
    """The door (advisor/web/guard.py), outermost: added last, around everything."""
    from advisor.web.guard import ClientAddress, Guard, RateLimits, route_methods

    limits = limits or RateLimits(settings.rate_limit, settings.rate_limit_requests)
    clients = clients or ClientAddress(settings.trusted_proxies)
    app.add_middleware(Guard, settings=settings, limits=limits, clients=clients, routes=route_methods(app))
    return app


def build_api_app(advisor: Any, settings: Settings) -> Any:
    """The REST API and the widget without the chat page: what each answer worker of
    `advisor serve --workers N` runs."""
    return _guard(_api(advisor, settings), settings)


def build_app(advisor: Any, settings: Settings) -> Any:
    """The whole web app for an already loaded Advisor (tests call this directly): the
    REST API and widget, with the Gradio chat mounted at /."""
    import gradio as gr

    from advisor.web.guard import ClientAddress, RateLimits
    from advisor.web.ui import CSS, build_blocks, make_theme

    app = _api(advisor, settings)
    limits = RateLimits(settings.rate_limit, settings.rate_limit_requests)  # one budget: REST and chat
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
    return _guard(app, settings, limits, clients)


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


def reachable_urls(host: str, port: int) -> list[str]:
    """Addresses a browser can use for a server bound to `host`: for a wildcard (0.0.0.0,
    ::) this machine's own names and addresses, never "0.0.0.0", which no browser opens."""
    import socket

    def url(h: str) -> str:
        return f"http://[{h}]:{port}/" if ":" in h else f"http://{h}:{port}/"

    if host not in ("0.0.0.0", "::", ""):
        return [url(host)]
    found = ["127.0.0.1"]
    name = socket.gethostname()
    try:
        for info in socket.getaddrinfo(name, None, socket.AF_INET if host == "0.0.0.0" else socket.AF_UNSPEC):
            address = str(info[4][0])
            if address not in found and not address.startswith("127."):
                found.append(address)
    except OSError:
        pass
    try:  # the address of the interface that routes outwards (a UDP "connect" sends nothing)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        if address not in found and not address.startswith("127."):
            found.append(address)
    except OSError:
        pass
    return [url(h) for h in found] + ([url(name)] if name and name not in found else [])


def origins_line(settings: Settings) -> str:
    allowed = settings.allowed_origins
    if not allowed:
        return "Sites allowed to embed the widget: none yet (set ADVISOR_ALLOWED_ORIGINS=https://www.your-school.org)."
    if "*" in allowed:
        return "Sites allowed to embed the widget: any site (ADVISOR_ALLOWED_ORIGINS=*)."
    return f"Sites allowed to embed the widget: {', '.join(allowed)}."


def serve(settings: Settings, progress: Callable[[str], None] = print) -> None:
    """Load (building the index on first run), then serve until interrupted. With
    `workers` > 1 or `api_only`, several processes (advisor/web/workers.py). Every serving
    process swaps in the index a later `advisor build` writes (advisor/web/reload.py)."""
    if settings.workers > 1 or settings.api_only:
        from advisor.web.workers import serve_workers

        serve_workers(settings, progress)
        return
    from advisor.engine import Advisor
    from advisor.web.reload import run_served, served_app

    advisor = Advisor.load(settings, progress=progress)
    if settings.career:
        advisor.careers.resolve(settings.career)  # an unknown career: one line naming the close ones
    app, watcher = served_app(advisor, settings, chat=True)
    logging.getLogger("advisor.web.reload").setLevel(logging.INFO)  # say when a new index is served
    urls = reachable_urls(settings.host, settings.port)
    progress(f"Chat ready at {' or '.join(urls)}  (REST: POST /api/ask, docs: /api/docs).")
    progress(origins_line(settings) + " Stop with Ctrl+C.")
    run_served(app, watcher, settings)
