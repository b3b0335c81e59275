"""How far the embedding of a build has got: documents, texts, rate and time left.

`build_index` tells it through its `progress` callback as a `ProgressLine`: a str (so any
callback can print or log it) that also carries its numbers in `.status`, so that a
terminal can redraw one bar in place (see `cli._progress`). Updates come every
`REDRAW_SECONDS` when the caller redraws in place (`show_progress=True`), else a line
every `LINE_SECONDS` (logs, CI, `python app.py`), plus the first and the last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

LINE_SECONDS = 5.0
REDRAW_SECONDS = 0.2
_now = time.monotonic  # the clock (tests move their own)


def clock(seconds: float) -> str:
    """125 → "2:05"."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@dataclass(frozen=True)
class EmbedStatus:
    documents: int  # documents with text to embed
    documents_done: int
    texts: int  # texts to embed (distinct, not reused from the previous index)
    texts_done: int
    reused: int  # texts whose vectors the previous index had
    seconds: float

    @property
    def done(self) -> bool:
        return self.texts_done >= self.texts

    @property
    def rate(self) -> float:
        """Texts embedded per second so far."""
        return self.texts_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far (None before the first batch)."""
        if self.done:
            return 0.0
        return (self.texts - self.texts_done) / self.rate if self.rate > 0 else None

    @property
    def fraction(self) -> float:
        return self.texts_done / self.texts if self.texts else 1.0

    def _tail(self) -> str:
        if self.done:
            return f"{self.rate:.0f} texts/s, done in {clock(self.seconds)}"
        return f"{self.rate:.0f} texts/s, ETA {clock(self.eta) if self.eta is not None else '?'}"

    def line(self) -> str:
        """One log line: "Embedding: 98/216 documents, 3840/8541 texts (45%), 162 texts/s, ETA 0:29"."""
        reused = f" ({self.reused} reused)" if self.reused else ""
        return (f"Embedding: {self.documents_done}/{self.documents} documents, {self.texts_done}/{self.texts} texts{reused} "
                f"({self.fraction:.0%}), {self._tail()}")

    def bar(self, width: int = 100) -> str:
        """A bar of at most `width` characters: "Embedding [######------]  45% 98/216 documents …"."""
        text = f" {self.fraction:4.0%} {self.documents_done}/{self.documents} documents, {self.texts_done}/{self.texts} texts, {self._tail()}"
        cells = max(10, min(30, width - len(text) - 12))
        filled = int(cells * self.fraction)
        return f"Embedding [{'#' * filled}{'-' * (cells - filled)}]{text}"[:width]


class ProgressLine(str):
    """A progress message that also carries its numbers."""

    status: EmbedStatus

    def __new__(cls, status: EmbedStatus) -> ProgressLine:
        line = super().__new__(cls, status.line())
        line.status = status
        return line


class EmbedProgress:
    """Counts embedded texts and tells `say` how far it has got, at most every `interval`
    seconds (and always at the start and the end)."""

    def __init__(self, say: Callable[[str], None], documents: int, texts: int, reused: int, redraw: bool,
                 now: Callable[[], float] | None = None) -> None:
        self.say = say
        self.documents, self.texts, self.reused = documents, texts, reused
        self.interval = REDRAW_SECONDS if redraw else LINE_SECONDS
        self.now = now or _now
        self.t0 = self.now()
        self.last = self.t0
        self.documents_done = self.texts_done = 0
        self._tell()

    def status(self) -> EmbedStatus:
        return EmbedStatus(self.documents, self.documents_done, self.texts, self.texts_done, self.reused, self.now() - self.t0)

    def _tell(self) -> None:
        self.last = self.now()
        self.say(ProgressLine(self.status()))

    def advance(self, documents: int, texts: int) -> None:
        self.documents_done += documents
        self.texts_done += texts
        if self.texts_done >= self.texts or self.now() - self.last >= self.interval:
            self._tell()
