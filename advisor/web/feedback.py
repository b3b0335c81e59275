"""Thumbs up/down on an answer, by its server-issued id.

A rating is stored by the records store (advisor/records/store.py) from the server's own
record of the answer, never from text the browser sent. That record travels with the
answer as a *rating token*: the answer's id, question, text and citations, compressed and
signed (HMAC-SHA256) with a key only the server holds. Any process of the server can
check a token, so a rating is kept whichever answer worker of `advisor serve --workers N`
it reaches, and after a restart; a forged or altered token, or one for another id, writes
nothing.

The key is `ADVISOR_ANSWER_KEY` when set (several machines behind one address must share
it); otherwise a random key kept in `<data>/answer-key` (mode 0600), which every process
using that data folder reads; otherwise (a folder it cannot write) one for this process.

    >>> ratings = Ratings(answer_key(settings))
    >>> answer_id, token = ratings.issue(answer)
    >>> ratings.rate(records, answer_id, token, liked=True)

`FeedbackStore` is the ratings-only view of the records store, for callers of the earlier
API (`add`, `all`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from advisor.records.store import RecordsStore

log = logging.getLogger(__name__)

KEY_FILE = "answer-key"
KEY_ENV = "ADVISOR_ANSWER_KEY"
MAX_TOKEN_CHARS = 30000  # a token longer than this is refused before it is decoded


@dataclass(frozen=True)
class Rated:
    """What a rating stores about the answer it rates."""

    answer_id: str
    question: str
    answer: str
    citations: tuple[str, ...]


def citation_keys(answer: Any) -> list[str]:
    """How a rating names an answer's citations: `doc:start-end` (offsets in the text)."""
    return [f"{c.doc}:{c.start}-{c.end}" for c in answer.citations]


def answer_key(settings: Any) -> bytes:
    """The signing key: ADVISOR_ANSWER_KEY, else `<data>/answer-key` (made once, 0600),
    else a key for this process only (logged once: ratings then reach only it)."""
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        return hashlib.sha256(given.encode("utf-8")).digest()
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return _read_or_make(path)
    except OSError as exc:
        log.warning("No shared key for answer ids (%s: %s); ratings reach only the process that answered. Set %s.", path, exc, KEY_ENV)
        return secrets.token_bytes(32)


def _read_or_make(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(fresh)
    return fresh


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Ratings:
    """Issues answer ids with their rating tokens and stores the ratings they allow."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def _mac(self, payload: bytes) -> str:
        return _b64(hmac.new(self.key, payload, hashlib.sha256).digest()[:18])

    def issue(self, answer: Any) -> tuple[str, str]:
        """A new answer id, and the token that lets a rating name this answer."""
        answer_id = secrets.token_urlsafe(12)
        body = json.dumps([answer_id, answer.question, answer.text, citation_keys(answer)], ensure_ascii=False, separators=(",", ":"))
        payload = _b64(zlib.compress(body.encode("utf-8"), 6))
        return answer_id, f"{payload}.{self._mac(payload.encode('ascii'))}"

    def open(self, answer_id: str, token: str) -> Rated | None:
        """The answer a token names, when this server signed it for `answer_id`; else None."""
        if not isinstance(token, str) or not isinstance(answer_id, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(payload.encode("ascii", "replace"))):
            return None
        try:  # signed by us: well formed, unless the key was shared with a buggy writer
            rid, question, text, cites = json.loads(zlib.decompress(_unb64(payload), bufsize=65536).decode("utf-8"))
        except (ValueError, binascii.Error, zlib.error, UnicodeDecodeError):
            return None
        if rid != answer_id:
            return None
        return Rated(rid, str(question), str(text), tuple(str(c) for c in cites))

    def rate(self, records: RecordsStore, answer_id: str, token: str, liked: bool) -> Literal["saved", "unavailable", "unknown"]:
        """Store a rating: "saved"; "unavailable" when the store cannot write now;
        "unknown" (nothing written) when the token is not one this server issued for
        `answer_id`."""
        rated = self.open(answer_id, token)
        if rated is None:
            log.info("A rating for an unknown answer id was refused.")
            return "unknown"
        row = records.rate(bool(liked), rated.question, rated.answer, list(rated.citations), answer_id=rated.answer_id)
        return "unavailable" if row is None else "saved"


class FeedbackStore(RecordsStore):
    """The records store, seen as the feedback log it used to be."""

    def add(self, liked: bool, question: str, answer: str, citations: Sequence[str], answer_id: str | None = None) -> int | None:
        return self.rate(liked, question, answer, citations, answer_id=answer_id)

    def all(self) -> list[dict[str, Any]]:
        return self.ratings()
