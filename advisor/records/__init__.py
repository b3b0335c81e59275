"""What students asked and how they rated the answers: one SQLite file in the data folder
(`store.py`), and the counselors' report over it (`report.py`, `html.py`).

    >>> store = RecordsStore.open(settings.data_dir / RECORDS_FILE, keep_days=90)
    >>> store.log(QuestionRecord.of(answer, channel="api", answer_id="…", latency_ms=12.0))
    >>> from advisor.records.report import build_report, format_text, load_records
    >>> print(format_text(build_report(load_records(store, "30d"), advisor)))   # advisor report, /admin
"""

from __future__ import annotations

from advisor.records.store import RECORDS_FILE, QuestionRecord, RecordsError, RecordsStore

__all__ = ["RECORDS_FILE", "QuestionRecord", "RecordsError", "RecordsStore"]
