"""What `advisor eval` writes besides its table: the HTML report, CSV and JUnit XML, on
hand-made records and through the command line with the fake embedder."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from core_support import copy_fixture_corpus

from advisor import cli
from advisor.evalreport.csvfile import guard, to_csv
from advisor.evalreport.junit import to_junit
from advisor.evalreport.page import PROFILES_URL, SCRIPT, render_report
from advisor.evalreport.rows import COLUMNS
from advisor.evaluation import answer_stats, eval_record, score

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "\"><svg onload=alert(3)>", "</textarea><b>bold</b>"]


def _out(answer: str, abstained: bool, citations: list[dict] | None = None, latency: float = 12.5) -> dict:
    return {"answer": answer, "abstained": abstained, "kind": "abstain" if abstained else "answer", "confidence": 0.7,
            "citations": citations or [], "passages": [{"doc": "d", "section": "S", "lines": [1, 1], "text": answer, "score": 0.5}],
            "latency_ms": latency, "careers": ["dental-assistant"]}


def records() -> list[dict]:
    """Four lines: a pass, a false refusal, an unanswerable answered, all carrying hostile text."""
    cite = {"n": 1, "doc": XSS[1], "section": XSS[2], "lines": [1, 1], "text": XSS[0]}
    lines = [
        ({"id": XSS[2], "question": XSS[0], "history": [XSS[1]], "answerable": True, "expect_any": [XSS[0]], "type": XSS[3]},
         _out(XSS[0] + " [1]", False, [cite])),
        ({"id": "q2", "question": "=HYPERLINK(\"http://evil.example\",\"x\")", "history": [], "answerable": True, "expect_any": ["46,000"], "type": "direct"},
         _out("Sorry", True)),
        ({"id": "q3", "question": "+1 what is -2?", "history": ["@SUM(A1)"], "answerable": False, "type": "off_topic"},
         _out("-5 dollars\tper day [1]", False, [dict(cite, text="ok")])),
        ({"id": "q4", "question": "ctrl \x00\x07\x1b char \ud800 here", "answerable": True, "expect_any": ["x"], "type": "direct"},
         {"id": "q4", "error": "x.jsonl line 4: boom \x01"}),
    ]
    return [eval_record(gold, {"id": gold["id"], "question": gold["question"], **o}) for gold, o in lines]


def _report(recs: list[dict] | None = None, gold: bool = True) -> str:
    recs = recs if recs is not None else records()
    metrics = score([(r["gold"], r) for r in recs], {}) if gold else None
    return render_report(recs, metrics, answer_stats(recs), "eval/<b>x</b>.jsonl", "2025-01-01 00:00")


# -- HTML -------------------------------------------------------------------------------


def test_report_escapes_every_piece_of_profile_and_student_text() -> None:
    page = _report()
    for raw in XSS:
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page  # the file name too
    # the only <script> is the page's own filter, and the policy allows that one only
    assert page.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page and f"<script>{SCRIPT}</script>" in page


def test_report_is_self_contained() -> None:
    page = _report()
    assert not re.search(r"""(?:src|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    hrefs = re.findall(r"""<(\w+)\b[^>]*\bhref\s*=\s*["']([^"']*)""", page)
    assert hrefs and all(h.startswith("#") or (tag == "a" and h.startswith(PROFILES_URL + "/profiles/")) for tag, h in hrefs)  # links: to quotes
    assert not re.search(r"<(?:link|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page, re.I)
    assert "default-src 'none'" in page
    assert page.count("<svg") == 2  # the chart by type and the latency histogram


def test_report_defines_each_metric_and_lists_every_question() -> None:
    page = _report()
    assert "share of answerable lines where one of the first k retrieved passages holds an expected phrase" in page
    assert "answer accuracy" in page and "false abstention" in page
    rows = re.findall(r'<tr data-type="([^"]*)" data-outcome="([^"]*)">', page)
    assert [o for _, o in rows] == ["pass", "fail:false refusal", "fail:answered an unanswerable", "fail:error"]
    assert rows[0][0] == "&lt;/textarea&gt;&lt;b&gt;bold&lt;/b&gt;"
    for control in ('id="f-type"', 'id="f-outcome"', 'id="f-text"', 'value="fail:false refusal"'):
        assert control in page


def test_report_without_gold_says_so() -> None:
    recs = [eval_record({"id": "a", "question": "hi"}, {"id": "a", **_out("Hello", False)})]
    page = _report(recs, gold=False)
    assert "No gold answers in" in page and "showing answer statistics only" in page
    assert "None" not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S)


# -- CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://e.example\")"])
def test_formula_cells_get_an_apostrophe(cell: str) -> None:
    assert guard(cell) == "'" + cell


def test_plain_cells_and_numbers_stay_as_they_are() -> None:
    assert guard("What is 2+2?") == "What is 2+2?" and guard(-3) == -3 and guard(0.5) == 0.5
    assert guard(True) == "TRUE" and guard(None) == ""


def test_csv_has_one_flat_row_per_question() -> None:
    text = to_csv(records())
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 4
    first, second, third, fourth = rows
    assert first["question"] == XSS[0] and first["history"] == XSS[1] and first["pass"] == "TRUE" and first["rank"] == "1"
    assert first["citations"] == f"[1] {XSS[1]} › {XSS[2]}: {XSS[0]}" and first["career"] == "dental-assistant"
    assert second["question"].startswith("'=HYPERLINK") and second["why"] == "false refusal" and second["answerable"] == "TRUE"
    assert third["question"] == "'+1 what is -2?" and third["history"] == "'@SUM(A1)" and third["answer"] == "'-5 dollars\tper day [1]"
    assert third["why"] == "answered an unanswerable" and third["type"] == "off_topic" and third["rank"] == ""
    assert fourth["kind"] == "error" and fourth["answer"].startswith("x.jsonl line 4") and fourth["pass"] == "FALSE"
    for row in rows:  # no cell a spreadsheet would run
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values() if v)


# -- JUnit ------------------------------------------------------------------------------


def test_junit_is_valid_xml_with_one_case_per_question() -> None:
    root = ET.fromstring(to_junit(records(), "advisor eval x.jsonl"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "3"
    cases = suite.findall("testcase")
    assert len(cases) == 4
    assert cases[0].find("failure") is None and cases[0].get("name", "").startswith(XSS[2])
    assert [c.get("classname") for c in cases[1:]] == ["eval.direct", "eval.off_topic", "eval.direct"]
    fail = cases[1].find("failure")
    assert fail is not None and fail.get("message") == "false refusal"
    assert "=HYPERLINK" in (fail.text or "") and "answer (abstain): Sorry" in (fail.text or "") and "expected any of: 46,000" in (fail.text or "")
    assert cases[2].find("failure").get("message") == "answered an unanswerable"  # type: ignore[union-attr]
    err = cases[3].find("failure")
    assert err is not None and err.get("message") == "error"
    assert "ctrl  char  here" in cases[3].get("name", "") and "boom" in (err.text or "")


def test_junit_marks_lines_without_gold_skipped() -> None:
    recs = [eval_record({"id": "a", "question": "hi"}, {"id": "a", **_out("Hello", False)})]
    case = ET.fromstring(to_junit(recs, "s")).find("testsuite/testcase")
    assert case is not None and case.find("skipped") is not None and case.find("failure") is None


# -- the command line -------------------------------------------------------------------

GOLD = [
    {"id": "g1", "question": "How much do dental assistants earn?", "answerable": True, "expect_any": ["46,000 dollars"], "type": "direct"},
    {"id": "g2", "question": "<script>alert(1)</script> What is the capital of France?", "answerable": False, "type": "off_topic"},
    {"id": "g3", "question": "How much do pharmacy technicians earn?", "answerable": True, "expect_any": ["no such phrase"], "type": "direct"},
]


@pytest.fixture(scope="module")
def fake_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("eval-cli")
    paths = {"corpus": copy_fixture_corpus(base / "corpus"), "data": base / "data", "tmp": base}
    assert cli.main(["build", "--model", "fake", "--corpus", str(paths["corpus"]), "--data", str(paths["data"])]) == 0
    return paths


def run(capsys: pytest.CaptureFixture[str], paths: dict[str, Path], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main([*argv, "--model", "fake", "--no-build", "--corpus", str(paths["corpus"]), "--data", str(paths["data"])])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), "utf-8")
    return path


def test_eval_writes_records_report_csv_and_junit(capsys: pytest.CaptureFixture[str], fake_paths: dict[str, Path]) -> None:
    tmp = fake_paths["tmp"]
    gold = write_jsonl(tmp / "gold.jsonl", GOLD)
    files = {k: tmp / f"run.{k}" for k in ("jsonl", "html", "csv", "xml")}
    rc, out, err = run(capsys, fake_paths, "eval", str(gold), "-o", str(files["jsonl"]), "--report", str(files["html"]),
                       "--csv", str(files["csv"]), "--junit", str(files["xml"]))
    assert rc == 0, err
    assert re.search(r"^answer accuracy +0\.5$", out, re.M)
    recs = [json.loads(x) for x in files["jsonl"].read_text("utf-8").splitlines()]
    assert [(r["id"], r["pass"], r["why"]) for r in recs] == [("g1", True, None), ("g2", True, None), ("g3", False, "wrong passage")]
    assert recs[0]["gold"] == {"answerable": True, "expect_any": ["46,000 dollars"], "type": "direct"} and recs[0]["rank"] == 1
    page = files["html"].read_text("utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; What is the capital" in page
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text("utf-8-sig"))))
    assert [r["pass"] for r in rows] == ["TRUE", "TRUE", "FALSE"]
    suite = ET.parse(files["xml"]).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("name") == "advisor eval gold.jsonl"
    assert [c.get("classname") for c in suite] == ["gold.direct", "gold.off_topic", "gold.direct"]
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".run")) == []  # no temporary file left


def test_eval_without_gold_says_so_and_shows_statistics(capsys: pytest.CaptureFixture[str], fake_paths: dict[str, Path]) -> None:
    src = write_jsonl(fake_paths["tmp"] / "plain.jsonl", [{"id": g["id"], "question": g["question"]} for g in GOLD])
    rc, out, err = run(capsys, fake_paths, "eval", str(src))
    assert rc == 0
    assert f"advisor: no gold answers in {src}: showing answer statistics only" in err
    assert "None" not in out and "latency p50 / p95 ms" in out and "answer words" in out and re.search(r"^kind: answer +0\.6667$", out, re.M)
    rc, out, _ = run(capsys, fake_paths, "eval", str(src), "--json")
    assert rc == 0 and json.loads(out)["kinds"]["answer"] == 0.6667
    rc, _, err = run(capsys, fake_paths, "eval", str(src), "--min-answer-acc", "0.5")
    assert rc == 3 and "cannot check --min-answer-acc" in err


def test_eval_warns_of_lines_without_gold_in_a_gold_file(capsys: pytest.CaptureFixture[str], fake_paths: dict[str, Path]) -> None:
    src = write_jsonl(fake_paths["tmp"] / "mixed.jsonl", [GOLD[0], {"id": "plain", "question": "What is the stress level?"}])
    rc, out, err = run(capsys, fake_paths, "eval", str(src))
    assert rc == 0 and re.search(r"^answer accuracy +1\.0$", out, re.M)
    assert f'advisor: 1 of 2 lines in {src} carry no gold ("answerable"): they enter no rate' in err


def test_eval_names_the_file_line_and_column_of_bad_json(capsys: pytest.CaptureFixture[str], fake_paths: dict[str, Path]) -> None:
    src = write_jsonl(fake_paths["tmp"] / "bad.jsonl", [GOLD[0], '{"id": "b", "question": "tab\there", "answerable": true}', "[1]", {"id": "n"}])
    out_path = fake_paths["tmp"] / "bad-out.jsonl"
    rc, _, _ = run(capsys, fake_paths, "eval", str(src), "-o", str(out_path))
    assert rc == 0
    errors = [json.loads(x).get("error") for x in out_path.read_text("utf-8").splitlines()]
    assert errors[0] is None
    assert errors[1].startswith(f"{src} line 2, column 29: not valid JSON: Invalid control character U+0009")
    assert errors[2] == f"{src} line 3: expected a JSON object {{...}}, got an array"
    assert errors[3].startswith(f"{src} line 4: no 'question' key")


def test_each_citation_links_to_its_lines_in_the_profile_page() -> None:
    cite = {"n": 2, "doc": "dental-assistant", "title": "Dental Assistant", "section": "Daily Duties", "lines": [4, 7], "text": "Sterilize"}
    recs = [eval_record({"id": "q", "question": "q?", "answerable": True, "expect_any": ["x"], "type": "direct"},
                        {"id": "q", "question": "q?", **_out("Sterilize. [2]", False, [cite])})]
    page = render_report(recs, None, answer_stats(recs), "x.jsonl", profiles_url="https://advisor.school.org/")
    assert '<a href="https://advisor.school.org/profiles/dental-assistant#L4-L7">[2] Dental Assistant › Daily Duties</a>: Sterilize' in page
    assert "[2] dental-assistant" not in page  # the career's title, not its file id
