"""One validated settings object; defaults < environment (ADVISOR_*) < explicit values."""

from __future__ import annotations

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
            if o != "*" and not o.startswith(("http://", "https://")):
                raise SettingsError(f"Allowed origin {o!r} must look like https://school.example.org")
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


def _parse(value: str, kind: Any, var: str) -> Any:
    kind = str(kind)
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
