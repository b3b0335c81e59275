"""Paths and checks shared by the core test modules (imported as `core_support`).

Kept out of conftest.py so that test modules can import it by name even when another
conftest.py (tests/web/) is loaded in the same run.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from advisor.models import Answer, Document

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURE_CORPUS = TESTS / "data" / "corpus"
OOH_CORPUS = TESTS / "data" / "ooh"  # two real OOH profiles (public domain), copied unedited
SHARED_PROFILES = ROOT.parent / "shared" / "profiles"
REAL_CORPUS = ROOT / "corpus"
REAL_PROFILE = REAL_CORPUS / "imaging-technologist.txt"
DEV_SET = ROOT / "eval" / "dev.jsonl"

_MARKED = re.compile(r"(.*?)\s*\[(\d+)\]")

# A process that logs N questions (rating every tenth) to a question store as soon as the
# file argv[4] exists, then prints how many it dropped and its status. `{store}` opens the
# store from `where` (argv[1]): a file path, or a PostgreSQL URL (`{imports}` what it needs).
_WRITER = """
import sys, time
from pathlib import Path
{imports}
from advisor.records.store import QuestionRecord, RecordsStore, stamp, utc_now
where, n, k, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
store = {store}
while not go.exists():
    time.sleep(0.01)  # all start writing together
for i in range(n):
    r = QuestionRecord(stamp(utc_now()), "api", f"w{{k}}-q{{i}}", "", ("c",), "answer", "", 1.0, (), (), 1.0, f"w{{k}}-{{i}}")
    store.log(r)
    if i % 10 == 0:
        store.rate(i % 20 == 0, f"w{{k}}-q{{i}}", "a", [], answer_id=f"w{{k}}-{{i}}")
store.close(60)
print(store.dropped, store.status)
"""
WRITER_TO_FILE = _WRITER.format(imports="", store="RecordsStore.open(Path(where))")
WRITER_TO_POSTGRES = _WRITER.format(imports="from advisor.records.postgres import PostgresBackend", store="RecordsStore.open(backend=PostgresBackend(where))")


def copy_fixture_corpus(dest: Path) -> Path:
    """A private copy of tests/data/corpus, safe to edit."""
    shutil.copytree(FIXTURE_CORPUS, dest)
    return dest


def marked_pieces(text: str) -> list[tuple[str, int]]:
    """(sentence, citation number) for every "[n]"-marked piece of an answer text;
    bullets lose their "- " prefix."""
    pieces: list[tuple[str, int]] = []
    for line in text.split("\n"):
        body = line.removeprefix("- ")
        found = list(_MARKED.finditer(body))
        assert found, f"answer line without a citation marker: {line!r}"
        assert body[found[-1].end() :].strip() == "", f"text after the last marker: {line!r}"
        pieces.extend((m.group(1).strip(), int(m.group(2))) for m in found)
    return pieces


def assert_grounded(answer: Answer, documents: Mapping[str, Document]) -> None:
    """Every answer sentence is verbatim source text inside the citation it points to, and
    every citation is the document's text at its offsets and on its lines."""
    assert answer.kind == "answer", (answer.kind, answer.reason)
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for c in answer.citations:
        text = documents[c.doc].text
        assert text[c.start : c.end] == c.text
        assert c.text.strip(), "empty citation"
        assert text.count("\n", 0, c.start) + 1 == c.lines[0]
        assert text.count("\n", 0, c.end) + 1 == c.lines[1]
    pieces = marked_pieces(answer.text)
    assert {n for _, n in pieces} == set(numbers)
    assert [p for p, _ in pieces] == [s.text for s in answer.sentences]
    for piece, n in pieces:
        assert piece, "empty sentence before a marker"
        assert piece in answer.citations[n - 1].text, (piece, answer.citations[n - 1].text)
