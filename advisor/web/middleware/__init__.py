"""The door of the public web app: one pure ASGI middleware a concern, in the way
starlette's own are written (`__init__(app, …)`, `async __call__(scope, receive, send)`).
advisor/web/guard.py puts them around the app, outermost first:

1. `SecurityHeadersMiddleware` (headers.py): security headers on every reply;
2. `RefusedOriginMiddleware` (origins.py): one log line per site that CORS will refuse;
3. `ClosedRoutesMiddleware` (routes.py): no websockets; Gradio routes a chat page never
   needs answer 404; a known route asked with a wrong method answers 405;
4. `HeadMiddleware` (head.py): HEAD is served as GET without the body;
5. `ClientAddressMiddleware` (clients.py): who asks — the peer, or what a trusted proxy says;
6. `RateLimitMiddleware` (ratelimit.py): per-client limits, 429 with Retry-After after a pause;
7. `BodyMiddleware` (body.py): the body read against a size cap (413) and a deadline (408),
   strict JSON for /api/ (422);
8. `StreamCapMiddleware` (streams.py): held connections (event streams) capped per client.

Error replies are short JSON (replies.py) and never repeat what the client sent.
"""
