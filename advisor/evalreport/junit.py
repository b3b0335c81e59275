"""Eval records as JUnit XML: one test case a question, so CI lists each one."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from advisor.evalreport.rows import JOIN, flat_row

# Characters XML 1.0 cannot hold at all, not even as &#...; references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    """Text with the characters XML 1.0 forbids (control characters, lone surrogates) removed."""
    return _NOT_XML.sub("", str(text))


def _case_name(row: dict[str, Any], limit: int = 80) -> str:
    q = " ".join(str(row["question"]).split())
    return f"{row['id']}: {q[:limit] + '…' if len(q) > limit else q}"


def _details(rec: dict[str, Any], row: dict[str, Any]) -> str:
    lines = [f"question: {row['question']}"]
    if row["history"]:
        lines.append(f"history: {row['history']}")
    lines.append(f"type: {row['type'] or '-'}   answerable: {row['answerable']}   rank of the first right passage: {row['rank'] or '-'}")
    if row["expect_any"]:
        lines.append(f"expected any of: {row['expect_any']}")
    lines.append(f"{'error' if 'error' in rec else 'answer (' + str(row['kind']) + ')'}: {row['answer']}")
    if row["citations"]:
        lines.append("citations:\n  " + row["citations"].replace(JOIN, "\n  "))
    return "\n".join(lines)


def to_junit(records: list[dict[str, Any]], suite: str, group: str = "eval") -> str:
    """A <testsuites> document: a failing question carries <failure message="why">
    with the question, expected phrases and answer; a line without gold is <skipped>.
    Test cases are classed `group.type` ("dev.paraphrase"), which CI viewers group by."""
    failures = sum(r.get("pass") is False for r in records)
    skipped = sum(r.get("pass") is None for r in records)
    seconds = sum(float(r.get("latency_ms") or 0.0) for r in records) / 1000
    counts = {"tests": str(len(records)), "failures": str(failures), "errors": "0", "skipped": str(skipped), "time": f"{seconds:.3f}"}
    root = ET.Element("testsuites", {"name": xml_safe(suite), **counts})
    ts = ET.SubElement(root, "testsuite", {"name": xml_safe(suite), **counts})
    for rec in records:
        row = flat_row(rec)
        case = ET.SubElement(ts, "testcase", {
            "classname": xml_safe(f"{group}.{row['type'] or 'untyped'}"),
            "name": xml_safe(_case_name(row)),
            "time": f"{float(rec.get('latency_ms') or 0.0) / 1000:.3f}",
        })
        if rec.get("pass") is False:
            why = str(rec.get("why") or "failed")
            fail = ET.SubElement(case, "failure", {"message": xml_safe(why), "type": xml_safe(why)})
            fail.text = xml_safe(_details(rec, row))
        elif rec.get("pass") is None:
            ET.SubElement(case, "skipped", {"message": "no gold keys (\"answerable\") on this line" if "error" not in rec else xml_safe(rec["error"])})
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
