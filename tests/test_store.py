"""The index on disk: round trip, manifest, checked load, staleness, atomic builds."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import faiss
import pytest

from advisor.engine import Advisor
from advisor.errors import CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError
from advisor.index import store
from advisor.index.chunking import CHUNKER_VERSION, chunk_corpus
from advisor.index.corpus import file_sha256, load_corpus
from advisor.index.embedder import FakeEmbedder
from advisor.index.store import FORMAT_VERSION, build_index, check_fresh, load_index, read_manifest
from advisor.settings import Settings

FAKE = FakeEmbedder().name


@pytest.fixture
def built(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    build_index(corpus_copy, data, FakeEmbedder())
    return corpus_copy, data


def _flip_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset % len(raw)] ^= 0x01
    path.write_bytes(bytes(raw))


def _leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir() if p.name.startswith((".index-tmp-", ".index-old-")))


def test_build_then_load_round_trips(built: tuple[Path, Path]) -> None:
    corpus, data = built
    index = load_index(data)
    _, chunks, units = chunk_corpus(load_corpus(corpus))
    assert index.units == units
    assert index.chunks == chunks
    assert set(index.documents) == {"dental-assistant", "pharmacy-tech"}
    assert index.unit_index.ntotal == len(units) and index.chunk_index.ntotal == len(chunks)
    # The stored vectors are the embedder's: a unit's own embedding text finds it first.
    titles = {d: doc.title for d, doc in index.documents.items()}
    u = units[5]
    vec = FakeEmbedder().encode([store.unit_embedding_text(u, titles[u.doc_id])])[0]
    scores, rows = index.search_units(vec, 3)
    assert rows[0] == 5 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_manifest_describes_the_build(built: tuple[Path, Path]) -> None:
    corpus, data = built
    manifest = json.loads((data / "index" / "manifest.json").read_text("utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["name"] == FAKE
    assert manifest["model"]["weights_sha256"] == FakeEmbedder().weights_hash
    assert manifest["corpus"]["files"] == {
        "dental-assistant.txt": file_sha256(corpus / "dental-assistant.txt"),
        "pharmacy-tech.md": file_sha256(corpus / "pharmacy-tech.md"),
    }
    assert manifest["chunker"]["version"] == CHUNKER_VERSION
    _, chunks, units = chunk_corpus(load_corpus(corpus))
    assert manifest["counts"] == {"documents": 2, "chunks": len(chunks), "units": len(units)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["built_at"])
    assert set(manifest["files"]) == {"documents.json", "chunks.jsonl", "units.jsonl", "units.faiss", "chunks.faiss"}
    assert set(manifest["vocabulary"]) == {"synonyms.txt"}  # the general file; this corpus has none of its own


def test_a_synonyms_file_in_the_corpus_makes_the_index_stale(built: tuple[Path, Path]) -> None:
    corpus, data = built
    check_fresh(read_manifest(data), corpus, FAKE)
    (corpus / "synonyms.txt").write_text("hygienist, tooth cleaner\n", "utf-8")
    with pytest.raises(IndexStaleError, match="synonyms"):
        check_fresh(read_manifest(data), corpus, FAKE)
    build_index(corpus, data, FakeEmbedder())
    assert "corpus/synonyms.txt" in read_manifest(data)["vocabulary"]
    check_fresh(read_manifest(data), corpus, FAKE)


def test_a_careers_csv_makes_the_index_stale(built: tuple[Path, Path]) -> None:
    """The titles and names a counselor sets in careers.csv are part of what the index was built from."""
    corpus, data = built
    (corpus / "careers.csv").write_text("file,title,names\npharmacy-tech.md,Pharmacy Technician,pharmacy assistant\n", "utf-8")
    with pytest.raises(IndexStaleError, match="careers.csv"):
        check_fresh(read_manifest(data), corpus, FAKE)
    build_index(corpus, data, FakeEmbedder())
    check_fresh(read_manifest(data), corpus, FAKE)


def test_a_changed_profile_re_embeds_only_its_changed_text(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, data = built
    embedder = FakeEmbedder()
    seen: list[str] = []
    real_encode = embedder.encode

    def counting(texts: list[str], show_progress: bool = False) -> object:
        seen.extend(texts)
        return real_encode(texts, show_progress)

    monkeypatch.setattr(embedder, "encode", counting)
    build_index(corpus, data, embedder)
    assert seen == []  # nothing changed: every vector reused
    path = corpus / "dental-assistant.txt"
    path.write_text(path.read_text("utf-8").replace("Steady hands and good eyesight", "Steady hands and sharp eyes"), "utf-8")
    index = build_index(corpus, data, embedder)
    assert [t for t in seen if "Steady hands" in t] and all("Steady hands" in t or "Useful Skills" in t for t in seen)
    assert len(seen) <= 2  # the changed bullet and its list
    # the index is the same as one built from scratch
    fresh = build_index(corpus, data.parent / "fresh", FakeEmbedder())
    assert (index.unit_vectors() == fresh.unit_vectors()).all() and (index.chunk_vectors() == fresh.chunk_vectors()).all()

def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="advisor build"):
        load_index(tmp_path / "nothing-here")
    with pytest.raises(IndexMissingError, match="advisor build"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    ("name", "offset"),
    [("units.faiss", 100), ("units.faiss", -1), ("chunks.jsonl", 10), ("units.jsonl", 7), ("documents.json", 3), ("chunks.faiss", 60)],
)
def test_one_flipped_byte_is_refused(built: tuple[Path, Path], name: str, offset: int) -> None:
    _, data = built
    _flip_byte(data / "index" / name, offset)
    with pytest.raises(IndexCorruptError, match="advisor build"):
        load_index(data)


def test_a_missing_index_file_is_refused(built: tuple[Path, Path]) -> None:
    _, data = built
    (data / "index" / "units.jsonl").unlink()
    with pytest.raises(IndexCorruptError, match="units.jsonl"):
        load_index(data)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: b"",
        lambda raw: b"\x00\xff\xfe garbage \x9c",
        lambda raw: b"[1, 2, 3]",
        lambda raw: b'{"format_version": 1}',  # valid JSON, no file hashes
    ],
    ids=["truncated", "empty", "binary", "list", "no-files"],
)
def test_damaged_manifest_is_refused(built: tuple[Path, Path], damage) -> None:
    _, data = built
    path = data / "index" / "manifest.json"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexCorruptError, match="advisor build"):
        load_index(data)


def test_missing_manifest_is_refused(built: tuple[Path, Path]) -> None:
    _, data = built
    (data / "index" / "manifest.json").unlink()
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_index(data)


def test_manifest_with_wrong_types_is_refused(built: tuple[Path, Path]) -> None:
    _, data = built
    path = data / "index" / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["files"] = list(manifest["files"])
    path.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexCorruptError):
        load_index(data)


def test_fresh_index_passes_the_check(built: tuple[Path, Path]) -> None:
    corpus, data = built
    check_fresh(read_manifest(data), corpus, FAKE)


@pytest.mark.parametrize(
    "change",
    [
        lambda corpus: (corpus / "pharmacy-tech.md").write_text((corpus / "pharmacy-tech.md").read_text() + "\nNew line.\n"),
        lambda corpus: (corpus / "extra.txt").write_text("Extra Profile\nSome text here.\n"),
        lambda corpus: (corpus / "pharmacy-tech.md").unlink(),
    ],
    ids=["edited", "added", "removed"],
)
def test_corpus_change_makes_the_index_stale(built: tuple[Path, Path], change) -> None:
    corpus, data = built
    change(corpus)
    with pytest.raises(IndexStaleError, match="advisor build"):
        check_fresh(read_manifest(data), corpus, FAKE)


def test_other_model_makes_the_index_stale(built: tuple[Path, Path]) -> None:
    corpus, data = built
    with pytest.raises(IndexStaleError, match="model"):
        check_fresh(read_manifest(data), corpus, "all-MiniLM-L6-v2")


def test_stale_index_rebuilt_only_with_auto_build(built: tuple[Path, Path]) -> None:
    corpus, data = built
    before = read_manifest(data)
    doc = corpus / "dental-assistant.txt"
    doc.write_bytes(doc.read_bytes().replace(b"46,000 dollars", b"47,000 dollars"))
    settings = Settings(corpus_dir=corpus, data_dir=data, model="fake")
    with pytest.raises(IndexStaleError, match="dental-assistant.txt"):
        Advisor.load(settings, auto_build=False)
    assert read_manifest(data) == before  # refused, not touched
    advisor = Advisor.load(settings)
    after = read_manifest(data)
    assert after["corpus"]["files"]["dental-assistant.txt"] == file_sha256(doc)
    assert after["corpus"]["files"]["dental-assistant.txt"] != before["corpus"]["files"]["dental-assistant.txt"]
    assert after["files"]["documents.json"] != before["files"]["documents.json"]
    assert "47,000 dollars" in advisor.index.documents["dental-assistant"].text
    assert _leftovers(data) == []


def test_missing_index_built_on_load_only_with_auto_build(corpus_copy: Path, tmp_path: Path) -> None:
    settings = Settings(corpus_dir=corpus_copy, data_dir=tmp_path / "data", model="fake", auto_build=False)
    with pytest.raises(IndexMissingError):
        Advisor.load(settings)
    advisor = Advisor.load(settings, auto_build=True)
    assert len(advisor.index.documents) == 2


def _assert_previous_index_intact(data: Path, before: dict) -> None:
    assert read_manifest(data) == before
    index = load_index(data)
    assert index.manifest == before
    assert _leftovers(data) == []


def test_crash_while_writing_vectors_keeps_the_previous_index(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, data = built
    before = read_manifest(data)
    (corpus / "extra.txt").write_text("Extra Profile\nSome more text to index.\n")
    real_write = faiss.write_index
    calls = []

    def write_then_fail(index, path):
        calls.append(path)
        if len(calls) == 2:  # units.faiss is on disk, chunks.faiss fails
            raise RuntimeError("disk full")
        real_write(index, path)

    monkeypatch.setattr(faiss, "write_index", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(corpus, data, FakeEmbedder())
    assert len(calls) == 2
    _assert_previous_index_intact(data, before)


def test_crash_while_embedding_keeps_the_previous_index(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, data = built
    before = read_manifest(data)
    for path in corpus.iterdir():  # new text everywhere, so that the build has to embed
        path.write_text(path.read_text("utf-8").replace("and", "as well as"), "utf-8")
    embedder = FakeEmbedder()
    calls = []
    real_encode = embedder.encode

    def encode_then_fail(texts, show_progress=False):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_encode(texts, show_progress)

    monkeypatch.setattr(embedder, "encode", encode_then_fail)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, data, embedder)
    _assert_previous_index_intact(data, before)


def test_crash_while_swapping_keeps_the_previous_index(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, data = built
    before = read_manifest(data)
    real_replace = os.replace
    calls = []

    def second_replace_fails(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", second_replace_fails)
    with pytest.raises(OSError):
        build_index(corpus, data, FakeEmbedder())
    monkeypatch.setattr(store.os, "replace", real_replace)
    _assert_previous_index_intact(data, before)


def test_empty_corpus_folder(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(CorpusError, match=r"holds no profile \(a \.txt, \.md or \.html profile\)") as info:
        build_index(folder, tmp_path / "data", FakeEmbedder())
    assert str(folder) in str(info.value)
    assert not (tmp_path / "data" / "index").exists()


def test_missing_corpus_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist") as info:
        build_index(tmp_path / "nope", tmp_path / "data", FakeEmbedder())
    assert str(tmp_path / "nope") in str(info.value)


def test_corpus_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "profile.txt"
    path.write_text("Title\nText.\n")
    with pytest.raises(CorpusError, match="not a folder"):
        build_index(path, tmp_path / "data", FakeEmbedder())


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n\t\n", "\ufeff\u200b".encode()], ids=["empty", "blank", "invisible"])
def test_corpus_with_only_an_empty_file(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(content)
    with pytest.raises(CorpusError, match="empty") as info:
        build_index(folder, tmp_path / "data", FakeEmbedder())
    assert str(folder) in str(info.value)


def test_binary_file_in_corpus_is_named(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "photo.md").write_bytes(b"\x89PNG\x00\x00IHDR")
    with pytest.raises(CorpusError, match="photo.md"):
        build_index(corpus_copy, tmp_path / "data", FakeEmbedder())


def test_txt_and_md_with_the_same_name_are_refused(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "pharmacy-tech.txt").write_text("Pharmacy Tech\nAnother profile.\n")
    with pytest.raises(CorpusError, match="pharmacy-tech"):
        build_index(corpus_copy, tmp_path / "data", FakeEmbedder())
