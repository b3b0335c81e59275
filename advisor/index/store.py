"""The index on disk: a folder of vectors, chunks, units and a manifest.

Layout of `<data>/index/`:
    manifest.json      format version, model + weights hash, corpus file hashes,
                       chunker settings, counts, build time, sha256 of every file below
    documents.json     normalised document texts (what offsets point into)
    chunks.jsonl       one Chunk a line
    units.jsonl        one Unit a line (sentences, bullets, Key: Value lines)
    units.faiss        FAISS inner-product index of unit vectors (normalised)
    chunks.faiss       FAISS inner-product index of chunk vectors (normalised)

A build writes a temporary sibling folder and renames it into place, so a crash never
leaves a half index under the real name. Loading checks every file's hash.
"""

from __future__ import annotations

import contextlib
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

from advisor.errors import CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError
from advisor.index.chunking import CHUNKER_VERSION, chunk_corpus
from advisor.index.corpus import corpus_files, file_sha256, load_corpus
from advisor.index.embedder import Embedder
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
    return {p.relative_to(corpus_dir).as_posix(): file_sha256(p) for p in corpus_files(corpus_dir)}


def vocabulary_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """The synonyms files in use (the package's and the corpus's own) and their hashes."""
    return {p.name if p.parent != corpus_dir else f"corpus/{p.name}": file_sha256(p) for p in synonym_files(corpus_dir)}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _build_lock(data_dir: Path) -> Iterator[None]:
    """One build at a time per data folder (two app processes starting together)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
    progress(f"Embedding with {embedder.name}…")
    unit_vecs = _embed(embedder, [unit_embedding_text(u, titles[u.doc_id]) for u in units], previous, show_progress)
    chunk_vecs = _embed(embedder, [chunk_embedding_text(c, titles[c.doc_id]) for c in chunks], previous, show_progress)
    with _build_lock(data_dir):
        tmp = Path(tempfile.mkdtemp(prefix=".index-tmp-", dir=data_dir))
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
    progress(f"Index saved to {data_dir / INDEX_DIRNAME} in {time.perf_counter() - t0:.1f} s.")
    return load_index(data_dir)


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


def _embed(embedder: Embedder, texts: list[str], previous: dict[str, np.ndarray], show_progress: bool) -> np.ndarray:
    keys = [_text_key(t) for t in texts]
    todo = [i for i, k in enumerate(keys) if k not in previous]
    fresh = embedder.encode([texts[i] for i in todo], show_progress=show_progress) if todo else None
    dim = fresh.shape[1] if fresh is not None else (next(iter(previous.values())).shape[0] if previous else 384)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for j, i in enumerate(todo):
        out[i] = fresh[j]  # type: ignore[index]
    for i, k in enumerate(keys):
        if k in previous:
            out[i] = previous[k]
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


def _swap_into_place(tmp: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".index-old-{os.getpid()}-{time.time_ns()}")
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)  # put the previous index back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(data_dir: Path) -> dict[str, Any]:
    folder = data_dir / INDEX_DIRNAME
    path = folder / "manifest.json"
    if not folder.exists():
        raise IndexMissingError(f"No index at {folder}. Run: advisor build")
    if not path.exists():
        raise IndexCorruptError(f"The index at {folder} has no manifest.json (an interrupted copy?). Run: advisor build")
    try:
        manifest = json.loads(path.read_text("utf-8"))
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


def load_index(data_dir: Path) -> CorpusIndex:
    """Load and verify the index; damaged files raise IndexCorruptError, never load."""
    import faiss

    manifest = read_manifest(data_dir)
    folder = data_dir / INDEX_DIRNAME
    for name in _FILES:
        path = folder / name
        if not path.exists():
            raise IndexCorruptError(f"The index at {folder} lacks {name}. Run: advisor build")
        if _sha(path) != manifest["files"].get(name):
            raise IndexCorruptError(f"The index file {path} does not match its manifest (damaged). Run: advisor build")
    try:
        docs = [Document.from_dict(d) for d in json.loads((folder / "documents.json").read_text("utf-8"))]
        chunks = [Chunk.from_dict(json.loads(line)) for line in (folder / "chunks.jsonl").read_text("utf-8").splitlines()]
        units = [Unit.from_dict(json.loads(line)) for line in (folder / "units.jsonl").read_text("utf-8").splitlines()]
        unit_index = faiss.read_index(str(folder / "units.faiss"))
        chunk_index = faiss.read_index(str(folder / "chunks.faiss"))
    except Exception as exc:  # json, KeyError, TypeError, faiss RuntimeError: all mean damage
        raise IndexCorruptError(f"The index at {folder} cannot be read ({type(exc).__name__}). Run: advisor build") from exc
    if unit_index.ntotal != len(units) or chunk_index.ntotal != len(chunks):
        raise IndexCorruptError(f"The index at {folder} has {unit_index.ntotal} vectors for {len(units)} units. Run: advisor build")
    return CorpusIndex(folder, manifest, {d.doc_id: d for d in docs}, chunks, units, unit_index, chunk_index)
