"""Run the career advisor chat: `python app.py` → http://127.0.0.1:7860/

Settings come from flags or ADVISOR_* environment variables (see README). This file is
only the entry point; the web shell lives in advisor/web/ so `advisor serve` shares it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before anything imports gradio

from advisor.errors import AdvisorError  # noqa: E402
from advisor.settings import Settings  # noqa: E402


def build_app(advisor: Any, settings: Settings) -> Any:
    """The FastAPI app with the Gradio chat mounted at / and REST under /api/."""
    from advisor.web.server import build_app as _build

    return _build(advisor, settings)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Serve the career advisor chat and REST API.")
    p.add_argument("--host", help="interface (env ADVISOR_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (env ADVISOR_PORT, default 7860)")
    p.add_argument("--corpus", type=Path, help="profiles folder (env ADVISOR_CORPUS)")
    p.add_argument("--data", type=Path, help="index and records (questions, ratings) folder (env ADVISOR_DATA)")
    p.add_argument("--title", help="page title (env ADVISOR_TITLE)")
    p.add_argument("--intro", help="intro text (env ADVISOR_INTRO)")
    p.add_argument("--allow-origin", action="append", dest="origins", help="a site allowed to embed the chat (repeat; env ADVISOR_ALLOWED_ORIGINS, comma-separated)")
    p.add_argument("--career", help="the career the chat page starts with (env ADVISOR_CAREER; default: all careers)")
    p.add_argument("--workers", type=int, help="answer processes for /api/ and /embed.js (env ADVISOR_WORKERS, default 1; see deploy/README.md)")
    p.add_argument("--api-port", type=int, help="the answer workers' port when --workers > 1 (env ADVISOR_API_PORT, default --port + 1)")
    p.add_argument("--api-only", action="store_true", help="serve only /api/ and /embed.js, on --port (env ADVISOR_API_ONLY)")
    p.add_argument("--reload-seconds", type=float, help="how often to look for a new index (env ADVISOR_RELOAD_SECONDS, default 5; 0 = on SIGHUP only)")
    a = p.parse_args(argv)
    try:
        settings = Settings.from_env(
            host=a.host, port=a.port, corpus_dir=a.corpus, data_dir=a.data, title=a.title, intro=a.intro,
            allowed_origins=tuple(a.origins) if a.origins else None, career=a.career,
            workers=a.workers, api_port=a.api_port, api_only=True if a.api_only else None, reload_seconds=a.reload_seconds,
        )
        from advisor.cli import print_progress
        from advisor.heartbeat import Heartbeat
        from advisor.web.server import serve

        # the server's log (each request, each index swap) on stderr, with the time
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
        # a build's progress as a bar on a terminal, and a line at least every 4 s until it serves
        serve(settings, progress=Heartbeat(print_progress))
    except AdvisorError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
