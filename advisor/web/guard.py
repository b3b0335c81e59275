"""The door of the public web app: the middlewares of advisor/web/middleware/ around an
app, outermost first, so that every request passes them before FastAPI or Gradio sees it.

    >>> guard(app, settings, RateLimits(settings.rate_limit, settings.rate_limit_requests, settings.limits_url),
    ...       ClientAddress(settings.trusted_proxies))
"""

from __future__ import annotations

from typing import Any

from advisor.settings import Settings
from advisor.web.limits import RateLimits
from advisor.web.middleware.body import BodyMiddleware
from advisor.web.middleware.clients import ClientAddress, ClientAddressMiddleware
from advisor.web.middleware.head import HeadMiddleware
from advisor.web.middleware.headers import SecurityHeadersMiddleware
from advisor.web.middleware.origins import RefusedOriginMiddleware
from advisor.web.middleware.ratelimit import RateLimitMiddleware
from advisor.web.middleware.routes import ClosedRoutesMiddleware, route_methods
from advisor.web.middleware.streams import StreamCapMiddleware

__all__ = ["ClientAddress", "RateLimits", "guard"]


def guard(app: Any, settings: Settings, limits: RateLimits, clients: ClientAddress) -> Any:
    """`app` (FastAPI) with the door's middlewares, in the order of the list below, the
    first outermost. Starlette wraps the last one added around the others, so they are
    added innermost first."""
    origins = settings.allowed_origins
    door: list[tuple[type, dict[str, Any]]] = [
        (SecurityHeadersMiddleware, {"settings": settings}),
        (RefusedOriginMiddleware, {"allowed_origins": origins}),
        (ClosedRoutesMiddleware, {"routes": route_methods(app), "allowed_origins": origins}),
        (HeadMiddleware, {}),
        (ClientAddressMiddleware, {"clients": clients}),
        (RateLimitMiddleware, {"limits": limits, "allowed_origins": origins}),
        (BodyMiddleware, {"settings": settings}),
        (StreamCapMiddleware, {"max_per_client": settings.max_streams_per_client, "allowed_origins": origins}),
    ]
    for middleware, options in reversed(door):
        app.add_middleware(middleware, **options)
    app.state.limits = limits  # GET /api/health says whether they are shared
    return app
