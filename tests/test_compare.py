"""advisor compare: pairing two eval outputs, bootstrap intervals, fixed/broke, the gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from advisor import cli
from advisor.evalreport.compare import compare_records, paired_interval
from advisor.evaluation import eval_record

RIGHT = "Assistants earn about 46,000 dollars a year."


def rec(i: int, outcome: str, rid: str | None = None, question: str | None = None, history: list[str] | None = None) -> dict:
    """One eval record: outcome "pass" / "refuse" / "wrong" on an answerable line, or
    "refused" / "answered" on an unanswerable one."""
    answerable = outcome in ("pass", "refuse", "wrong")
    gold = {"id": rid if rid is not None else f"q{i}", "question": question or f"question {i}?", "history": history or [],
            "answerable": answerable, "type": "direct" if answerable else "off_topic"}
    if answerable:
        gold["expect_any"] = ["46,000 dollars"]
    abstained = outcome in ("refuse", "refused")
    answer = "Sorry" if abstained else (RIGHT if outcome == "pass" else "Technicians count tablets.")
    out = {"id": gold["id"], "question": gold["question"], "answer": answer, "abstained": abstained, "kind": "abstain" if abstained else "answer",
           "confidence": 0.5, "citations": [], "passages": [{"doc": "d", "section": "S", "lines": [1, 1], "text": RIGHT, "score": 0.5}],
           "latency_ms": 5.0}
    return eval_record(gold, out)


def test_interval_is_seeded_and_sits_on_the_change() -> None:
    a, b = np.ones(40), np.r_[np.ones(30), np.zeros(10)]
    lo, hi = paired_interval(a, b)
    scores = (np.arange(50) * 0.37) % 1  # scores (MRR) take many values: resamples differ
    assert paired_interval(np.zeros(50), scores) == paired_interval(np.zeros(50), scores)  # seeded
    assert paired_interval(np.zeros(50), scores) != paired_interval(np.zeros(50), scores, seed=1)
    assert lo < -0.25 < hi < 0  # the change is -0.25; every resample is a drop
    assert paired_interval(a, a) == (0.0, 0.0)
    lo, hi = paired_interval(np.ones(40), np.r_[np.ones(39), 0.0])
    assert lo < 0 and hi == 0.0  # one line of forty: noise, the interval reaches 0


def test_pairs_by_id_and_lists_what_was_dropped_fixed_and_broke() -> None:
    a = [rec(1, "pass"), rec(2, "wrong"), rec(3, "pass"), rec(4, "answered")]
    b = [rec(2, "pass"), rec(3, "refuse"), rec(4, "refused"), rec(5, "pass")]
    r = compare_records(a, b)
    assert r["paired_by"] == "id" and r["paired"] == 3
    assert r["only_in_a"] == ["q1"] and r["only_in_b"] == ["q5"]
    assert [(x["id"], x["why_a"], x["why_b"]) for x in r["fixed"]] == [("q2", "right passage but answer missed it", None), ("q4", "answered an unanswerable", None)]
    assert [(x["id"], x["why_a"], x["why_b"]) for x in r["broke"]] == [("q3", None, "false refusal")]
    acc = r["metrics"]["answer_accuracy"]
    assert (acc["lines"], acc["a"], acc["b"], acc["delta"]) == (2, 0.5, 0.5, 0.0)
    assert r["metrics"]["false_refusal"]["delta"] == 0.5 and r["metrics"]["abstention"]["delta"] == 1.0
    assert "hit@1" in r["metrics"] and "abstention:off_topic" in r["metrics"]


def test_made_up_ids_pair_by_question_and_history() -> None:
    """Lines without an id get "line-N" from their position: another order must not mispair them."""
    a = [rec(1, "pass", "line-1", "How much?"), rec(2, "wrong", "line-2", "Where?"), rec(3, "pass", "line-3", "Where?", ["earlier"])]
    b = [rec(1, "pass", "line-1", "Where?"), rec(2, "pass", "line-2", "How much?"), rec(3, "refuse", "line-3", "Where?", ["earlier"])]
    r = compare_records(a, b)
    assert r["paired_by"] == "question and history" and r["paired"] == 3
    assert [x["question"] for x in r["fixed"]] == ["Where?"] and r["fixed"][0]["history"] == []
    assert [x["history"] for x in r["broke"]] == [["earlier"]]


def test_repeated_keys_pair_in_order() -> None:
    a = [rec(1, "pass", "line-1", "Same?"), rec(2, "wrong", "line-2", "Same?")]
    b = [rec(1, "pass", "line-1", "Same?"), rec(2, "pass", "line-2", "Same?")]
    r = compare_records(a, b)
    assert r["paired"] == 2 and len(r["fixed"]) == 1 and r["broke"] == []


def test_both_sides_are_judged_with_bs_gold() -> None:
    a, b = [rec(1, "wrong")], [rec(1, "wrong")]
    b[0]["gold"] = dict(b[0]["gold"], expect_any=["count tablets"])  # the answer key was corrected
    r = compare_records(a, b)
    assert r["gold_differs"] == ["q1"] and r["fixed"] == [] and r["metrics"]["answer_accuracy"]["a"] == 1.0


def test_a_real_drop_is_a_regression_and_noise_is_not() -> None:
    base = [rec(i, "pass") for i in range(40)] + [rec(100 + i, "refused") for i in range(10)]
    noisy = [rec(0, "wrong")] + base[1:]
    assert compare_records(base, noisy)["regressions"] == []
    worse = [rec(i, "refuse") for i in range(10)] + base[10:]
    r = compare_records(base, worse)
    assert r["regressions"] == ["answer_accuracy", "false_refusal"]
    assert r["metrics"]["answer_accuracy"]["ci95"][1] < 0 < r["metrics"]["false_refusal"]["ci95"][0]
    chatty = base[:40] + [rec(100 + i, "answered") for i in range(10)]
    assert compare_records(base, chatty)["regressions"] == ["abstention"]
    assert compare_records(worse, base)["regressions"] == []  # getting better is not a regression


# -- the command line -------------------------------------------------------------------


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(argv))
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_compare_command_and_its_gate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = [rec(i, "pass") for i in range(40)]
    a = write(tmp_path / "a.jsonl", base)
    b = write(tmp_path / "b.jsonl", [rec(i, "refuse") for i in range(10)] + base[10:] + [rec(99, "pass")])
    rc, out, err = run(capsys, "compare", str(a), str(b))
    assert rc == 0 and err == ""
    assert "paired 40 line(s) by id" in out and "dropped, only in B (1): q99" in out
    assert "answer accuracy" in out and "-0.250" in out and "broke (passed in A, fail in B) (10):" in out
    rc, _, err = run(capsys, "compare", str(a), str(b), "--fail-on-regression")
    assert rc == 3 and "regression from" in err and "answer accuracy, false refusals" in err
    rc, _, _ = run(capsys, "compare", str(b), str(a), "--fail-on-regression")
    assert rc == 0
    rc, out, _ = run(capsys, "compare", str(a), str(b), "--json")
    r = json.loads(out)
    assert rc == 0 and r["paired"] == 40 and r["only_in_b"] == ["q99"] and r["metrics"]["answer_accuracy"]["delta"] == -0.25


def test_compare_names_bad_lines_and_files_without_gold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", [rec(1, "pass")])
    bad = tmp_path / "b.jsonl"
    bad.write_text(json.dumps(rec(1, "pass")) + '\n{"id": "x", "answer": "a\tb"}\n"text"\n', "utf-8")
    rc, out, err = run(capsys, "compare", str(a), str(bad))
    assert rc == 1 and out == ""
    assert f"{bad} line 2, column 25: not valid JSON: Invalid control character U+0009" in err
    assert f"{bad} line 3: expected a JSON object {{...}}, got a string" in err
    plain = write(tmp_path / "plain.jsonl", [{"id": "q1", "question": "hi", "answer": "x"}])
    rc, _, err = run(capsys, "compare", str(a), str(plain))
    assert rc == 1 and "line 1: no \"gold\" object" in err and "advisor eval" in err
    other = write(tmp_path / "other.jsonl", [rec(7, "pass")])
    rc, _, err = run(capsys, "compare", str(a), str(other))
    assert rc == 1 and "no line" in err
