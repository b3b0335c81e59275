"""Loading the corpus folder: every .txt and .md file is one document."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from advisor.errors import CorpusError
from advisor.index.normalize import decode_file, normalize_text
from advisor.models import Document

log = logging.getLogger(__name__)
SUFFIXES = (".txt", ".md")


def corpus_files(folder: Path) -> list[Path]:
    """The document files of a corpus folder, sorted; errors say what to fix."""
    if not folder.exists():
        raise CorpusError(f"Corpus folder {folder} does not exist. Create it with at least one .txt or .md profile, or pass --corpus DIR.")
    if not folder.is_dir():
        raise CorpusError(f"Corpus path {folder} is not a folder. Pass the folder that holds the .txt/.md profiles with --corpus DIR.")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
    if not files:
        raise CorpusError(f"Corpus folder {folder} holds no .txt or .md file. Add a profile there and run: advisor build")
    return files


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _title(path: Path, text: str) -> str:
    if path.suffix.lower() == ".md":
        for line in text.split("\n"):
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem.replace("-", " ").replace("_", " ").strip().title()


def load_document(path: Path, root: Path) -> Document | None:
    """One document, or None for a file with no text (skipped with a warning)."""
    raw = decode_file(path)
    text = normalize_text(raw)
    if not text.strip():
        log.warning("skipping %s: it holds no text", path)
        return None
    rel = path.relative_to(root).as_posix()
    doc_id = rel.rsplit(".", 1)[0]
    return Document(doc_id=doc_id, title=_title(path, text), path=rel, text=text, sha256=file_sha256(path))


def load_corpus(folder: Path) -> list[Document]:
    docs = [d for d in (load_document(p, folder) for p in corpus_files(folder)) if d is not None]
    if not docs:
        raise CorpusError(f"Every file in corpus folder {folder} is empty. Add a profile with some text, then run: advisor build")
    ids = [d.doc_id for d in docs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CorpusError(f"Two corpus files share the name {dupes[0]!r} (a .txt and a .md?); rename one.")
    log.info("loaded %d documents from %s", len(docs), folder)
    return docs
