"""advisor.index.normalize: encoding repair, quotes, white space; decode_file's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_support import FIXTURE_CORPUS
from hypothesis import given
from hypothesis import strategies as st

from advisor.errors import CorpusError
from advisor.index.normalize import decode_file, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("four-year bachelor\u03b2s programs", "four-year bachelor's programs"),
        ("supplementing technologists\u03b2 expertise", "supplementing technologists' expertise"),
        ("the profession\u03b2s commitment.", "the profession's commitment."),
        ("it\u00e2\u20ac\u2122s", "it's"),  # cp1252 mojibake of U+2019
        ("\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d", '"quoted"'),
        ("it\u03b2\u20ac\u2122s", "it's"),  # the same damage read as cp1253
        ("caf\u00c3\u00a9", "caf\u00e9"),
        ("\u201csmart\u201d and \u2018single\u2019 and it\u2019s", "\"smart\" and 'single' and it's"),
    ],
)
def test_repairs_encoding_damage_and_straightens_quotes(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("greek", ["\u03b2-blockers lower the heart rate", "\u03b1 \u03b2 \u03b3", "\u03b2", "beta (\u03b2) decay", "\u03b1\u03b2\u03b3 test"])
def test_real_greek_beta_is_left_alone(greek: str) -> None:
    assert normalize_text(greek) == greek


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"),
        ("\ufeffStart", "Start"),
        ("zero\u200bwidth\u200c join\u200d\u2060ers and soft\u00adhyphen", "zerowidth joiners and softhyphen"),
        ("a\u00a0b\tc  \t d\u2009e", "a b\tc\td e"),  # a tab separates table cells: runs holding one become one tab
        ("  padded line  \n\ttabbed\t", "padded line\ntabbed"),
        # blank lines are kept one for one, so line numbers match the file on disk
        ("para one\n\n\n\n\npara two", "para one\n\n\n\n\npara two"),
        ("\n\n\nlead and trail\n\n\n", "\n\n\nlead and trail"),
        ("line \n \t \nnext", "line\n\nnext"),
        ("", ""),
    ],
)
def test_white_space_and_invisible_characters(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_fixture_file_really_holds_the_damage_and_is_repaired() -> None:
    raw = (FIXTURE_CORPUS / "dental-assistant.txt").read_bytes()
    assert b"assistant\xce\xb2s" in raw  # UTF-8 of U+03B2 between letters
    assert raw.count(b"\r\n") == 2
    assert "\u201c".encode() in raw and "\u2019".encode() in raw
    text = normalize_text(decode_file(FIXTURE_CORPUS / "dental-assistant.txt"))
    assert "A dental assistant's day" in text
    assert '"friendly assistant"' in text and "dentist's direction" in text
    assert "\r" not in text and "\u03b2" not in text


@given(st.text())
def test_normalize_is_idempotent_on_arbitrary_text(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(st.text())
def test_normalize_never_raises_and_leaves_no_cr_or_bom(s: str) -> None:
    out = normalize_text(s)
    assert "\r" not in out and "\ufeff" not in out
    assert "\t\t" not in out and " \t" not in out and "\t " not in out  # a tab only alone, between cells
    assert out == out.rstrip()
    # one output line per input line (CRLF, CR and LF each end one line)
    assert out.count("\n") <= s.replace("\r\n", "\n").replace("\r", "\n").count("\n")


# Text built from the characters the repair rules look at, where their order matters.
_DAMAGE = st.text(alphabet=st.sampled_from(list("aAs \u03b2\u00e2\u20ac\u2122\u00c3\u00a9\u0301\x01\u200b\n\t\u00a0\u201c'")), max_size=12)


@given(_DAMAGE)
def test_normalize_is_idempotent_on_damage_prone_text(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@pytest.mark.parametrize(
    "s",
    [
        "a\x01\u03b2s",  # control char hides the letter before a stray beta
        "\u00e2\x01\u20ac\u2122",  # control char inside a mojibake sequence
        "e\x01\u0301",  # control char between a letter and its combining accent (NFC ran first)
        "a\u03b2s\u03b2",  # the second beta's repair changes the first one's context
    ],
)
def test_normalize_idempotence_counterexamples(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


def test_decode_file_accepts_utf8_with_bom(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbfHello \xe2\x80\x99world")
    assert decode_file(p) == "Hello \u2019world"


def test_decode_file_refuses_binary_naming_the_file(tmp_path: Path) -> None:
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CorpusError, match="image.txt") as info:
        decode_file(p)
    assert "binary" in str(info.value)


def test_decode_file_refuses_invalid_utf8_naming_the_file(tmp_path: Path) -> None:
    p = tmp_path / "latin1.txt"
    p.write_bytes("caf\u00e9 cr\u00e8me".encode("latin-1"))
    with pytest.raises(CorpusError, match="latin1.txt") as info:
        decode_file(p)
    assert "UTF-8" in str(info.value)


def test_decode_file_missing_file_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="gone.txt"):
        decode_file(tmp_path / "gone.txt")
