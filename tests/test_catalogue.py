"""Building a larger catalogue with the fake embedder: the progress a build tells (log lines,
or one bar redrawn in place on a terminal) and the incremental rebuild (only changed texts
are embedded, each distinct text once)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from advisor import cli
from advisor.index import progress as progress_mod
from advisor.index import store
from advisor.index.embedder import FakeEmbedder
from advisor.index.progress import EmbedStatus, ProgressLine
from advisor.index.store import build_index

DOCS = 12
SENTENCES = 24


def _profile(n: int, fourth: str = "test") -> str:
    """A profile; `fourth` is the verb of its fourth duty (a word for a word, so that the
    paragraph's chunks keep their bounds)."""
    title = f"Widget Maker {n}"
    verbs = ["shape", "sand", "paint", "test", "pack", "ship"] * (SENTENCES // 6)
    verbs[3] = fourth
    duties = " ".join(f"Widget makers of kind {n} {verb} widget part {i} for their clients." for i, verb in enumerate(verbs))
    return (f"{title}\n\nWhat They Do\n\n{duties}\n\nPay\n\nWidget makers of kind {n} earn a fair wage.\n\n"
            f"Work Environment\n\nWidget makers of kind {n} work indoors.\n")


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(DOCS):
        (corpus / f"widget-maker-{n}.txt").write_text(_profile(n), "utf-8")
    return corpus


class Clock:
    """Time that moves only when the spy embedder embeds: one second a call."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class SpyEmbedder(FakeEmbedder):
    """The fake embedder, counting what it is asked to embed (and moving the clock)."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__()
        self.calls: list[list[str]] = []
        self.prepared: list[Path] = []
        self.clock = clock

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.calls.append(list(texts))
        if self.clock is not None:
            self.clock.t += 1.0
        return super().encode(texts, show_progress)

    def prepare(self, data_dir: Path, say: object = None) -> None:
        self.prepared.append(data_dir)

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(progress_mod, "_now", c)
    return c


def _updates(messages: list[str]) -> list[EmbedStatus]:
    return [m.status for m in messages if isinstance(m, ProgressLine)]


# -- progress ---------------------------------------------------------------------------


def test_a_log_gets_a_line_every_few_seconds_not_one_a_batch(catalogue: Path, tmp_path: Path, clock: Clock) -> None:
    spy = SpyEmbedder(clock)
    said: list[str] = []
    build_index(catalogue, tmp_path / "data", spy, progress=said.append, show_progress=False)
    updates = _updates(said)
    calls = len(spy.calls)
    assert calls >= 10  # enough batches that a line per batch would show
    # the first (nothing done), one every LINE_SECONDS of embedding (a call is a second here), the last
    assert len(updates) == 2 + (calls - 1) // int(progress_mod.LINE_SECONDS)
    first, last = updates[0], updates[-1]
    assert (first.texts_done, first.documents_done) == (0, 0) and not first.done
    assert last.done and last.texts_done == last.texts == len(set(spy.texts)) and last.documents_done == last.documents == DOCS
    assert [u.texts_done for u in updates] == sorted(u.texts_done for u in updates)
    assert last.rate == pytest.approx(last.texts / calls)  # texts a second, by the clock
    middle = updates[1]
    assert middle.eta == pytest.approx((middle.texts - middle.texts_done) / middle.rate)
    line = [m for m in said if isinstance(m, ProgressLine)][1]
    assert re.fullmatch(r"Embedding: \d+/12 documents, \d+/\d+ texts \(\d+%\), \d+ texts/s, ETA \d+:\d\d", line), line
    assert "\r" not in "".join(said) and all("\n" not in m for m in said)


def test_a_terminal_gets_one_bar_redrawn_in_place(catalogue: Path, tmp_path: Path, clock: Clock,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    spy = SpyEmbedder(clock)
    monkeypatch.setattr("advisor.index.embedder.make_embedder", lambda model, data_dir=None: spy)
    term = Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert cli.main(["build", "--corpus", str(catalogue), "--data", str(tmp_path / "data"), "--model", "fake"]) == 0
    err = term.getvalue()
    bar = err[err.index("\rEmbedding [") :]
    redraws = bar.split("\r")[1:]
    # one redraw a batch (the clock moves a second a batch, more than REDRAW_SECONDS), plus the first
    assert len(redraws) == len(spy.calls) + 1
    assert all(r.startswith("Embedding [") for r in redraws)
    assert all(r.endswith("\x1b[K") for r in redraws[:-1])  # in place: no new line until done
    assert redraws[-1].startswith("Embedding [" + "#" * 10) and "100%" in redraws[-1] and "12/12 documents" in redraws[-1]
    assert redraws[-1].split("\n")[0].endswith("\x1b[K") and redraws[-1].count("\n") == 2  # its own end, then "Index saved…"
    assert "Embedding:" not in err  # no log lines on a terminal
    assert capsys.readouterr().out.startswith("Built ")


def test_the_bar_fits_its_width() -> None:
    status = EmbedStatus(documents=216, documents_done=98, texts=8541, texts_done=3840, reused=0, seconds=24.0)
    for width in (40, 80, 200):
        assert len(status.bar(width)) <= width
    assert status.bar(200).startswith("Embedding [" + "#" * 13 + "-" * 17 + "]  45% 98/216 documents, 3840/8541 texts, 160 texts/s, ETA 0:29")


def test_progress_lines_reach_a_plain_callback_through_advisor_load(catalogue: Path, tmp_path: Path, clock: Clock) -> None:
    """`python app.py` passes `print`: the first-run build's lines reach it as strings."""
    from advisor.engine import Advisor
    from advisor.settings import Settings

    said: list[str] = []
    Advisor.load(Settings(corpus_dir=catalogue, data_dir=tmp_path / "data", model="fake"), embedder=SpyEmbedder(clock), progress=said.append)
    lines = [m for m in said if m.startswith("Embedding: ")]
    assert lines and lines[-1].startswith("Embedding: 12/12 documents") and "done in" in lines[-1]


# -- what a build embeds ----------------------------------------------------------------


def test_a_full_build_embeds_each_distinct_text_once(catalogue: Path, tmp_path: Path) -> None:
    spy = SpyEmbedder()
    index = build_index(catalogue, tmp_path / "data", spy)
    titles = {d: doc.title for d, doc in index.documents.items()}
    every = [store.unit_embedding_text(u, titles[u.doc_id]) for u in index.units] + [store.chunk_embedding_text(c, titles[c.doc_id]) for c in index.chunks]
    assert len(set(every)) < len(every)  # one-sentence paragraphs: the chunk's text is its unit's
    assert sorted(spy.texts) == sorted(set(every))
    assert all(len(call) <= store.EMBED_SLICE for call in spy.calls)
    assert spy.prepared == [tmp_path / "data"]
    # and every text got its own vector
    fresh = FakeEmbedder()
    np.testing.assert_array_equal(index.unit_vectors(), fresh.encode(every[: len(index.units)]))
    np.testing.assert_array_equal(index.chunk_vectors(), fresh.encode(every[len(index.units) :]))


def test_one_changed_file_re_embeds_only_its_changed_texts(catalogue: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_index(catalogue, data, FakeEmbedder())
    spy = SpyEmbedder()
    said: list[str] = []
    build_index(catalogue, data, spy, progress=said.append)
    assert spy.calls == [] and any("nothing new" in m for m in said)
    assert spy.prepared == [data]  # an export lost since the last build is made again even so

    (catalogue / "widget-maker-7.txt").write_text(_profile(7, fourth="tune"), "utf-8")
    index = build_index(catalogue, data, spy, progress=said.append)
    assert len(spy.calls) == 1
    assert sorted(t.split(" — ")[0] for t in spy.texts) == ["Widget Maker 7", "Widget Maker 7"]  # its sentence and its paragraph
    assert all("tune widget part 3" in t for t in spy.texts)
    assert _updates(said)[-1].reused > 0 and _updates(said)[-1].texts == 2

    (catalogue / "widget-maker-12.txt").write_text(_profile(12), "utf-8")  # a new profile: its texts only
    spy.calls.clear()
    index = build_index(catalogue, data, spy)
    assert {t.split(" — ")[0] for t in spy.texts} == {"Widget Maker 12"}
    scratch = build_index(catalogue, tmp_path / "scratch", FakeEmbedder())
    np.testing.assert_array_equal(index.unit_vectors(), scratch.unit_vectors())
    np.testing.assert_array_equal(index.chunk_vectors(), scratch.chunk_vectors())


def test_answering_runs_numpy_products_on_one_blas_thread(catalogue: Path, tmp_path: Path) -> None:
    from threadpoolctl import threadpool_info

    from advisor.engine import Advisor
    from advisor.settings import Settings

    Advisor.load(Settings(corpus_dir=catalogue, data_dir=tmp_path / "data", model="fake"))
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)
