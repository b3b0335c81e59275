"""The index on disk under faults: builds killed at every step, damaged files, two builds
at once, a loader arriving mid-build, group-readable modes and a read-only data folder.

Builds that must die or pause run in a child process (CHILD below) that wraps one call of
the build (`os.replace`, `faiss.write_index`, `_write_synced`…) to SIGKILL itself, or to
wait for the test, at its n-th call. The fake embedder keeps every build well under a second.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from core_support import ROOT, copy_fixture_corpus

from advisor.engine import Advisor
from advisor.errors import IndexCorruptError, IndexMissingError, IndexStaleError, SettingsError
from advisor.index import store
from advisor.index.embedder import FakeEmbedder
from advisor.index.store import build_index, corpus_fingerprint, load_index, open_index
from advisor.settings import Settings

INDEX_FILES = (*store._FILES, "manifest.json")

CHILD = r"""
import fcntl, os, shutil, signal, sys, tempfile, time
from pathlib import Path

import faiss

from advisor.index import store
from advisor.index.embedder import FakeEmbedder

corpus, data, target, nth, when, ready, go = sys.argv[1:8]
owner, attr = {
    "mkdtemp": (tempfile, "mkdtemp"), "write_index": (faiss, "write_index"), "write_synced": (store, "_write_synced"),
    "fsync": (store, "_fsync"), "chmod": (os, "chmod"), "replace": (os, "replace"), "rmtree": (shutil, "rmtree"),
    "unlink": (os, "unlink"), "flock": (fcntl, "flock"),
}[target]
real = getattr(owner, attr)
calls = 0


def act():
    if when.startswith("kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    Path(ready).touch()  # paused (or only signalling): the test goes on, and lets the build finish with `go`
    if when.startswith("signal"):
        return
    deadline = time.monotonic() + 60
    while not Path(go).exists():
        if time.monotonic() > deadline:
            sys.exit("the test never said go")
        time.sleep(0.005)


def wrapper(*args, **kwargs):
    global calls
    calls += 1
    if calls == int(nth) and when.endswith("before"):
        act()
    result = real(*args, **kwargs)
    if calls == int(nth) and when.endswith("after"):
        act()
    return result


setattr(owner, attr, wrapper)
store.build_index(Path(corpus), Path(data), FakeEmbedder())
sys.exit(3 if when.startswith("kill") else 0)  # 3: the kill point was never reached
"""


class Child:
    """A build in another process that dies, pauses or signals at one call."""

    def __init__(self, corpus: Path, data: Path, target: str, nth: int, when: str, tag: str = "child") -> None:
        self.ready, self.go = data.parent / f"{tag}.ready", data.parent / f"{tag}.go"
        args = [sys.executable, "-c", CHILD, str(corpus), str(data), target, str(nth), when, str(self.ready), str(self.go)]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_paused(self) -> None:
        deadline = time.monotonic() + 60
        while not self.ready.exists():
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "the child build never reached its pause"
            time.sleep(0.005)

    def release(self) -> None:
        self.go.touch()

    def finish(self) -> int:
        _, err = self.proc.communicate(timeout=60)
        self.stderr = err
        return self.proc.returncode


def _leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir() if p.name.startswith((".index-tmp-", ".index-old-")))


def _damaged(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.name.startswith(".index-damaged-"))


def _settings(corpus: Path, data: Path, auto_build: bool) -> Settings:
    return Settings(corpus_dir=corpus, data_dir=data, model="fake", auto_build=auto_build)


@pytest.fixture
def old_and_new(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path, dict, dict]:
    """An index of the fixture corpus, then a corpus with one more profile (the next build)."""
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    old = corpus_fingerprint(corpus_copy)
    (corpus_copy / "extra.txt").write_text("Extra Profile\n\nDuties\nAn extra profile has a sentence to index.\n", "utf-8")
    return corpus_copy, data, old, corpus_fingerprint(corpus_copy)


# -- 1. a build killed at each step ------------------------------------------------------

# (call, its n-th use, kill before or after it, the index expected afterwards)
KILL_POINTS = [
    ("mkdtemp", 1, "kill-after", "old"),  # an empty .index-tmp-*
    ("write_index", 1, "kill-after", "old"),  # units.faiss written, chunks.faiss not
    ("write_index", 2, "kill-before", "old"),
    ("write_synced", 1, "kill-before", "old"),  # every file but the manifest
    ("write_synced", 1, "kill-after", "old"),  # a complete new copy, files not yet synced
    ("chmod", 3, "kill-after", "old"),  # modes half set
    ("replace", 1, "kill-before", "old"),  # complete new copy, old index still in place
    ("replace", 1, "kill-after", "new"),  # between the renames: no index/, both copies complete
    ("replace", 2, "kill-after", "new"),  # new index in place, the old one not yet removed
    ("rmtree", 1, "kill-before", "new"),
    ("unlink", 2, "kill-after", "new"),  # the old index half removed
]


@pytest.mark.parametrize(("target", "nth", "when", "expect"), KILL_POINTS, ids=[f"{t}{n}-{w}" for t, n, w, _ in KILL_POINTS])
def test_a_build_killed_at_any_step_leaves_a_loadable_index_and_no_leftovers(
    old_and_new: tuple[Path, Path, dict, dict], target: str, nth: int, when: str, expect: str
) -> None:
    corpus, data, old, new = old_and_new
    child = Child(corpus, data, target, nth, when)
    assert child.finish() == -signal.SIGKILL, child.stderr  # it died where it was told to
    assert _leftovers(data)  # the kill left something to clean
    lines: list[str] = []
    settings = _settings(corpus, data, auto_build=False)  # --no-build: a repair, never a build
    if expect == "new":
        advisor = Advisor.load(settings, progress=lines.append)
        assert advisor.index.manifest["corpus"]["files"] == new
    else:
        with pytest.raises(IndexStaleError, match="extra.txt"):  # loaded the previous index, which is stale now
            Advisor.load(settings, progress=lines.append)
        assert load_index(data).manifest["corpus"]["files"] == old
    assert _leftovers(data) == []
    assert len(lines) == 1 and ("Removed" in lines[0] or "Repaired" in lines[0]), lines
    assert _damaged(data) == []


@pytest.mark.parametrize(("target", "when"), [("replace", "kill-before"), ("fsync", "kill-after")])
def test_a_first_build_killed_before_its_rename_is_put_in_place(corpus_copy: Path, tmp_path: Path, target: str, when: str) -> None:
    data = tmp_path / "data"
    child = Child(corpus_copy, data, target, 1, when)
    assert child.finish() == -signal.SIGKILL, child.stderr
    assert not (data / "index").exists()
    lines: list[str] = []
    advisor = Advisor.load(_settings(corpus_copy, data, auto_build=False), progress=lines.append)
    assert set(advisor.index.documents) == {"dental-assistant", "pharmacy-tech"}
    assert _leftovers(data) == [] and len(lines) == 1 and "put back" in lines[0]
    assert all(p.stat().st_mode & 0o750 == 0o750 for p in [data / "index", *(data / "index").iterdir()] if p.is_dir())
    assert all(p.stat().st_mode & 0o640 == 0o640 for p in (data / "index").iterdir())


def test_between_the_renames_the_new_copy_is_preferred_to_the_old(old_and_new: tuple[Path, Path, dict, dict]) -> None:
    corpus, data, old, new = old_and_new
    assert Child(corpus, data, "replace", 1, "kill-after").finish() == -signal.SIGKILL
    copies = {p.name.split("-")[1]: p for p in data.iterdir() if p.name.startswith(".index-")}
    assert set(copies) == {"tmp", "old"}  # both complete; the old one is even touched last
    os.utime(copies["old"] / "manifest.json")
    index = open_index(data, progress=lambda _: None)
    assert index.manifest["corpus"]["files"] == new


# -- 2. damaged files --------------------------------------------------------------------


def _flip(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    if path.name == "manifest.json":  # a hash in it: still valid JSON, now wrong
        at = raw.index(b'"units.faiss": "') + len(b'"units.faiss": "')
        raw[at] = ord("0") if raw[at] != ord("0") else ord("1")
    else:
        raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


DAMAGE: dict[str, Callable[[Path], None]] = {"flipped": _flip, "missing": Path.unlink, "truncated": lambda p: p.write_bytes(p.read_bytes()[:7])}
CASES = [(name, how) for name in INDEX_FILES for how in ("flipped", "missing")] + [("manifest.json", "truncated")]


@pytest.mark.parametrize(("name", "how"), CASES, ids=[f"{n}-{h}" for n, h in CASES])
def test_a_damaged_index_is_set_aside_and_rebuilt_with_auto_build(corpus_copy: Path, tmp_path: Path, name: str, how: str) -> None:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    DAMAGE[how](data / "index" / name)
    damaged = {p.name: p.read_bytes() for p in (data / "index").iterdir()}
    lines: list[str] = []
    advisor = Advisor.load(_settings(corpus_copy, data, auto_build=True), progress=lines.append)
    assert set(advisor.index.documents) == {"dental-assistant", "pharmacy-tech"}
    load_index(data)  # the rebuilt index checks out
    [aside] = _damaged(data)  # kept for a look, byte for byte
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == damaged
    said = [line for line in lines if "set aside" in line]
    assert len(said) == 1 and aside.name in said[0] and "damaged index" in said[0], lines
    assert _leftovers(data) == []


@pytest.mark.parametrize(("name", "how"), CASES, ids=[f"{n}-{h}" for n, h in CASES])
def test_a_damaged_index_is_refused_clearly_without_auto_build(corpus_copy: Path, tmp_path: Path, name: str, how: str) -> None:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    DAMAGE[how](data / "index" / name)
    before = {p.name: p.read_bytes() for p in (data / "index").iterdir()}
    with pytest.raises(IndexCorruptError, match="Run: advisor build"):
        Advisor.load(_settings(corpus_copy, data, auto_build=False))
    assert {p.name: p.read_bytes() for p in (data / "index").iterdir()} == before  # nothing moved
    assert _damaged(data) == []


def test_only_the_latest_damaged_indexes_are_kept(corpus_copy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = _settings(corpus_copy, data, auto_build=True)
    build_index(corpus_copy, data, FakeEmbedder())
    names = []
    for _ in range(store.KEEP_DAMAGED + 2):
        _flip(data / "index" / "units.faiss")
        Advisor.load(settings, progress=lambda _: None)
        names.append(_damaged(data)[-1].name)  # the newest sorts last
    assert [p.name for p in _damaged(data)] == names[-store.KEEP_DAMAGED :]


def test_a_damaged_index_is_replaced_by_a_complete_copy_when_there_is_one(old_and_new: tuple[Path, Path, dict, dict]) -> None:
    corpus, data, _, new = old_and_new
    assert Child(corpus, data, "replace", 1, "kill-before").finish() == -signal.SIGKILL  # a complete .index-tmp-*
    _flip(data / "index" / "chunks.faiss")
    with pytest.raises(IndexCorruptError):
        open_index(data, repair=False)  # not allowed to repair: the complete copy is left alone
    assert len(_leftovers(data)) == 1
    lines: list[str] = []
    index = open_index(data, repair=True, progress=lines.append)
    assert index.manifest["corpus"]["files"] == new
    assert len(_damaged(data)) == 1 and _leftovers(data) == []
    assert len(lines) == 1 and "set aside" in lines[0] and "put back" in lines[0]


# -- 3. builds and loaders at the same time -----------------------------------------------


def test_a_swap_while_loading_cannot_mix_two_indexes(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build renames its new copy into place while a loader is half way through the files:
    the loader still reads the one index it opened (through the folder's descriptor)."""
    data, other = tmp_path / "data", tmp_path / "other"
    first = build_index(corpus_copy, data, FakeEmbedder())
    (corpus_copy / "extra.txt").write_text("Extra Profile\n\nDuties\nAn extra profile has a sentence to index.\n", "utf-8")
    second = build_index(corpus_copy, other, FakeEmbedder())
    real_read = store._read_at

    def read_then_swap(dir_fd: int, folder: Path, name: str) -> bytes | None:
        blob = real_read(dir_fd, folder, name)
        if name == "units.jsonl":  # as a build does, between two of the loader's reads
            os.replace(data / "index", data / ".index-old-1-1")
            os.replace(other / "index", data / "index")
        return blob

    monkeypatch.setattr(store, "_read_at", read_then_swap)
    index = load_index(data)
    assert index.manifest == first.manifest and index.units == first.units
    assert len(index.units) != len(second.units) and index.unit_index.ntotal == len(first.units)


def test_two_builds_at_once_both_finish_with_a_valid_index(old_and_new: tuple[Path, Path, dict, dict]) -> None:
    corpus, data, _, new = old_and_new
    first = Child(corpus, data, "replace", 1, "pause-after", tag="first")  # stopped between its renames
    first.wait_paused()
    second = Child(corpus, data, "flock", 1, "signal-before", tag="second")
    second.wait_paused()  # chunked and embedded, and about to wait for the build lock
    first.release()
    assert [first.finish(), second.finish()] == [0, 0], [first.stderr, second.stderr]
    assert load_index(data).manifest["corpus"]["files"] == new
    assert _leftovers(data) == []


def test_a_loader_during_a_build_serves_the_previous_index_and_leaves_the_build_alone(old_and_new: tuple[Path, Path, dict, dict]) -> None:
    corpus, data, old, new = old_and_new
    child = Child(corpus, data, "write_index", 2, "pause-before")  # holds the lock, half a new copy written
    child.wait_paused()
    try:
        lines: list[str] = []
        index = open_index(data, repair=True, progress=lines.append)
        assert index.manifest["corpus"]["files"] == old
        assert len(_leftovers(data)) == 1 and lines == []  # the running build's folder is not touched
    finally:
        child.release()
    assert child.finish() == 0, child.stderr
    assert load_index(data).manifest["corpus"]["files"] == new and _leftovers(data) == []


def test_a_loader_between_the_renames_waits_for_the_build(old_and_new: tuple[Path, Path, dict, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, data, _, new = old_and_new
    child = Child(corpus, data, "replace", 1, "pause-after")  # index/ is renamed away; the new one is not in yet
    child.wait_paused()
    waiting = threading.Event()
    real_flock = store.fcntl.flock

    def flock(fd: int, op: int) -> None:
        if op == store.fcntl.LOCK_EX:  # a blocking wait for the lock
            waiting.set()
        real_flock(fd, op)

    monkeypatch.setattr(store.fcntl, "flock", flock)
    result: dict[str, object] = {}
    lines: list[str] = []

    def load() -> None:
        try:
            result["advisor"] = Advisor.load(_settings(corpus, data, auto_build=True), progress=lines.append)
        except BaseException as exc:  # reported by the assertions below
            result["error"] = exc

    loader = threading.Thread(target=load)
    loader.start()
    try:
        assert waiting.wait(60), result
        assert loader.is_alive() and not (data / "index").exists()  # blocked on the child's lock
    finally:
        child.release()
    loader.join(60)
    assert child.finish() == 0, child.stderr
    assert "error" not in result, result
    assert result["advisor"].index.manifest["corpus"]["files"] == new  # type: ignore[attr-defined]
    assert lines == []  # nothing to repair, nothing rebuilt
    assert _leftovers(data) == []


# -- 4. modes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "folder", "file"), [(0o022, 0o755, 0o644), (0o077, 0o750, 0o640), (0o027, 0o750, 0o640)], ids=["022", "077", "027"])
def test_the_index_is_readable_by_the_group(corpus_copy: Path, tmp_path: Path, umask: int, folder: int, file: int) -> None:
    previous = os.umask(umask)
    try:
        build_index(corpus_copy, tmp_path / "data", FakeEmbedder())
    finally:
        os.umask(previous)
    index = tmp_path / "data" / "index"
    assert oct(index.stat().st_mode & 0o7777) == oct(folder)
    assert {p.name: oct(p.stat().st_mode & 0o7777) for p in index.iterdir()} == {name: oct(file) for name in INDEX_FILES}


def _can_run(*cmd: str) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


LOAD = (
    "import sys; from pathlib import Path; from advisor.engine import Advisor; from advisor.settings import Settings; "
    "a = Advisor.load(Settings(corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), model='fake', auto_build=False)); "
    "print(len(a.index.units))"
)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_another_user_of_the_group_can_serve_the_index(tmp_path: Path) -> None:
    if not _can_run("setpriv", "--reuid=65534", "--regid=0", "--clear-groups", "true"):
        pytest.skip("setpriv cannot switch users here")
    # the other user runs this checkout's code: it must be able to import it (a clone in a
    # private home folder, or under `mktemp -d`, is not readable by others)
    if not _can_run("setpriv", "--reuid=65534", "--regid=0", "--clear-groups", sys.executable, "-c", "import advisor"):
        pytest.skip(f"user 65534 (group root) cannot read this checkout at {ROOT}, so it cannot import advisor from it")
    base = Path(tempfile.mkdtemp(prefix="advisor-group-"))  # pytest's own folders are 0700
    try:
        os.chmod(base, 0o750)  # group root (the builder's) may enter, others may not
        corpus = copy_fixture_corpus(base / "corpus")
        index = build_index(corpus, base / "data", FakeEmbedder())
        run = subprocess.run(["setpriv", "--reuid=65534", "--regid=0", "--clear-groups", sys.executable, "-c", LOAD, str(corpus), str(base / "data")],
                             cwd="/", capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == str(len(index.units))
    finally:
        shutil.rmtree(base)


# -- 5. read-only data folder --------------------------------------------------------------


def test_loading_a_valid_index_writes_nothing(corpus_copy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    (data / ".build.lock").unlink()

    def state() -> dict[str, int]:
        return {str(p.relative_to(data)): p.stat().st_mtime_ns for p in [data, *data.rglob("*")]}

    before = state()
    Advisor.load(_settings(corpus_copy, data, auto_build=True))
    assert state() == before  # no lock file, no folder, no rename


class ReadOnly:
    """Every write call the store makes fails as on a read-only file system."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real_open = os.open

        def fail(name: str) -> Callable[..., None]:
            def raiser(*args: object, **kwargs: object) -> None:
                self.calls.append(name)
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(args[0]) if args else "")
            return raiser

        def open_(path: object, flags: int, *args: object, **kwargs: object) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                fail("open")(path)
            return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", open_)
        for owner, name in [(os, "replace"), (os, "rename"), (os, "mkdir"), (os, "unlink"), (os, "rmdir"), (shutil, "rmtree"), (tempfile, "mkdtemp")]:
            monkeypatch.setattr(owner, name, fail(name))


def _readonly_cases(corpus: Path, data: Path) -> dict[str, Callable[[], None]]:
    """Each makes one index state that loading must repair (or rebuild) to serve."""

    def missing_with_a_copy() -> None:
        (data / "index").rename(data / ".index-old-1-1")

    def damaged() -> None:
        _flip(data / "index" / "units.faiss")

    def stale() -> None:
        (corpus / "extra.txt").write_text("Extra Profile\n\nDuties\nAn extra profile has a sentence to index.\n", "utf-8")

    return {"missing_with_a_copy": missing_with_a_copy, "damaged": damaged, "stale": stale}


@pytest.mark.parametrize("case", ["missing_with_a_copy", "damaged", "stale"])
def test_a_read_only_data_folder_needing_repair_is_a_clear_error(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    _readonly_cases(corpus_copy, data)[case]()
    ro = ReadOnly(monkeypatch)
    with pytest.raises(SettingsError, match=rf"{re.escape(str(data))} is not writable \(Read-only file system\)") as info:
        Advisor.load(_settings(corpus_copy, data, auto_build=case != "missing_with_a_copy"))
    assert ro.calls and "advisor build" in str(info.value)


def test_a_read_only_data_folder_with_a_valid_index_serves_even_with_leftovers(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    (data / ".index-tmp-dead").mkdir()
    ro = ReadOnly(monkeypatch)
    advisor = Advisor.load(_settings(corpus_copy, data, auto_build=True))
    assert len(advisor.index.documents) == 2
    assert ro.calls == ["open", "rmtree"]  # only the attempt to tidy up, which may fail
    assert _leftovers(data) == [".index-tmp-dead"]


RO_CHILD = r"""
import contextlib, io, json, sys
from advisor.cli import main
out = {}
for name, args in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as got:
        rc = main(args)
    out[name] = [rc, err.getvalue(), got.getvalue()]
print(json.dumps(out))
"""


def test_a_read_only_mount(tmp_path: Path) -> None:
    """The real thing: data/ bind-mounted read-only in a private mount namespace (root may
    write anywhere, a read-only mount stops it too)."""
    if not _can_run("unshare", "--mount", "true"):
        pytest.skip("unshare --mount is not permitted here (needs root or user namespaces)")
    runs: dict[str, list[str]] = {}
    for case in ["fresh", "missing_with_a_copy", "damaged", "stale"]:
        corpus = copy_fixture_corpus(tmp_path / case / "corpus")
        data = tmp_path / case / "data"
        build_index(corpus, data, FakeEmbedder())
        if case != "fresh":
            _readonly_cases(corpus, data)[case]()
        flags = ["--no-build"] if case == "missing_with_a_copy" else []
        runs[case] = ["careers", "--corpus", str(corpus), "--data", str(data), "--model", "fake", *flags]
    script = 'mount --bind -o ro "$1" "$1" && exec "$2" -c "$3" "$4"'
    run = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(tmp_path), sys.executable, RO_CHILD, json.dumps(runs)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["fresh"][0] == 0 and "dental-assistant" in out["fresh"][2]
    for case in ["missing_with_a_copy", "damaged", "stale"]:
        rc, err, _ = out[case]
        assert rc == 1 and err.count("\n") == 1 and "Traceback" not in err, (case, err)  # one line, before any work
        assert err.startswith("advisor: error: ") and "is not writable (Read-only file system)" in err, (case, err)
    assert _leftovers(tmp_path / "missing_with_a_copy" / "data") == [".index-old-1-1"]  # untouched


def test_unreadable_is_not_damage(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A permission error reading the index must not get a valid index set aside."""
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    real_open = os.open

    def denied(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path) == "units.faiss":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(SettingsError, match="cannot be read"):
        Advisor.load(_settings(corpus_copy, data, auto_build=True))
    monkeypatch.undo()
    assert _damaged(data) == [] and load_index(data)


def test_missing_index_without_auto_build_is_still_missing(corpus_copy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / ".index-tmp-dead").mkdir()  # an incomplete copy is no index
    with pytest.raises(IndexMissingError, match="advisor build"):
        Advisor.load(_settings(corpus_copy, data, auto_build=False))
    assert _leftovers(data) == []
    with pytest.raises(IndexMissingError):
        Advisor.load(_settings(corpus_copy, tmp_path / "nowhere", auto_build=False))
    assert not (tmp_path / "nowhere").exists()
