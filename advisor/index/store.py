"""The index on disk: a folder of vectors, chunks, units and a manifest.

Layout of `<data>/index/`:
    manifest.json      format version, model + weights hash, corpus file hashes,
                       chunker settings, counts, build time, sha256 of every file below
    documents.json     normalised document texts (what offsets point into)
    chunks.jsonl       one Chunk a line
    units.jsonl        one Unit a line (sentences, bullets, Key: Value lines)
    units.faiss        FAISS inner-product index of unit vectors (normalised)
    chunks.faiss       FAISS inner-product index of chunk vectors (normalised)

A build writes a temporary sibling folder (`.index-tmp-*`) and renames it into place,
moving the previous index to `.index-old-*` for the moment between the two renames, so a
crash never leaves a half index under the real name. Loading checks every file's hash;
`open_index` also finishes what a killed build left: it puts back the newest complete copy
when `index/` is missing, removes the leftovers, and (when it may rebuild) moves a damaged
index aside to `.index-damaged-*`. Builds and repairs take `<data>/.build.lock`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError, SettingsError
from advisor.index.chunking import CHUNKER_VERSION, chunk_corpus
from advisor.index.corpus import CAREERS_FILE, corpus_files, file_sha256, load_corpus
from advisor.index.embedder import Embedder
from advisor.index.progress import EmbedProgress
from advisor.models import Chunk, Document, Unit, section_label
from advisor.vocabulary.synonyms import synonym_files

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
EMBEDDING_TEXT = "title-label-v1"  # how a unit is written for the model (unit_embedding_text); a change re-embeds
INDEX_DIRNAME = "index"
_FILES = ("documents.json", "chunks.jsonl", "units.jsonl", "units.faiss", "chunks.faiss")
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def unit_embedding_text(unit: Unit, doc_title: str) -> str:
    """What the model sees for a unit: the career, its place in the document (with a
    table row's caption and header), then its words."""
    context = f"{unit.context} " if unit.context else ""
    return f"{doc_title} — {unit.label}: {context}{unit.text.replace(chr(9), ' ')}"


def chunk_embedding_text(chunk: Chunk, doc_title: str) -> str:
    label = section_label(chunk.section + ((chunk.topic,) if chunk.topic else ()))
    return f"{doc_title} — {label}: {chunk.text.replace(chr(9), ' ')}"


@dataclass
class CorpusIndex:
    """Everything retrieval needs, loaded and checked."""

    folder: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    units: list[Unit]
    unit_index: Any  # faiss.Index
    chunk_index: Any

    def search_units(self, vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Pure vector → (scores, unit rows), best first."""
        return _search(self.unit_index, vec, k)

    def unit_vectors(self) -> np.ndarray:
        """Every unit's vector, one row a unit (read from the FAISS index once)."""
        return _vectors(self.unit_index)

    def chunk_vectors(self) -> np.ndarray:
        return _vectors(self.chunk_index)


def _vectors(index: Any) -> np.ndarray:
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.ascontiguousarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def _search(index: Any, vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    q = np.ascontiguousarray(vec.reshape(1, -1), dtype=np.float32)
    scores, rows = index.search(q, min(k, index.ntotal))
    return scores[0], rows[0]


def _flat_ip(vectors: np.ndarray) -> Any:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """The profile files and `careers.csv` (the titles and names it sets), with their hashes."""
    out = {p.relative_to(corpus_dir).as_posix(): file_sha256(p) for p in corpus_files(corpus_dir)}
    csv = corpus_dir / CAREERS_FILE
    if csv.is_file():
        out[CAREERS_FILE] = file_sha256(csv)
    return out


def vocabulary_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """The synonyms files in use (the package's and the corpus's own) and their hashes."""
    return {p.name if p.parent != corpus_dir else f"corpus/{p.name}": file_sha256(p) for p in synonym_files(corpus_dir)}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_LOCK_NAME = ".build.lock"
_LEFTOVER_PREFIXES = (".index-tmp-", ".index-old-")  # a build's new copy, the index it replaces
_DAMAGED_PREFIX = ".index-damaged-"
KEEP_DAMAGED = 2  # damaged indexes kept for a look (older ones are removed)


def _cannot_write(exc: OSError) -> bool:
    return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def _not_writable(data_dir: Path, need: str, exc: OSError) -> SettingsError:
    return SettingsError(
        f"{need}, but {data_dir} is not writable ({exc.strerror}). Make it writable, or set --data / ADVISOR_DATA "
        "to a writable folder, and start again (or run: advisor build)"
    )


def ensure_writable(data_dir: Path, need: str) -> None:
    """Raise SettingsError (saying `need`) when an index could not be saved in `data_dir`,
    before a build spends time embedding."""
    folder = data_dir
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):  # access() also reports a read-only mount
        err = errno.EROFS if os.statvfs(folder).f_flag & os.ST_RDONLY else errno.EACCES
        raise _not_writable(data_dir, need, OSError(err, os.strerror(err)))


def _open_lock(data_dir: Path) -> int:
    path = data_dir / _LOCK_NAME
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if not _cannot_write(exc) or not path.exists():
            raise
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # another user's lock file: flock works read-only too


@contextlib.contextmanager
def _lock(data_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Hold `<data>/.build.lock`, which every build and repair takes. Yields False (holding
    nothing) when `wait` is off and a build holds it. The lock dies with its process."""
    fd = _open_lock(data_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _build_lock(data_dir: Path) -> Iterator[None]:
    """One build at a time per data folder (two app processes starting together)."""
    with contextlib.ExitStack() as stack:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(_lock(data_dir))
        except OSError as exc:
            if _cannot_write(exc):
                raise _not_writable(data_dir, "The index has to be built", exc) from exc
            raise
        yield


def build_index(
    corpus_dir: Path,
    data_dir: Path,
    embedder: Embedder,
    progress: Progress = _quiet,
    show_progress: bool = False,
) -> CorpusIndex:
    """Read the corpus, chunk it, embed it and save the index atomically."""
    import faiss

    t0 = time.perf_counter()
    docs, chunks, units = chunk_corpus(load_corpus(corpus_dir))
    if not units:
        raise CorpusError(f"Corpus folder {corpus_dir} has no text to index. Add a profile with some sentences.")
    titles = {d.doc_id: d.title for d in docs}
    progress(f"Chunked {len(docs)} document(s) into {len(chunks)} chunks and {len(units)} sentences/bullets.")
    previous = _previous_vectors(data_dir, embedder)
    embedder.prepare(data_dir, progress)  # the ONNX export, made once (~10 s) and kept in the data folder
    progress(f"Embedding with {embedder.name}…")
    texts = [unit_embedding_text(u, titles[u.doc_id]) for u in units] + [chunk_embedding_text(c, titles[c.doc_id]) for c in chunks]
    vecs = _embed(embedder, texts, previous, show_progress, progress, [u.doc_id for u in units] + [c.doc_id for c in chunks])
    unit_vecs, chunk_vecs = vecs[: len(units)], vecs[len(units) :]
    with _build_lock(data_dir):
        tmp = _new_tmp(data_dir)
        try:
            (tmp / "documents.json").write_text(json.dumps([d.to_dict() for d in docs], ensure_ascii=False), "utf-8")
            (tmp / "chunks.jsonl").write_text("".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks), "utf-8")
            (tmp / "units.jsonl").write_text("".join(json.dumps(u.to_dict(), ensure_ascii=False) + "\n" for u in units), "utf-8")
            faiss.write_index(_flat_ip(unit_vecs), str(tmp / "units.faiss"))
            faiss.write_index(_flat_ip(chunk_vecs), str(tmp / "chunks.faiss"))
            manifest = {
                "format_version": FORMAT_VERSION,
                "model": {"name": embedder.name, "weights_sha256": embedder.weights_hash, "dim": int(unit_vecs.shape[1])},
                "corpus": {"folder": str(corpus_dir), "files": corpus_fingerprint(corpus_dir)},
                "vocabulary": vocabulary_fingerprint(corpus_dir),
                "chunker": {"version": CHUNKER_VERSION, "embedding_text": EMBEDDING_TEXT},
                "counts": {"documents": len(docs), "chunks": len(chunks), "units": len(units)},
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": round(time.perf_counter() - t0, 3),
                "files": {name: _sha(tmp / name) for name in _FILES},
            }
            _write_synced(tmp / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            for name in _FILES:
                _fsync(tmp / name)
            _swap_into_place(tmp, data_dir / INDEX_DIRNAME)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with contextlib.suppress(OSError):  # of builds killed earlier: under the lock no other build is writing
            _remove_leftovers(data_dir)
        index = load_index(data_dir)  # under the lock, so that a second build's swap cannot be seen half done
    progress(f"Index saved to {data_dir / INDEX_DIRNAME} in {time.perf_counter() - t0:.1f} s.")
    return index


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _previous_vectors(data_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the index being replaced, by the hash of the text they embed, so an
    unchanged document is not embedded again. Empty when there is no usable index or it
    was built with another model."""
    try:
        old = load_index(data_dir)
    except Exception:  # missing, stale format or damaged: embed everything
        return {}
    model = old.manifest.get("model", {})
    if model.get("name") != embedder.name or model.get("weights_sha256") != embedder.weights_hash:
        return {}
    if old.manifest.get("chunker", {}).get("embedding_text") != EMBEDDING_TEXT:  # its vectors embed other texts
        return {}
    titles = {d: doc.title for d, doc in old.documents.items()}
    out: dict[str, np.ndarray] = {}
    for u, v in zip(old.units, old.unit_vectors(), strict=True):
        out[_text_key(unit_embedding_text(u, titles[u.doc_id]))] = v
    for c, v in zip(old.chunks, old.chunk_vectors(), strict=True):
        out[_text_key(chunk_embedding_text(c, titles[c.doc_id]))] = v
    return out


EMBED_GROUP = 1024  # texts (of whole documents) sorted by length together: batches of like lengths pad little
EMBED_SLICE = 32  # texts handed to the embedder at a time: how often progress can be told


def _embed(embedder: Embedder, texts: list[str], previous: dict[str, np.ndarray], show_progress: bool = False,
           progress: Progress = _quiet, doc_ids: list[str] | None = None) -> np.ndarray:
    """Vectors of `texts`: those of `previous` by text hash, the others embedded, each
    distinct text once (a one-sentence chunk's text is its sentence's). Whole documents
    (`doc_ids`, one a text) are taken ~EMBED_GROUP texts at a time and sorted by length
    (padding 5 % over the exact token count on the catalogue, against 15 % unsorted),
    then embedded EMBED_SLICE texts a call, telling `progress` how far it has got."""
    keys = [_text_key(t) for t in texts]
    first: dict[str, int] = {}  # each text to embed → where it first appears
    for i, k in enumerate(keys):
        if k not in previous and k not in first:
            first[k] = i
    by_doc: dict[str, list[int]] = {}
    for i in first.values():
        by_doc.setdefault(doc_ids[i] if doc_ids else "", []).append(i)
    fresh: dict[str, np.ndarray] = {}
    if first:
        tracker = EmbedProgress(progress, len(by_doc), len(first), len(set(keys) - set(first)), redraw=show_progress)
        docs = list(by_doc.values())
        group: list[int] = []
        for n, rows in enumerate(docs):
            group += rows
            if len(group) < EMBED_GROUP and n < len(docs) - 1:
                continue
            group.sort(key=lambda i: len(texts[i]))
            for at in range(0, len(group), EMBED_SLICE):
                part = group[at : at + EMBED_SLICE]
                for i, v in zip(part, embedder.encode([texts[i] for i in part]), strict=True):
                    fresh[keys[i]] = v
                last = at + EMBED_SLICE >= len(group)  # the group's documents are done
                tracker.advance(n + 1 - tracker.documents_done if last else 0, len(part))
            group = []
    elif previous:
        progress(f"Embedding: nothing new; the previous index's vectors serve all {len(texts)} texts.")
    any_vec = next(iter(fresh.values()), None) if fresh else next(iter(previous.values()), None)
    out = np.zeros((len(texts), any_vec.shape[0] if any_vec is not None else 384), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = fresh[k] if k in fresh else previous[k]
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, renames) durable; some file systems refuse it."""
    with contextlib.suppress(OSError):
        _fsync(path)


def _umask() -> int:
    """The process umask, read without setting it (Linux shows it in /proc)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _share(folder: Path) -> None:
    """Give the new index the modes the umask asks for (mkdtemp makes 0700), and never less
    than group-readable: the server may run as another user of the builder's group."""
    mask = _umask()
    for path in folder.iterdir():
        os.chmod(path, (0o666 & ~mask) | 0o640)
    os.chmod(folder, (0o777 & ~mask) | 0o750)


def _new_tmp(data_dir: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=_LEFTOVER_PREFIXES[0], dir=data_dir))
    except OSError as exc:
        if _cannot_write(exc):
            raise _not_writable(data_dir, "The index has to be built", exc) from exc
        raise


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished `tmp` to `target`. Between the two renames there is no `target`;
    a process killed there leaves both complete copies, and `open_index` puts one back."""
    _share(tmp)
    _fsync_dir(tmp)
    old = None
    if target.exists():
        old = target.with_name(f"{_LEFTOVER_PREFIXES[1]}{os.getpid()}-{time.time_ns()}")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)  # put the previous index back
        raise
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _leftovers(data_dir: Path) -> list[Path]:
    """What killed builds leave: `.index-tmp-*` and `.index-old-*` (live ones only while
    their build holds the lock)."""
    try:
        return sorted(p for p in data_dir.iterdir() if p.name.startswith(_LEFTOVER_PREFIXES))
    except OSError:
        return []


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _remove_leftovers(data_dir: Path) -> list[str]:
    """Remove every leftover; call it holding the lock. Returns their names."""
    names = []
    for path in _leftovers(data_dir):
        _remove(path)
        names.append(path.name)
    return names


def _parse_manifest(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(raw.decode("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not an index manifest")
        for key in ("files", "corpus", "model", "chunker", "counts"):
            if not isinstance(manifest.get(key), dict):
                raise ValueError(f"{key!r} is missing or not an object")
        if not isinstance(manifest["corpus"].get("files"), dict):
            raise ValueError("'corpus.files' is missing or not an object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is damaged ({exc}). Run: advisor build") from exc
    return manifest


def read_manifest(data_dir: Path) -> dict[str, Any]:
    folder = data_dir / INDEX_DIRNAME
    path = folder / "manifest.json"
    if not folder.exists():
        raise IndexMissingError(f"No index at {folder}. Run: advisor build")
    if not path.exists():
        raise IndexCorruptError(f"The index at {folder} has no manifest.json (an interrupted copy?). Run: advisor build")
    return _parse_manifest(path.read_bytes(), path)


def check_fresh(manifest: dict[str, Any], corpus_dir: Path, model_name: str) -> None:
    """Raise IndexStaleError when the index was built from another corpus or settings."""
    folder = manifest.get("corpus", {}).get("folder", "?")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexStaleError(f"The index has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}. Run: advisor build")
    if manifest.get("chunker", {}).get("version") != CHUNKER_VERSION or manifest.get("chunker", {}).get("embedding_text") != EMBEDDING_TEXT:
        raise IndexStaleError("The index was built with other chunker settings. Run: advisor build")
    if manifest.get("model", {}).get("name") != model_name:
        raise IndexStaleError(
            f"The index was built with model {manifest.get('model', {}).get('name')!r}, the settings ask for {model_name!r}. Run: advisor build"
        )
    if manifest.get("vocabulary", {}) != vocabulary_fingerprint(corpus_dir):
        raise IndexStaleError("A synonyms file changed since the index was built. Run: advisor build")
    now = corpus_fingerprint(corpus_dir)
    then = manifest.get("corpus", {}).get("files", {})
    if now != then:
        changed = sorted(set(now) ^ set(then) | {k for k in now if k in then and now[k] != then[k]})
        raise IndexStaleError(
            f"The corpus changed since the index was built from {folder} ({', '.join(changed[:3])}). Run: advisor build"
        )


def _unreadable(folder: Path, exc: OSError) -> SettingsError:
    return SettingsError(f"The index at {folder} cannot be read ({exc.strerror}). Give this user read access to it, or set --data / ADVISOR_DATA")


def _read_at(dir_fd: int, folder: Path, name: str) -> bytes | None:
    """A file of the folder opened through its descriptor (None when it is absent)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise _unreadable(folder, exc) from exc
    try:
        with open(fd, "rb") as fh:
            return fh.read()
    except OSError as exc:  # a folder where a file should be, an I/O error
        raise IndexCorruptError(f"The index file {folder / name} cannot be read ({exc.strerror}). Run: advisor build") from exc


def _read_checked(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the bytes of every file, each checked against the manifest's hash.

    Everything is read through one descriptor of the folder, so a build renaming another
    folder into its place meanwhile cannot mix two indexes; the bytes checked are the bytes
    parsed."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise IndexMissingError(f"No index at {folder}. Run: advisor build") from None
    except NotADirectoryError:
        raise IndexCorruptError(f"The index at {folder} is a file, not a folder. Run: advisor build") from None
    except PermissionError as exc:
        raise _unreadable(folder, exc) from exc
    try:
        raw = _read_at(dir_fd, folder, "manifest.json")
        if raw is None:
            raise IndexCorruptError(f"The index at {folder} has no manifest.json (an interrupted copy?). Run: advisor build")
        manifest = _parse_manifest(raw, folder / "manifest.json")
        blobs = {}
        for name in _FILES:
            blob = _read_at(dir_fd, folder, name)
            if blob is None:
                raise IndexCorruptError(f"The index at {folder} lacks {name}. Run: advisor build")
            if hashlib.sha256(blob).hexdigest() != manifest["files"].get(name):
                raise IndexCorruptError(f"The index file {folder / name} does not match its manifest (damaged). Run: advisor build")
            blobs[name] = blob
    finally:
        os.close(dir_fd)
    return manifest, blobs


def load_index(data_dir: Path) -> CorpusIndex:
    """Load and verify the index; damaged files raise IndexCorruptError, never load.
    Writes nothing (see `open_index` for the repairs)."""
    return _load_folder(data_dir / INDEX_DIRNAME)


def _load_folder(folder: Path) -> CorpusIndex:
    import faiss

    manifest, blobs = _read_checked(folder)
    try:
        docs = [Document.from_dict(d) for d in json.loads(blobs["documents.json"].decode("utf-8"))]
        chunks = [Chunk.from_dict(json.loads(line)) for line in blobs["chunks.jsonl"].decode("utf-8").splitlines()]
        units = [Unit.from_dict(json.loads(line)) for line in blobs["units.jsonl"].decode("utf-8").splitlines()]
        unit_index = faiss.deserialize_index(np.frombuffer(blobs["units.faiss"], dtype=np.uint8))
        chunk_index = faiss.deserialize_index(np.frombuffer(blobs["chunks.faiss"], dtype=np.uint8))
    except Exception as exc:  # json, KeyError, TypeError, faiss RuntimeError: all mean damage
        raise IndexCorruptError(f"The index at {folder} cannot be read ({type(exc).__name__}). Run: advisor build") from exc
    if unit_index.ntotal != len(units) or chunk_index.ntotal != len(chunks):
        raise IndexCorruptError(f"The index at {folder} has {unit_index.ntotal} vectors for {len(units)} units. Run: advisor build")
    return CorpusIndex(folder, manifest, {d.doc_id: d for d in docs}, chunks, units, unit_index, chunk_index)


# -- repairs ------------------------------------------------------------------------------


class IndexSetAsideError(IndexMissingError):
    """The index was damaged and `open_index(repair=True)` moved it aside: build a new one."""


def _warn(msg: str) -> None:
    log.warning("%s", msg)


def open_index(data_dir: Path, *, repair: bool = False, progress: Progress = _warn) -> CorpusIndex:
    """Load the index, first finishing what an interrupted build left in `data_dir`.

    A valid index with nothing left beside it is loaded without writing anything. Otherwise,
    holding the build lock (so after any running build): leftovers of killed builds are
    removed; a missing or incomplete `index/` is replaced by the newest complete, verified
    copy a killed swap left; with `repair`, a damaged index is moved to
    `.index-damaged-<time>` (the last KEEP_DAMAGED are kept) and IndexSetAsideError asks
    for a build. Each repair is one `progress` line. Without `repair` a damaged index raises
    IndexCorruptError and nothing is moved.

        index = open_index(Path("data"), repair=True, progress=print)
    """
    try:
        index = load_index(data_dir)
    except (IndexMissingError, IndexCorruptError):
        if not data_dir.is_dir():
            raise
    else:
        if _leftovers(data_dir):
            _tidy(data_dir, progress)
        return index
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(_lock(data_dir))  # waits for a running build to finish
        except OSError as exc:  # no lock file and no right to make one: nobody can be building here
            if not _cannot_write(exc):
                raise
        return _repair(data_dir, repair, progress)


def _tidy(data_dir: Path, progress: Progress) -> None:
    """Remove leftovers beside a valid index, unless a build is running (they may be its)."""
    try:
        with _lock(data_dir, wait=False) as held:
            if held:
                _remove_and_say(data_dir, progress)
    except OSError as exc:  # a read-only folder: serve the valid index all the same
        log.warning("Could not remove what an interrupted build left in %s: %s", data_dir, exc)


def _remove_and_say(data_dir: Path, progress: Progress) -> None:
    """Remove the leftovers (holding the lock), in one progress line; never fails."""
    try:
        names = _remove_leftovers(data_dir)
    except OSError as exc:
        log.warning("Could not remove what an interrupted build left in %s: %s", data_dir, exc)
        return
    if names:
        progress(f"Removed {', '.join(names)}, left in {data_dir} by an interrupted index build.")


def _repair(data_dir: Path, repair: bool, progress: Progress) -> CorpusIndex:
    """The body of `open_index` once the lock is held: the index is now as builds left it."""
    folder = data_dir / INDEX_DIRNAME
    try:
        index = load_index(data_dir)  # a build we waited for may have put a good one in place
    except IndexMissingError as exc:
        error: IndexMissingError | IndexCorruptError = exc
    except IndexCorruptError as exc:
        error = exc
    else:
        _remove_and_say(data_dir, progress)
        return index
    missing = isinstance(error, IndexMissingError)
    incomplete = not missing and folder.is_dir() and not all((folder / n).is_file() for n in ("manifest.json", *_FILES))
    copies = _complete_copies(data_dir)
    restore = copies[0] if copies and (missing or incomplete or repair) else None
    if restore is None and missing:
        _remove_and_say(data_dir, progress)  # nothing complete among them
        raise error
    if restore is None and not repair:
        raise error  # damaged, and no rebuild allowed: say so and move nothing
    reason = str(error).replace(" Run: advisor build", "").rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    try:
        aside = None if missing else _set_aside(folder)
        if restore is not None:
            os.replace(restore, folder)
            _fsync_dir(data_dir)
            _share(folder)  # a copy killed before its swap may still be mkdtemp's 0700
    except OSError as exc:
        if _cannot_write(exc):
            need = f"The index needs repair ({reason}{'; a complete copy is left to put back' if restore else ''})"
            raise _not_writable(data_dir, need, exc) from exc
        raise
    removed = _remove_leftovers(data_dir)
    what = [f"the damaged index ({reason}) is set aside as {aside.name}"] if aside else []
    what += [f"put back the complete copy {restore.name} an interrupted build left"] if restore else []
    what += [f"removed {', '.join(removed)}"] if removed else []
    if restore is None:
        raise IndexSetAsideError("; ".join(what) + ".")
    progress(f"Repaired the index at {folder}: {'; '.join(what)}.")
    return load_index(data_dir)


def _complete_copies(data_dir: Path) -> list[Path]:
    """Leftovers that are whole verified indexes, newest first: by build time, then a new
    copy (`.index-tmp-*`) before the index it was replacing (`.index-old-*`)."""
    found = []
    for path in _leftovers(data_dir):
        try:
            built = str(_load_folder(path).manifest.get("built_at", ""))
        except (IndexMissingError, IndexCorruptError, SettingsError):
            continue
        found.append((built, path.name.startswith(_LEFTOVER_PREFIXES[0]), (path / "manifest.json").stat().st_mtime_ns, path))
    return [path for *_, path in sorted(found, key=lambda f: f[:3], reverse=True)]


def _set_aside(folder: Path) -> Path:
    """Rename a damaged index to `.index-damaged-<UTC time>`, keeping the last KEEP_DAMAGED."""
    now = time.time_ns()  # one reading: the second and its nanoseconds always agree, so names sort by time
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now // 10**9))
    aside = folder.with_name(f"{_DAMAGED_PREFIX}{stamp}-{now % 10**9:09d}")
    os.replace(folder, aside)
    damaged = sorted(p for p in folder.parent.iterdir() if p.name.startswith(_DAMAGED_PREFIX))
    for old in damaged[:-KEEP_DAMAGED]:
        _remove(old)
    return aside
