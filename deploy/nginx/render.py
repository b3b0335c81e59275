#!/usr/bin/env python3
"""Fill in advisor.conf.template: the nginx site for advisor (standard library only).

    python3 deploy/nginx/render.py --server-name advisor.school.org \\
        --api 127.0.0.1:7861 --api 10.0.0.12:7861 --chat 127.0.0.1:7860 \\
        --cert /etc/letsencrypt/live/advisor.school.org/fullchain.pem \\
        --key /etc/letsencrypt/live/advisor.school.org/privkey.pem \\
        > /etc/nginx/conf.d/advisor.conf
    nginx -t && systemctl reload nginx

The tests render their proxy from the same template with `render()`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "advisor.conf.template"
PLACEHOLDER = re.compile(r"\$\{(ADVISOR_[A-Z_]+)\}")
DEFAULTS = {
    "ADVISOR_HTTP_LISTEN": "80",
    "ADVISOR_HTTPS_LISTEN": "443",
    "ADVISOR_ASK_RATE": "5r/s",  # questions per client address: a steady rate…
    "ADVISOR_ASK_BURST": "40",  # …and how many more at once (a class asking together)
    "ADVISOR_REQUEST_RATE": "50r/s",  # any other request (the chat page loads ~40 files)
    "ADVISOR_REQUEST_BURST": "200",
    "ADVISOR_CONNECTIONS_PER_CLIENT": "50",
}


def upstream(addresses: list[str], max_fails: int = 2, fail_timeout: str = "10s") -> str:
    """`server` lines with passive health checks, one per address."""
    return "\n".join(f"    server {a} max_fails={max_fails} fail_timeout={fail_timeout};" for a in addresses)


def render(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The template with every placeholder filled from `values` or DEFAULTS."""
    filled = {**DEFAULTS, **values}
    missing = sorted({m.group(1) for m in PLACEHOLDER.finditer(template.read_text("utf-8"))} - set(filled))
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: filled[m.group(1)], template.read_text("utf-8"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server-name", required=True, help="the advisor's host name, e.g. advisor.school.org")
    p.add_argument("--api", action="append", required=True, metavar="HOST:PORT", help="answer workers (repeat: one per machine)")
    p.add_argument("--chat", required=True, metavar="HOST:PORT", help="the chat process")
    p.add_argument("--cert", required=True, help="certificate chain (PEM)")
    p.add_argument("--key", required=True, help="its private key (PEM)")
    for name, value in DEFAULTS.items():
        flag = "--" + name.removeprefix("ADVISOR_").lower().replace("_", "-")
        p.add_argument(flag, dest=name, default=value, help=f"default {value}")
    a = p.parse_args(argv)
    values = {k: getattr(a, k) for k in DEFAULTS}
    values.update(ADVISOR_SERVER_NAME=a.server_name, ADVISOR_API_SERVERS=upstream(a.api), ADVISOR_CHAT_SERVERS=upstream([a.chat]),
                  ADVISOR_CERT=a.cert, ADVISOR_CERT_KEY=a.key)
    sys.stdout.write(render(values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
