"""`advisor serve`: load the advisor and serve it — one process for the chat and the API,
or (with `workers` > 1 or `api_only`) the supervisor of several (workers.py).

The web shell is a one-way graph, each layer importing only those below it:

    server.py                    advisor serve: one process, or the supervisor
    workers.py                   the supervisor and its children
    serving.py                   uvicorn, the app of a serving process, its addresses
    apps.py, guard.py            the app factories, and the door they put around each app
    middleware/, limits.py,      one middleware a concern; the routes (REST, /admin, the
    api.py, admin.py, ui.py,     chat); the live Advisor that swaps in a new index
    reload.py, render.py

The names below are re-exported for the callers of this module (app.py, tests).
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.settings import Settings
from advisor.web.apps import build_api_app, build_app
from advisor.web.serving import origins_line, reachable_urls, run_served, served_app, serving_logs, uvicorn_options
from advisor.web.workers import serve_workers

__all__ = ["build_api_app", "build_app", "origins_line", "reachable_urls", "serve", "uvicorn_options"]


def serve(settings: Settings, progress: Callable[[str], None] = print) -> None:
    """Load (building the index on first run), then serve until interrupted. With
    `workers` > 1 or `api_only`, several processes (advisor/web/workers.py). Every serving
    process swaps in the index a later `advisor build` writes (advisor/web/reload.py)."""
    if settings.workers > 1 or settings.api_only:
        serve_workers(settings, progress)
        return
    from advisor.engine import Advisor  # the model: loaded by the process that answers, never by a supervisor

    advisor = Advisor.load(settings, progress=progress)
    if settings.career:
        advisor.careers.resolve(settings.career)  # an unknown career: one line naming the close ones
    app, watcher = served_app(advisor, settings, chat=True)
    serving_logs()
    urls = reachable_urls(settings.host, settings.port)
    progress(f"Chat ready at {' or '.join(urls)}  (REST: POST /api/ask, docs: /api/docs).")
    progress(origins_line(settings) + " Stop with Ctrl+C.")
    run_served(app, watcher, settings)
