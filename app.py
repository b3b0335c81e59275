"""Run the career advisor chat: `python app.py` → http://127.0.0.1:7860/

Settings come from flags or ADVISOR_* environment variables (see README). This file is
only the entry point; the web shell lives in advisor/web/ so `advisor serve` shares it.
"""

from __future__ import annotations

import argparse
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
    p.add_argument("--data", type=Path, help="index and feedback folder (env ADVISOR_DATA)")
    p.add_argument("--title", help="page title (env ADVISOR_TITLE)")
    p.add_argument("--intro", help="intro text (env ADVISOR_INTRO)")
    p.add_argument("--allow-origin", action="append", dest="origins", help="a site allowed to embed the chat (repeat; env ADVISOR_ALLOWED_ORIGINS, comma-separated)")
    p.add_argument("--career", help="the career the chat page starts with (env ADVISOR_CAREER; default: all careers)")
    a = p.parse_args(argv)
    try:
        settings = Settings.from_env(
            host=a.host, port=a.port, corpus_dir=a.corpus, data_dir=a.data, title=a.title, intro=a.intro,
            allowed_origins=tuple(a.origins) if a.origins else None, career=a.career,
        )
        from advisor.web.server import serve

        serve(settings)
    except AdvisorError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
