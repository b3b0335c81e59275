"""Loading the corpus folder: every .txt, .md and .html file is one career profile.

The career id is the file name without its suffix ("imaging-technologist"), or the path
within the folder when two files share a name. `synonyms.txt` at the top of the folder
is the counselor's vocabulary file, and `careers.csv` there sets careers' titles and other
names (see `read_careers_csv`); neither is a profile, nor is a folder's README, SOURCES,
LICENSE or CHANGELOG file. Files whose text is identical to an earlier one (the same page
saved twice) are indexed once; their ids become aliases. A file whose converter found no
profile in it (an error page, a sign-in wall, a page of links) is skipped with a warning
that says why.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from advisor.errors import CorpusError
from advisor.index.converters import SUFFIXES, convert
from advisor.index.structure import Parsed
from advisor.models import Document

log = logging.getLogger(__name__)
SYNONYMS_FILE = "synonyms.txt"
CAREERS_FILE = "careers.csv"
_KINDS = "a .txt, .md or .html profile"
_FOLDER_DOCS = re.compile(r"^(?:readme|sources|licen[cs]e|changelog|notice|copying)$", re.I)


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
        and p != folder / SYNONYMS_FILE and not _FOLDER_DOCS.match(p.stem)
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


def load_document(path: Path, root: Path, doc_id: str | None = None,
                  overrides: dict[str, CareerNames] | None = None) -> tuple[Document, Parsed] | None:
    """One document with its structure, or None for a file with no profile in it (skipped
    with a warning saying why). Unreadable files raise CorpusError naming the file.
    `overrides`: what `careers.csv` says, by path in the folder."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"Cannot read corpus file {path}: {exc.strerror or exc}.") from exc
    parsed = convert(path, raw)
    if parsed.skipped:
        log.warning("skipping %s: no profile found in it: %s", path, parsed.skipped)
        return None
    if not parsed.text.strip() or not any(b.kind != "heading" for b in parsed.blocks):
        log.warning("skipping %s: it holds no text to quote", path)
        return None
    rel = path.relative_to(root).as_posix()
    given = (overrides or {}).get(rel)
    title = given.title if given is not None and given.title else parsed.title
    names = ((given.names if given is not None else ()) + parsed.names + ((parsed.title,) if title != parsed.title else ()))
    doc = Document(
        doc_id=doc_id or path.stem,
        title=title,
        path=rel,
        text=parsed.text,
        sha256=hashlib.sha256(raw).hexdigest(),
        source_lines=parsed.source_lines,
        names=tuple(dict.fromkeys(n for n in names if n.lower() != title.lower())),
    )
    return doc, parsed


@dataclass(frozen=True)
class CareerNames:
    """What `careers.csv` says of one profile file."""

    title: str
    names: tuple[str, ...]


def read_careers_csv(folder: Path, files: list[Path] | None = None) -> dict[str, CareerNames]:
    """The folder's `careers.csv`, by profile path (relative to the folder). Format:

        # comment lines start with "#"
        file,title,names
        nursing-pay.md,Nurse,staff nurse; ward nurse
        saved/plumber.html,,pipe fitter

    `file` is a profile's path in the folder (or its file name, when that is unique);
    `title` (may be empty: the profile's own title stays) is the career's title; `names`
    are other names a student may give it, separated by ";". A bad line raises CorpusError
    naming the file and line. No file: an empty mapping."""
    path = folder / CAREERS_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"Cannot read {path}: {exc}. Save it as UTF-8 text.") from exc
    files = corpus_files(folder) if files is None else files
    by_rel = {p.relative_to(folder).as_posix(): p for p in files}
    by_name: dict[str, list[str]] = {}
    for rel in by_rel:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    out: dict[str, CareerNames] = {}
    header: list[str] | None = None
    rows = csv.reader(io.StringIO(text))
    for row in rows:
        n = rows.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        where = f"{path}:{n}"
        if header is None:
            header = [c.lower() for c in cells]
            if header[:1] != ["file"] or not set(header[1:]) <= {"title", "names"} or len(set(header)) != len(header) or len(header) < 2:
                raise CorpusError(f"{where}: the first line must name the columns, e.g. 'file,title,names' (got {','.join(cells)!r}).")
            continue
        if len(cells) > len(header):
            raise CorpusError(f"{where}: {len(cells)} cells for {len(header)} columns ({','.join(header)}); quote a cell that holds a comma.")
        rec = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        name = rec["file"]
        rel = name if name in by_rel else (by_name.get(name, [""])[0] if len(by_name.get(name, [])) == 1 else "")
        if not name:
            raise CorpusError(f"{where}: the file cell is empty; give a profile's file name.")
        if not rel:
            hint = " (two profiles have that name; give its path in the folder)" if len(by_name.get(name, [])) > 1 else ""
            raise CorpusError(f"{where}: no profile {name!r} in {folder}{hint}. Use a file name that `advisor build` indexes.")
        if rel in out:
            raise CorpusError(f"{where}: {name!r} is listed twice; give each profile one line.")
        names = tuple(x.strip() for x in rec.get("names", "").split(";") if x.strip())
        title = " ".join(rec.get("title", "").split())
        if not title and not names:
            raise CorpusError(f"{where}: neither a title nor names for {name!r}; give one, or remove the line.")
        out[rel] = CareerNames(title, names)
    return out


def load_corpus(folder: Path) -> list[tuple[Document, Parsed]]:
    files = corpus_files(folder)
    ids = career_ids(files, folder)
    overrides = read_careers_csv(folder, files)
    loaded = [d for d in (load_document(p, folder, ids[p], overrides) for p in files) if d is not None]
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
