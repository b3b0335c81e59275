"""The command line, run in-process with the fake embedder (ADVISOR_MODEL=fake)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from advisor import cli
from advisor.engine import Advisor

EVAL_KEYS = {"hit@1", "hit@3", "hit@5", "mrr@10", "answer_accuracy", "false_abstention", "abstention", "grounded_citations", "latency_ms"}
CONTRACT = {"id", "question", "answer", "abstained", "confidence", "citations", "passages"}


@pytest.fixture
def paths(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("ADVISOR_MODEL", "fake")
    for var in ("ADVISOR_CORPUS", "ADVISOR_DATA", "ADVISOR_AUTO_BUILD", "ADVISOR_MAX_QUESTION_CHARS"):
        monkeypatch.delenv(var, raising=False)
    return {"corpus": corpus_copy, "data": tmp_path / "data", "tmp": tmp_path}


def run(capsys: pytest.CaptureFixture[str], paths: dict[str, Path], *argv: str, corpus: Path | None = None) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main([*argv, "--corpus", str(corpus or paths["corpus"]), "--data", str(paths["data"])])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("advisor:")]


@pytest.fixture
def built(capsys: pytest.CaptureFixture[str], paths: dict[str, Path]) -> dict[str, Path]:
    rc, _, _ = run(capsys, paths, "build")
    assert rc == 0
    return paths


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), "utf-8")
    return path


def test_build_prints_a_summary(capsys: pytest.CaptureFixture[str], paths: dict[str, Path]) -> None:
    rc, out, err = run(capsys, paths, "build")
    assert rc == 0
    assert out.startswith("Built ") and "2 document(s)" in out and "chunks" in out
    assert "Traceback" not in err
    assert (paths["data"] / "index" / "manifest.json").exists()


def test_ask_json_prints_the_record(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, err = run(capsys, built, "ask", "How much do dental assistants earn?", "--json")
    assert rc == 0 and err == ""
    rec = json.loads(out)
    assert CONTRACT - {"id"} <= set(rec)
    assert rec["abstained"] is False and "46,000 dollars" in rec["answer"]
    assert rec["citations"][0]["doc"] == "dental-assistant"


def test_ask_plain_text_lists_sources(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, _ = run(capsys, built, "ask", "How much do dental assistants earn?")
    assert rc == 0
    assert "Sources:" in out and "[1] Dental Assistant › " in out and "Salary and Outlook" in out and "dental-assistant" not in out  # the title, not the file id
    rc, out, _ = run(capsys, built, "ask", "What is the capital of France?")
    assert rc == 0 and "You could ask:" in out


def test_ask_with_history(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, _ = run(capsys, built, "ask", "what about pharmacy technicians?", "--history", "How much do dental assistants earn?", "--json")
    assert rc == 0
    rec = json.loads(out)
    assert "How much do dental assistants earn?" in rec["resolved_question"]


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_empty_fails_with_one_line(capsys: pytest.CaptureFixture[str], built: dict[str, Path], question: str) -> None:
    rc, _, err = run(capsys, built, "ask", question)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("advisor:")
    assert "question" in err and "Traceback" not in err


def test_ask_builds_a_missing_index(capsys: pytest.CaptureFixture[str], paths: dict[str, Path]) -> None:
    rc, out, err = run(capsys, paths, "ask", "What is the stress level?")
    assert rc == 0 and "Stress Level: Low" in out
    assert "Building" in err


def test_batch_writes_one_record_per_line(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    tmp = built["tmp"]
    src = write_jsonl(
        tmp / "in.jsonl",
        [
            {"id": "good", "question": "How much do dental assistants earn?", "history": []},
            "this is not json",
            {"id": "num", "question": 42},
            {"id": "extra", "question": "Where do pharmacy technicians work?", "history": [], "colour": "blue", "answerable": True},
            {"id": "hist", "question": "what about pharmacy technicians?", "history": ["How much do dental assistants earn?"]},
        ],
    )
    out_path = tmp / "out" / "answers.jsonl"
    rc, out, err = run(capsys, built, "batch", str(src), "-o", str(out_path))
    assert rc == 0 and out == ""
    assert "5 line(s)" in err and "2 error(s)" in err
    records = [json.loads(line) for line in out_path.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["good", "line-2", "num", "extra", "hist"]
    good, bad_json, num, extra, hist = records
    assert CONTRACT <= set(good) and "46,000 dollars" in good["answer"]
    assert set(bad_json) == {"id", "error"} and "line 2" in bad_json["error"] and "JSON" in bad_json["error"]
    assert set(num) == {"id", "error"} and "'question' must be a string" in num["error"]
    assert CONTRACT <= set(extra) and "colour" not in extra and extra["abstained"] is False
    assert CONTRACT <= set(hist) and "How much do dental assistants earn?" in hist["resolved_question"]
    assert [p.name for p in out_path.parent.iterdir()] == ["answers.jsonl"]  # no temp file left


def test_output_files_get_the_usual_mode_not_private(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    """Reports and answers are for others to read (CI artifacts, a web folder): the mode of an
    ordinary new file under the umask, not the 0600 of the temporary file they start as."""
    src = write_jsonl(built["tmp"] / "in.jsonl", [{"id": "a", "question": "hello"}])
    out_path = built["tmp"] / "modes.jsonl"
    old = os.umask(0o022)
    try:
        rc, _, _ = run(capsys, built, "batch", str(src), "-o", str(out_path))
    finally:
        os.umask(old)
    assert rc == 0 and out_path.stat().st_mode & 0o777 == 0o644


def test_batch_to_stdout(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    src = write_jsonl(built["tmp"] / "in.jsonl", [{"id": "a", "question": "hello"}, {"id": "b", "question": "What is the stress level?"}])
    rc, out, _ = run(capsys, built, "batch", str(src))
    assert rc == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "b"]


def test_batch_missing_input_writes_nothing(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    out_path = built["tmp"] / "out.jsonl"
    rc, out, err = run(capsys, built, "batch", str(built["tmp"] / "missing.jsonl"), "-o", str(out_path))
    assert rc == 1 and out == ""
    assert error_lines(err) == err.strip().splitlines() and len(error_lines(err)) == 1
    assert "missing.jsonl" in err and "Traceback" not in err
    assert not out_path.exists()


def test_batch_crash_leaves_no_partial_output(capsys: pytest.CaptureFixture[str], built: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_jsonl(built["tmp"] / "in.jsonl", [{"id": str(i), "question": "What is the stress level?"} for i in range(3)])
    out_path = built["tmp"] / "out" / "answers.jsonl"
    out_path.parent.mkdir()
    real_ask = Advisor.ask
    calls = []

    def ask_then_fail(self, question, history=None, career=None):
        calls.append(question)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real_ask(self, question, history, career)

    monkeypatch.setattr(Advisor, "ask", ask_then_fail)
    rc, _, err = run(capsys, built, "batch", str(src), "-o", str(out_path))
    assert rc == 1 and "boom" in err and "Traceback" not in err
    assert len(error_lines(err)) == 1
    assert list(out_path.parent.iterdir()) == []


def test_batch_survives_a_lone_surrogate(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    src = built["tmp"] / "in.jsonl"
    src.write_text('{"id": "a", "question": "What is the stress level?"}\n{"id": "b", "question": "\\ud800 salary?"}\n', "utf-8")
    out_path = built["tmp"] / "out.jsonl"
    rc, _, err = run(capsys, built, "batch", str(src), "-o", str(out_path))
    assert rc == 0, err
    assert [json.loads(line)["id"] for line in out_path.read_text("utf-8").splitlines()] == ["a", "b"]


GOLD = [
    {"id": "g1", "question": "How much do dental assistants earn?", "answerable": True, "expect_any": ["46,000 dollars"], "type": "direct"},
    {"id": "g2", "question": "How long is the dental assistant certificate program at a community college?", "answerable": True, "expect_any": ["9 to 11 months"]},
    {"id": "g3", "question": "What is the capital of France?", "answerable": False, "expect_any": [], "type": "off_topic"},
]


def test_eval_prints_the_metric_table(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    gold = write_jsonl(built["tmp"] / "gold.jsonl", GOLD)
    rc, out, _ = run(capsys, built, "eval", str(gold))
    assert rc == 0
    for row in ("hit@1 / hit@3 / hit@5", "MRR@10", "answer accuracy", "false abstention", "abstention: off_topic", "grounded citations", "latency p50 / p95 ms"):
        assert row in out
    assert re.search(r"^answer accuracy +1\.0$", out, re.M)


def test_eval_json(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    gold = write_jsonl(built["tmp"] / "gold.jsonl", GOLD)
    rc, out, _ = run(capsys, built, "eval", str(gold), "--json")
    assert rc == 0
    m = json.loads(out)
    assert EVAL_KEYS <= set(m)
    assert m["lines"] == 3 and m["answerable"] == 2 and m["unanswerable"] == 1
    assert m["hit@1"] == 1.0 and m["answer_accuracy"] == 1.0 and m["false_abstention"] == 0.0
    assert m["abstention"] == {"all": 1.0, "off_topic": 1.0}
    assert m["grounded_citations"] == 1.0
    assert set(m["latency_ms"]) == {"p50", "p95"}


def test_eval_below_the_bar_exits_3(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    gold = write_jsonl(built["tmp"] / "gold.jsonl", GOLD)
    rc, _, err = run(capsys, built, "eval", str(gold), "--min-answer-acc", "1.01")
    assert rc == 3
    assert error_lines(err) == ["advisor: answer accuracy 1.0 is below --min-answer-acc 1.01"]
    rc, _, _ = run(capsys, built, "eval", str(gold), "--min-answer-acc", "1.0")
    assert rc == 0


def test_eval_also_writes_records(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    gold = write_jsonl(built["tmp"] / "gold.jsonl", GOLD)
    out_path = built["tmp"] / "records.jsonl"
    rc, _, _ = run(capsys, built, "eval", str(gold), "-o", str(out_path), "--json")
    assert rc == 0
    assert [json.loads(line)["id"] for line in out_path.read_text("utf-8").splitlines()] == ["g1", "g2", "g3"]


@pytest.mark.parametrize("command", [["build"], ["ask", "hello"], ["batch", "in.jsonl"]])
def test_missing_corpus_folder(capsys: pytest.CaptureFixture[str], paths: dict[str, Path], command: list[str]) -> None:
    missing = paths["tmp"] / "no-such-corpus"
    write_jsonl(paths["tmp"] / "in.jsonl", [{"id": "a", "question": "hello"}])
    argv = [c if c != "in.jsonl" else str(paths["tmp"] / "in.jsonl") for c in command]
    rc, out, err = run(capsys, paths, *argv, corpus=missing)
    assert rc == 1 and out == ""
    (line,) = error_lines(err)
    assert str(missing) in line and "does not exist" in line
    assert "Traceback" not in err


def test_missing_corpus_folder_with_an_index_is_one_line(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    missing = built["tmp"] / "moved-away"
    rc, _, err = run(capsys, built, "ask", "hello", corpus=missing)
    assert rc == 1
    assert err.strip().splitlines() == error_lines(err) and len(error_lines(err)) == 1
    assert str(missing) in err


def test_corrupt_index_with_no_build(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    faiss_file = built["data"] / "index" / "units.faiss"
    raw = bytearray(faiss_file.read_bytes())
    raw[-5] ^= 0xFF
    faiss_file.write_bytes(bytes(raw))
    rc, out, err = run(capsys, built, "ask", "hello", "--no-build")
    assert rc == 1 and out == ""
    assert len(error_lines(err)) == 1 and err.strip().splitlines() == error_lines(err)
    assert "advisor build" in err and "Traceback" not in err


def test_missing_index_with_no_build(capsys: pytest.CaptureFixture[str], paths: dict[str, Path]) -> None:
    rc, _, err = run(capsys, paths, "ask", "hello", "--no-build")
    assert rc == 1 and "advisor build" in err
    assert not (paths["data"] / "index").exists()


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_careers_lists_ids_and_titles(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, _ = run(capsys, built, "careers")
    assert rc == 0
    assert out.splitlines() == ["dental-assistant  Dental Assistant", "pharmacy-tech     Pharmacy Technician"]
    rc, out, _ = run(capsys, built, "careers", "--json")
    assert json.loads(out) == {"careers": [{"id": "dental-assistant", "title": "Dental Assistant"}, {"id": "pharmacy-tech", "title": "Pharmacy Technician"}]}


def test_ask_with_a_pinned_career(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, _ = run(capsys, built, "ask", "how much do they earn?", "--career", "pharmacy-tech", "--json")
    assert rc == 0
    rec = json.loads(out)
    assert rec["career"] == "pharmacy-tech" and rec["career_title"] == "Pharmacy Technician" and "19 dollars" in rec["answer"]


def test_an_unknown_career_is_one_line_naming_the_close_ones(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    rc, out, err = run(capsys, built, "ask", "how much do they earn?", "--career", "pharmacy-technician")
    assert rc == 1 and out == "" and "Traceback" not in err
    (line,) = error_lines(err)
    assert "pharmacy-technician" in line and "Did you mean: pharmacy-tech" in line


def test_batch_lines_may_pin_their_career(capsys: pytest.CaptureFixture[str], built: dict[str, Path]) -> None:
    src = write_jsonl(built["tmp"] / "in.jsonl", [
        {"id": "a", "question": "how much do they earn?", "career": "dental-assistant"},
        {"id": "b", "question": "how much do they earn?", "career": "no-such-career"},
        {"id": "c", "question": "how much do they earn?"},
    ])
    rc, out, _ = run(capsys, built, "batch", str(src), "--career", "pharmacy-tech")
    assert rc == 0
    recs = [json.loads(line) for line in out.splitlines()]
    assert recs[0]["career"] == "dental-assistant" and "46,000" in recs[0]["answer"]
    assert recs[1]["id"] == "b" and "no-such-career" in recs[1]["error"]
    assert recs[2]["career"] == "pharmacy-tech"
