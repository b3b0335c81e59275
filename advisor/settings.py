"""One validated settings object; defaults < environment (ADVISOR_*) < explicit values."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from advisor.errors import SettingsError
from advisor.index.embedder import DEFAULT_MODEL

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_root() -> Path:
    # An editable install or a checkout keeps corpus/ beside the package; otherwise
    # the current folder is the project.
    return PROJECT_ROOT if (PROJECT_ROOT / "corpus").is_dir() else Path.cwd()


def _bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={value!r} is not a yes/no value; use 1 or 0.")


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: _default_root() / "corpus")
    data_dir: Path = field(default_factory=lambda: _default_root() / "data")
    model: str = DEFAULT_MODEL
    auto_build: bool = True  # build a missing index and rebuild a stale one on load
    max_question_chars: int = 500
    # the web shell
    host: str = "127.0.0.1"
    port: int = 7860
    title: str = "Career Advisor"
    intro: str = "Ask in plain words. Every answer is quoted from the career profile, with numbered sources."
    allowed_origins: tuple[str, ...] = ()  # other sites allowed to embed the chat
    career: str = ""  # the career the chat page starts with ("" = all careers)
    concurrency: int = 4
    queue_size: int = 64
    # limits at the door (advisor/web/guard.py)
    max_body_bytes: int = 32768  # a POST to /api/ larger than this is refused (413)
    max_chat_body_bytes: int = 1_000_000  # the chat page's events carry the conversation shown
    body_timeout: float = 10.0  # seconds a client may take to send a request's body (else 408)
    rate_limit: str = "3/second;30/10 seconds;300/minute"  # questions per client address ("off" = none)
    rate_limit_requests: str = "300/10 seconds;3000/minute"  # any request per client address
    max_streams_per_client: int = 100  # held connections (the chat's event streams) per address
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For is believed
    # several processes (advisor/web/workers.py)
    workers: int = 1  # answer processes for the REST API and widget; >1 adds the chat as one more
    api_only: bool = False  # serve the REST API and widget only (an extra machine behind the proxy)
    api_port: int = 0  # where the answer workers listen beside the chat (0 = port + 1)
    reload_seconds: float = 5.0  # how often a serving process looks for a new index (0 = on SIGHUP only)
    # what students asked (advisor/records/)
    keep_days: int = 90  # questions and ratings older than this are deleted (0 = no question is kept)
    admin_password: str = field(default="", repr=False)  # the /admin report's password ("" = no /admin page)
    # state shared by several machines (deploy/README.md): unset, each process keeps its own
    records_url: str = field(default="", repr=False)  # postgresql://user:password@host/db: the question log and ratings there
    limits_url: str = field(default="", repr=False)  # redis://[:password@]host:port/db: the per-client counters there

    ENV = {
        "corpus_dir": "ADVISOR_CORPUS",
        "data_dir": "ADVISOR_DATA",
        "model": "ADVISOR_MODEL",
        "auto_build": "ADVISOR_AUTO_BUILD",
        "max_question_chars": "ADVISOR_MAX_QUESTION_CHARS",
        "host": "ADVISOR_HOST",
        "port": "ADVISOR_PORT",
        "title": "ADVISOR_TITLE",
        "intro": "ADVISOR_INTRO",
        "allowed_origins": "ADVISOR_ALLOWED_ORIGINS",
        "career": "ADVISOR_CAREER",
        "concurrency": "ADVISOR_CONCURRENCY",
        "queue_size": "ADVISOR_QUEUE_SIZE",
        "max_body_bytes": "ADVISOR_MAX_BODY_BYTES",
        "max_chat_body_bytes": "ADVISOR_MAX_CHAT_BODY_BYTES",
        "body_timeout": "ADVISOR_BODY_TIMEOUT",
        "rate_limit": "ADVISOR_RATE_LIMIT",
        "rate_limit_requests": "ADVISOR_RATE_LIMIT_REQUESTS",
        "max_streams_per_client": "ADVISOR_MAX_STREAMS_PER_CLIENT",
        "trusted_proxies": "ADVISOR_TRUSTED_PROXIES",
        "workers": "ADVISOR_WORKERS",
        "api_only": "ADVISOR_API_ONLY",
        "api_port": "ADVISOR_API_PORT",
        "reload_seconds": "ADVISOR_RELOAD_SECONDS",
        "keep_days": "ADVISOR_KEEP_DAYS",
        "admin_password": "ADVISOR_ADMIN_PASSWORD",
        "records_url": "ADVISOR_RECORDS_URL",
        "limits_url": "ADVISOR_LIMITS_URL",
    }

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir).expanduser())
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        object.__setattr__(self, "allowed_origins", tuple(o.rstrip("/") for o in self.allowed_origins if o))
        if not 20 <= self.max_question_chars <= 20000:
            raise SettingsError(f"max_question_chars={self.max_question_chars} is outside 20..20000.")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port={self.port} is not a TCP port (0..65535).")
        if self.concurrency < 1 or self.queue_size < 1:
            raise SettingsError("concurrency and queue_size must be at least 1.")
        for o in self.allowed_origins:
            _check_origin(o)
        if self.max_body_bytes < 1024 or self.max_chat_body_bytes < 1024:
            raise SettingsError("max_body_bytes and max_chat_body_bytes must be at least 1024.")
        if not 0.1 <= self.body_timeout <= 600:
            raise SettingsError(f"body_timeout={self.body_timeout} is outside 0.1..600 seconds.")
        if self.max_streams_per_client < 1:
            raise SettingsError("max_streams_per_client must be at least 1.")
        for name in ("rate_limit", "rate_limit_requests"):
            _check_rate(getattr(self, name), name)
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"Trusted proxy {proxy!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8).") from exc
        if not 1 <= self.workers <= 64:
            raise SettingsError(f"workers={self.workers} is outside 1..64 (about one per CPU core is the most that helps).")
        if not 0 <= self.api_port <= 65535:
            raise SettingsError(f"api_port={self.api_port} is not a TCP port (0..65535; 0 = port + 1).")
        if self.reload_seconds < 0:
            raise SettingsError(f"reload_seconds={self.reload_seconds} is negative; 0 checks for a new index on SIGHUP only.")
        if not 0 <= self.keep_days <= 36500:
            raise SettingsError(f"keep_days={self.keep_days} is outside 0..36500 (0 keeps no question; the default is 90).")
        if self.admin_password and len(self.admin_password) < 8:
            raise SettingsError("admin_password is shorter than 8 characters; choose a longer one (or leave it unset for no /admin page).")
        _check_url(self.records_url, "ADVISOR_RECORDS_URL", RECORDS_SCHEMES, "postgresql://advisor:PASSWORD@db.school.org/advisor")
        _check_url(self.limits_url, "ADVISOR_LIMITS_URL", LIMITS_SCHEMES, "redis://:PASSWORD@10.0.0.20:6379/0")
        if not self.model.strip():
            raise SettingsError("model is empty; leave it unset for all-MiniLM-L6-v2.")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ADVISOR_* variables, then `overrides` that are not None."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        kinds = {f.name: f.type for f in fields(cls)}
        for name, var in cls.ENV.items():
            if var in env and env[var] != "":
                values[name] = _parse(env[var], kinds[name], var)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except TypeError as exc:
            raise SettingsError(str(exc)) from exc

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _check_origin(origin: str) -> None:
    """An origin is scheme://host[:port], nothing more: a page address or a bare host name
    could never match the Origin a browser sends, so it is refused with the right form."""
    if origin == "*":
        return
    from urllib.parse import urlsplit

    parts = urlsplit(origin if "://" in origin else "https://" + origin)
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    right = f"{scheme}://{parts.netloc}" if parts.netloc else "https://www.your-school.org"
    if "://" not in origin or parts.scheme not in ("http", "https"):
        raise SettingsError(f"Allowed origin {origin!r} needs its scheme: write {right} (an origin is scheme://host[:port]).")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise SettingsError(f"Allowed origin {origin!r} is a page address; the origin is only scheme://host[:port]: write {right}")
    if not parts.hostname:
        raise SettingsError(f"Allowed origin {origin!r} has no host name; write e.g. https://www.your-school.org")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise SettingsError(f"Allowed origin {origin!r} has a bad port; write e.g. https://www.your-school.org:8443") from exc


RECORDS_SCHEMES = ("postgresql", "postgres")
LIMITS_SCHEMES = ("redis", "rediss", "redis+unix", "unix")


def masked_url(url: str) -> str:
    """`url` with its password (and any query, which may carry one) replaced by ***, for
    logs, /api/health and error messages: postgresql://advisor:***@db/advisor."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a URL that cannot be read>"
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        name, colon, _ = user.partition(":")
        netloc = f"{name}{':***' if colon else ''}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


def _check_url(url: str, var: str, schemes: tuple[str, ...], example: str) -> None:
    """A shared store's URL: one of `schemes`, with a host (or a socket path); the error
    names the URL with its password masked."""
    if not url:
        return
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise SettingsError(f"{var}={masked_url(url)} is not a URL; write e.g. {example}") from None
    if parts.scheme not in schemes:
        raise SettingsError(f"{var}={masked_url(url)} is not a {schemes[0]}:// URL; write e.g. {example}")
    if not (parts.hostname or parts.path or parts.query):
        raise SettingsError(f"{var}={masked_url(url)} names no server; write e.g. {example}")


RATE_OFF = {"", "off", "0", "none", "no"}


def _check_rate(value: str, name: str) -> None:
    """A rate like "30/10 seconds;300/minute" (the `limits` notation) or "off"."""
    if value.strip().lower() in RATE_OFF:
        return
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise SettingsError(f"{name}={value!r} is not a rate; write e.g. '30/10 seconds;300/minute', or 'off'.") from exc


def _parse(value: str, kind: Any, var: str) -> Any:
    kind = str(kind)
    if kind.startswith("float"):
        try:
            return float(value)
        except ValueError as exc:
            raise SettingsError(f"{var}={value!r} is not a number.") from exc
    if "bool" in kind:
        return _bool(value, var)
    if kind.startswith("int"):
        try:
            return int(value)
        except ValueError as exc:
            raise SettingsError(f"{var}={value!r} is not a whole number.") from exc
    if "tuple" in kind:
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value
