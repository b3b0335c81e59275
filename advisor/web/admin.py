"""/admin: the counselors' report (advisor/records/) in the served app, behind a password.

    GET /admin?since=30d          the report as a page (7d, 30d, 90d, all, or a date)
    GET /admin/report.csv?since=  every question of the period, one row each

A FastAPI route, not part of the Gradio app: nothing of it is reachable through Gradio's
API, config or queue. With no `ADVISOR_ADMIN_PASSWORD` set there is no admin page (404).

Authentication is HTTP Basic (any user name, the password compared in constant time),
not a login form with a signed session cookie:
- it is stateless: every process (the chat process, answer workers) checks the password
  alone, with no signing key to share or rotate and no session to store;
- the admin pages only read (GET, no state changes), so a forged cross-site request with
  the browser's remembered credentials gains nothing; the pages refuse framing;
- `curl -u counselor:PASSWORD https://…/admin/report.csv` works for scripts.
Its costs: the browser keeps the password until it is closed (there is no log-out), and it
travels with every admin request — serve the advisor over HTTPS (deploy/). Wrong passwords
are refused (401) and logged with the client address (never the password); after 10 wrong
ones in a minute an address gets 429 until the minute has passed, right password or not.
Every admin reply carries `Cache-Control: no-store`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import secrets
import time
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from advisor.errors import InputError
from advisor.records.html import render_html
from advisor.records.report import Records, build_report, load_records, parse_since, to_csv
from advisor.records.store import RecordsStore
from advisor.settings import Settings

log = logging.getLogger(__name__)

WRONG_PASSWORDS = "10/minute"  # per client address, per process
CHALLENGE = 'Basic realm="advisor report", charset="UTF-8"'
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Robots-Tag": "noindex, nofollow"}
# stricter than the app's: no script at all, and never framed
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


class WrongPasswords:
    """Counts wrong passwords per client address in a moving window (the `limits` library)."""

    def __init__(self, rate: str = WRONG_PASSWORDS) -> None:
        from limits import parse, storage, strategies

        self.item = parse(rate)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def wait(self, client: str) -> int:
        """0 when the client may try, else the whole seconds until it may."""
        if self.limiter.test(self.item, "admin", client):
            return 0
        reset = self.limiter.get_window_stats(self.item, "admin", client).reset_time
        return max(1, math.ceil(reset - time.time()))

    def failed(self, client: str) -> None:
        self.limiter.hit(self.item, "admin", client)


def basic_password(header: str | None) -> str | None:
    """The password of an `Authorization: Basic …` header ("" when it is garbled); None
    when the request carries no Basic credentials."""
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def refusal(request: Request, exc: HTTPException) -> Response:
    """A refused admin request: a short page for a browser (its message, and what to do),
    FastAPI's JSON (`{"detail": …}`) for anything else."""
    headers = dict(exc.headers or NO_STORE)
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    title = {401: "Password needed", 404: "Not found", 422: "Not a period", 429: "Please wait"}.get(exc.status_code, "Refused")
    back = '<p><a href="/admin">The report for the last 30 days</a></p>' if exc.status_code == 422 else ""
    html = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}: counselors' report</title><style>body{{font:16px/1.5 system-ui,sans-serif;margin:2em auto;max-width:40em;"
            "padding:0 1em;color:#1a202c;overflow-wrap:anywhere}a{color:#1d4ed8}a:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}"
            f"</style></head><body><main><h1>{escape(title)}</h1><p>{escape(str(exc.detail))}</p>{back}</main></body></html>")
    return HTMLResponse(html, status_code=exc.status_code, headers={**headers, "Content-Security-Policy": PAGE_CSP})


def admin_router(advisor: Any, settings: Settings, records: RecordsStore) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    wrong = WrongPasswords()

    def check(request: Request) -> None:
        if not settings.admin_password:
            raise HTTPException(404, "Not found.", headers=NO_STORE)
        client = str(getattr(request.state, "client_address", None) or (request.client.host if request.client else "unknown"))
        wait = wrong.wait(client)
        if wait:
            raise HTTPException(429, f"Too many wrong passwords. Please wait {wait} seconds.", headers={**NO_STORE, "Retry-After": str(wait)})
        given = basic_password(request.headers.get("authorization"))
        if given is None:
            raise HTTPException(401, "The report needs the admin password.", headers={**NO_STORE, "WWW-Authenticate": CHALLENGE})
        if not secrets.compare_digest(given.encode("utf-8"), settings.admin_password.encode("utf-8")):
            wrong.failed(client)
            log.warning("/admin: a wrong password from %s was refused.", client)
            raise HTTPException(401, "Wrong password.", headers={**NO_STORE, "WWW-Authenticate": CHALLENGE})

    def allowed_rows(request: Request, since: str) -> Records | Response:
        """The records of the period, for a request with the password; else the refusal."""
        try:
            check(request)
            try:
                parse_since(since)
            except InputError as exc:
                raise HTTPException(422, str(exc), headers=NO_STORE) from exc
            return load_records(records, since)
        except HTTPException as exc:
            return refusal(request, exc)

    @router.get("/admin")
    @router.get("/admin/")
    def page(request: Request, since: str = Query("30d", max_length=40)) -> Response:
        rows = allowed_rows(request, since)
        if isinstance(rows, Response):
            return rows
        report = build_report(rows, advisor if rows.needs_grouping else None)
        html = render_html(report, csv_href="/admin/report.csv?" + urlencode({"since": since}), since=since)
        return HTMLResponse(html, headers={**NO_STORE, "Content-Security-Policy": PAGE_CSP})

    @router.get("/admin/report.csv")
    def csv(request: Request, since: str = Query("30d", max_length=40)) -> Response:
        rows = allowed_rows(request, since)
        if isinstance(rows, Response):
            return rows
        name = f"advisor-questions-{datetime.now(UTC).strftime('%Y-%m-%d')}.csv"
        return Response(to_csv(rows.questions), media_type="text/csv; charset=utf-8",
                        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/admin/{rest:path}")
    def elsewhere(request: Request, rest: str) -> Response:
        try:
            check(request)
        except HTTPException as exc:
            return refusal(request, exc)
        return refusal(request, HTTPException(404, "Not found.", headers=NO_STORE))

    return router
