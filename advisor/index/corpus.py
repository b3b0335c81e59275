"""Loading the corpus folder: every .txt, .md and .html file is one career profile.

The career id is the file name without its suffix ("imaging-technologist"), or the path
within the folder when two files share a name. `synonyms.txt` at the top of the folder
is the counselor's vocabulary file, not a profile. Files whose text is identical to an
earlier one (the same page saved twice) are indexed once; their ids become aliases.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from pathlib import Path

from advisor.errors import CorpusError
from advisor.index.converters import SUFFIXES, convert
from advisor.index.structure import Parsed
from advisor.models import Document

log = logging.getLogger(__name__)
SYNONYMS_FILE = "synonyms.txt"
_KINDS = "a .txt, .md or .html profile"


def corpus_files(folder: Path) -> list[Path]:
    """The profile files of a corpus folder, sorted; errors say what to fix."""
    if not folder.exists():
        raise CorpusError(f"Corpus folder {folder} does not exist. Create it with at least {_KINDS}, or pass --corpus DIR.")
    if not folder.is_dir():
        raise CorpusError(f"Corpus path {folder} is not a folder. Pass the folder that holds the profiles with --corpus DIR.")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p != folder / SYNONYMS_FILE
    )
    if not files:
        raise CorpusError(f"Corpus folder {folder} holds no profile ({_KINDS}). Add one there and run: advisor build")
    return files


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def career_ids(files: list[Path], root: Path) -> dict[Path, str]:
    """File stems, or paths without suffix where two files would share a stem."""
    stems = Counter(p.stem for p in files)
    ids = {p: p.stem if stems[p.stem] == 1 else p.relative_to(root).with_suffix("").as_posix() for p in files}
    clash = [i for i, n in Counter(ids.values()).items() if n > 1]
    if clash:
        raise CorpusError(f"Two corpus files share the name {clash[0]!r} (a .txt and a .md?); rename one.")
    return ids


def load_document(path: Path, root: Path, doc_id: str | None = None) -> tuple[Document, Parsed] | None:
    """One document with its structure, or None for a file with no text (skipped with a
    warning). Unreadable files raise CorpusError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"Cannot read corpus file {path}: {exc.strerror or exc}.") from exc
    parsed = convert(path, raw)
    if not parsed.text.strip() or not any(b.kind != "heading" for b in parsed.blocks):
        log.warning("skipping %s: it holds no text to quote", path)
        return None
    rel = path.relative_to(root).as_posix()
    doc = Document(
        doc_id=doc_id or path.stem,
        title=parsed.title,
        path=rel,
        text=parsed.text,
        sha256=hashlib.sha256(raw).hexdigest(),
        source_lines=parsed.source_lines,
    )
    return doc, parsed


def load_corpus(folder: Path) -> list[tuple[Document, Parsed]]:
    files = corpus_files(folder)
    ids = career_ids(files, folder)
    loaded = [d for d in (load_document(p, folder, ids[p]) for p in files) if d is not None]
    if not loaded:
        raise CorpusError(f"Every profile in corpus folder {folder} is empty. Add a profile with some text, then run: advisor build")
    return dedupe_documents(loaded)


def dedupe_documents(loaded: list[tuple[Document, Parsed]]) -> list[tuple[Document, Parsed]]:
    """Identical texts are one career: the one with the shortest id is kept, the others
    become its aliases (a career pinned by an alias id still finds it)."""
    by_text: dict[str, list[tuple[Document, Parsed]]] = {}
    for d, p in loaded:
        by_text.setdefault(hashlib.sha256(d.text.encode("utf-8")).hexdigest(), []).append((d, p))
    keep: dict[str, tuple[Document, Parsed]] = {}
    for same in by_text.values():
        same.sort(key=lambda dp: (len(dp[0].doc_id), dp[0].doc_id))
        doc, parsed = same[0]
        aliases = tuple(d.doc_id for d, _ in same[1:])
        if aliases:
            log.info("%s: identical to %s, indexed once", ", ".join(d.path for d, _ in same[1:]), doc.path)
        keep[doc.doc_id] = (Document(**{**doc.__dict__, "aliases": aliases}), parsed)
    out = [keep[d.doc_id] for d, _ in loaded if d.doc_id in keep]
    if len(out) < len(loaded):
        log.info("loaded %d documents (%d identical copies indexed once)", len(out), len(loaded) - len(out))
    return out
