"""Eval records as CSV, one flat row a question, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from advisor.evalreport.rows import COLUMNS, flat_row

# A cell starting with one of these is read as a formula by Excel, LibreOffice and
# Google Sheets (OWASP "CSV injection"); a leading apostrophe makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> Any:
    """A text cell made inert; numbers stay numbers, booleans become TRUE / FALSE, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(records: list[dict[str, Any]]) -> str:
    """A header row then one row per record, with a UTF-8 byte order mark so Excel reads
    the text as UTF-8 (Python's csv module with encoding="utf-8-sig" skips it)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for rec in records:
        row = flat_row(rec)
        writer.writerow([guard(row[c]) for c in COLUMNS])
    return "\ufeff" + buf.getvalue()
