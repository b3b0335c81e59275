"""The per-client budgets (the `limits` library's moving windows): in this process, or in
Redis (ADVISOR_LIMITS_URL) so that one budget holds across every worker and machine.

Redis that cannot be reached never refuses a student: the limiter counts in this process
instead (each process its own budget, as without Redis), says so in one log line and in
GET /api/health, and a background thread looks for Redis every PROBE_SECONDS; when it
answers again the counting is shared again. While Redis is away no request waits for it.

    >>> limits = RateLimits("30/10 seconds;300/minute", "3000/minute", "redis://:pw@10.0.0.20:6379/0")
    >>> limits.question("203.0.113.9")   # 0: go ahead; else the seconds to wait
    0
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many, storage, strategies
from limits.errors import StorageError

from advisor.settings import RATE_OFF, masked_url

log = logging.getLogger(__name__)

KEY_PREFIX = "advisor-limits"  # every key the advisor writes in a shared Redis starts with this
REDIS_TIMEOUT = 0.25  # seconds a request may wait for Redis before the limiter counts in this process
PROBE_SECONDS = 2.0  # while Redis is away, how often to look for it


def parse_rate(value: str) -> list[Any]:
    """`limits` rate items, or [] for "off"."""
    if value.strip().lower() in RATE_OFF:
        return []
    return list(parse_many(value))


class RateLimits:
    """Moving-window limits per client address; the counters in this process, or in Redis
    at `storage_url` (with this process as the fallback)."""

    def __init__(self, questions: str, requests: str, storage_url: str = "", probe_seconds: float = PROBE_SECONDS) -> None:
        self.questions = parse_rate(questions)
        self.requests = parse_rate(requests)
        self.local = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.url = storage_url
        self.where = masked_url(storage_url) if storage_url else ""
        self.probe_seconds = probe_seconds
        self._secrets = [s for s in (urlsplit(storage_url).password, storage_url) if s]
        self._shared: strategies.MovingWindowRateLimiter | None = None
        self._storage: Any = None
        self._away: str | None = None  # why Redis is not used now (None: it is, or there is none)
        self._lock = threading.Lock()
        if storage_url:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # no retries inside redis-py: a request never waits more than one REDIS_TIMEOUT
            self._storage = storage.storage_from_string(storage_url, key_prefix=KEY_PREFIX, wrap_exceptions=True,
                                                        socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT,
                                                        retry=Retry(NoBackoff(), 0), health_check_interval=0)  # type: ignore[arg-type]
            self._shared = strategies.MovingWindowRateLimiter(self._storage)

    # -- the budgets -----------------------------------------------------------------------
    def question(self, client: str) -> int:
        """0 when `client` may ask a question now, else the whole seconds to wait."""
        return self._hit(self.questions, "question", client)

    def chat_event(self, client: str) -> int:
        """Every chat event (a question, a like, an example picked): twice the question rate."""
        return self._hit([_scaled(i, 2) for i in self.questions], "chat-event", client)

    def request(self, client: str) -> int:
        return self._hit(self.requests, "request", client)

    def _hit(self, items: list[Any], kind: str, client: str) -> int:
        if not items:
            return 0
        shared = self._shared if self._away is None else None
        if shared is not None:
            try:
                return _hit(shared, items, kind, client)
            except StorageError as exc:
                self._fall_back(exc)
        return _hit(self.local, items, kind, client)

    # -- Redis away and back ------------------------------------------------------------------
    def _fall_back(self, exc: StorageError) -> None:
        with self._lock:
            if self._away is not None:
                return
            reason = self._scrub(str(getattr(exc, "storage_error", None) or exc))
            self._away = f"Redis at {self.where} cannot be reached since {time.strftime('%H:%M:%S', time.gmtime())} UTC ({reason})"
        log.warning("Rate limits: %s; each process counts its own clients until it is back (flagged in /api/health).", self._away)
        threading.Thread(target=self._probe, name="limits-probe", daemon=True).start()

    def _probe(self) -> None:
        while True:
            time.sleep(self.probe_seconds)
            if self._storage.check():
                with self._lock:
                    self._away = None
                log.info("Rate limits: Redis at %s answers again; the budgets are shared again.", self.where)
                return

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text[:300]

    @property
    def shared(self) -> bool:
        """Whether the counters are shared (in Redis) right now."""
        return self._shared is not None and self._away is None

    def health(self) -> dict[str, Any]:
        """What GET /api/health says about the limits."""
        if self._shared is None:
            return {"shared": False, "fallback": False, "status": "in this process (set ADVISOR_LIMITS_URL to share them)"}
        if self._away is not None:
            return {"shared": False, "fallback": True, "status": f"fallback: {self._away}; counted in each process"}
        return {"shared": True, "fallback": False, "status": f"shared: {self.where}"}


def _hit(limiter: strategies.MovingWindowRateLimiter, items: list[Any], kind: str, client: str) -> int:
    """0 when allowed, else the whole seconds to wait."""
    for item in items:
        if not limiter.hit(item, kind, client):
            reset = limiter.get_window_stats(item, kind, client).reset_time
            return max(1, math.ceil(reset - time.time()))
    return 0


def _scaled(item: Any, factor: int) -> Any:
    return type(item)(item.amount * factor, item.multiples)
