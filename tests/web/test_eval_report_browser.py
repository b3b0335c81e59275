"""The `advisor eval --report` page in headless Chromium: it runs its filter under its
own Content-Security-Policy, loads nothing, and runs none of the questions' markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advisor.evalreport.page import render_report
from advisor.evaluation import answer_stats, eval_record, score

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.pwned = 1">'


def _record(i: int, question: str, passed: bool, kind: str) -> dict:
    answerable = kind != "off_topic"
    gold = {"id": f"q{i}", "question": question, "answerable": answerable, "expect_any": ["46,000 dollars"], "type": kind}
    abstained = not passed if answerable else passed
    answer = "Sorry" if abstained else ("They earn 46,000 dollars. [1]" if passed else "They count tablets. [1]")
    out = {"id": f"q{i}", "question": question, "answer": answer, "abstained": abstained, "kind": "abstain" if abstained else "answer",
           "confidence": 0.5, "citations": [], "passages": [], "latency_ms": 10.0 + i}
    return eval_record(gold, out)


def test_report_filters_rows_and_runs_no_question_markup(page: Any, tmp_path: Path) -> None:
    recs = [_record(1, "How much do they earn?", True, "direct"), _record(2, HOSTILE, False, "direct"),
            _record(3, "What is the capital of France?", True, "off_topic"), _record(4, "<script>window.pwned = 2</script> salary?", False, "typo")]
    path = tmp_path / "report.html"
    path.write_text(render_report(recs, score([(r["gold"], r) for r in recs], {}), answer_stats(recs), "x.jsonl"), "utf-8")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    shown = page.locator("#shown")
    assert shown.inner_text() == "4"
    page.select_option("#f-outcome", "fail")
    assert shown.inner_text() == "2" and page.locator("#questions tbody tr:visible").count() == 2
    page.select_option("#f-type", "typo")
    assert shown.inner_text() == "1"
    page.select_option("#f-outcome", "")
    page.select_option("#f-type", "")
    page.fill("#f-text", "capital of france")
    assert shown.inner_text() == "1" and "capital of France" in page.locator("#questions tbody tr:visible").inner_text()
    assert page.locator("#questions").get_by_text(HOSTILE).count() == 1  # shown as text
    assert page.evaluate("window.pwned") is None
    assert page.locator("svg").count() == 2
    assert problems == [] and requests == [path.as_uri()]
