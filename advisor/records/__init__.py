"""What students asked and how they rated the answers: one SQLite file in the data folder
(`sqlite.py`, the default) or one PostgreSQL database for every machine (`postgres.py`,
ADVISOR_RECORDS_URL), written through one queue and writer (`store.py`); the counselors'
report over it (`report.py`, `html.py`); `copy.py` moves a SQLite log into PostgreSQL.

    >>> store = open_records(settings)   # RecordsStore.open(settings.data_dir / RECORDS_FILE, keep_days=90) without a URL
    >>> store.log(QuestionRecord.of(answer, channel="api", answer_id="…", latency_ms=12.0))
    >>> from advisor.records.report import build_report, format_text, load_records
    >>> print(format_text(build_report(load_records(store, "30d"), advisor)))   # advisor report, /admin
"""

from __future__ import annotations

from advisor.records.store import RECORDS_FILE, QuestionRecord, RecordsError, RecordsStore, open_records

__all__ = ["RECORDS_FILE", "QuestionRecord", "RecordsError", "RecordsStore", "open_records"]
