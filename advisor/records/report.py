"""The counselors' report: what students asked over a period, what went unanswered (grouped
by meaning, each group with the nearest profile section and what to do about it), what
was rated down, and the topics most asked about. Text for the terminal here; one HTML
page in html.py; one CSV row per question in `to_csv`.

    >>> records = load_records(store, since="30d")
    >>> report = build_report(records, advisor if records.needs_grouping else None)
    >>> print(format_text(report))
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from advisor.errors import InputError
from advisor.evalreport.csvfile import guard
from advisor.records.meaning import MAX_WORDINGS, NOT_COVERED, THRESHOLD, Nearest, comparable_text, embed, group_by_meaning, hint, nearest_section
from advisor.records.store import RecordsStore, stamp, utc_now

UNANSWERED = ("abstain",)  # kinds counted as "not answered" (clarify asks back; smalltalk and invalid ask nothing)
NOT_ASKING = ("smalltalk", "invalid")  # left out of the answer rate
SHOWN_GROUPS = 40  # groups listed per section; the rest are counted
SHOWN_TOPICS = 15
EXAMPLES = 5  # wordings shown per group
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)


def parse_since(text: str, now: datetime | None = None) -> datetime | None:
    """`--since`: "30d", "12h", "2w", a date ("2024-05-01", UTC midnight) or "all" (None)."""
    value = text.strip().lower()
    if value == "all":
        return None
    m = _SINCE.match(value)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return (now or utc_now()) - {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    try:
        return parse_date(value)
    except InputError:
        raise InputError(f"--since {text!r} is not a period: write e.g. 30d, 12h, 2w, a date (2024-05-01) or all.") from None


def parse_date(text: str) -> datetime:
    """A date ("2024-05-01": its UTC midnight) or an ISO time ("2024-05-01T12:00:00Z")."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a date: write e.g. 2024-05-01 (UTC) or 2024-05-01T12:00:00Z.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Records:
    """The rows of one period, read from the store."""

    since: datetime | None
    until: datetime
    questions: list[dict[str, Any]]
    ratings: list[dict[str, Any]]
    keep_days: int
    status: str

    @property
    def needs_grouping(self) -> bool:
        """Whether the report has questions to group (and so needs the embedding model)."""
        return any(q["kind"] in UNANSWERED for q in self.questions) or any(not r["liked"] and r["question"] for r in self.ratings)


def load_records(store: RecordsStore, since: str = "30d", now: datetime | None = None) -> Records:
    now = now or utc_now()
    cutoff = parse_since(since, now)
    after = stamp(cutoff) if cutoff else None
    return Records(cutoff, now, store.questions(after), store.ratings(after), store.keep_days, store.status)


@dataclass(frozen=True)
class Group:
    """Questions that ask the same thing."""

    size: int  # questions (each time asked counts)
    wordings: tuple[tuple[str, int], ...]  # distinct wordings and how often, most asked first
    careers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # the words refusals named as missing from the profile
    nearest: Nearest | None = None
    hint: str = ""
    answer: str = ""  # (rated down) an answer the students rated
    last: str = ""  # when it was last asked

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["wordings"] = [{"text": t, "count": n} for t, n in self.wordings]
        d["nearest"] = self.nearest.to_dict() if self.nearest else None
        return d


@dataclass(frozen=True)
class Report:
    since: str | None  # stamps (UTC)
    until: str
    keep_days: int
    status: str  # the store's
    total: int
    kinds: dict[str, int]
    answered: int
    asking: int  # questions that asked something (not smalltalk or an empty question)
    per_day: tuple[tuple[str, int, int], ...]  # (UTC date, questions, answered)
    topics: tuple[tuple[str, str, int], ...]  # (career, section, answered questions citing it)
    unanswered: tuple[Group, ...]
    unanswered_groups: int  # all groups, shown or not
    rated_down: tuple[Group, ...]
    rated_down_groups: int
    ratings: tuple[int, int]  # (thumbs up, thumbs down)
    ungrouped: int = 0  # questions beyond the grouping cap: counted, not grouped
    threshold: float = THRESHOLD
    notes: tuple[str, ...] = field(default=())

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.asking if self.asking else None

    @property
    def not_answered(self) -> int:
        return sum(self.kinds.get(k, 0) for k in UNANSWERED)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["unanswered"] = [g.to_dict() for g in self.unanswered]
        d["rated_down"] = [g.to_dict() for g in self.rated_down]
        d["answer_rate"] = self.answer_rate
        return d


def _wording_key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip("?.! ")


def _group_rows(advisor: Any, rows: list[dict[str, Any]], text_of: str, partition: Any) -> tuple[list[list[dict[str, Any]]], int]:
    """Rows grouped by meaning within each partition (questions about different careers are
    different gaps), most asked first; and how many rows were beyond the grouping cap."""
    wordings: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        text = r[text_of].strip()
        if text:
            wordings.setdefault((partition(r), _wording_key(text)), []).append(r)
    ranked = sorted(wordings.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    kept, beyond = ranked[:MAX_WORDINGS], ranked[MAX_WORDINGS:]
    groups: list[list[dict[str, Any]]] = []
    parts: dict[str, list[list[dict[str, Any]]]] = {}
    for (part, _), rs in kept:
        parts.setdefault(part, []).append(rs)
    for part_rows in parts.values():
        if advisor is None or len(part_rows) == 1:
            groups.extend(part_rows)
            continue
        vecs = embed(advisor, [comparable_text(advisor, rs[0][text_of]) for rs in part_rows])
        for members in group_by_meaning(vecs):
            groups.append([r for i in members for r in part_rows[i]])
    groups.sort(key=lambda g: (-len(g), -max(i["id"] for i in g)))
    return groups, sum(len(rs) for _, rs in beyond)


def _wordings(rows: list[dict[str, Any]], text_of: str) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for r in rows:
        key = _wording_key(r[text_of])
        counts[key] += 1
        first.setdefault(key, r[text_of].strip())
    return tuple((first[k], n) for k, n in counts.most_common())


def _unanswered_group(advisor: Any, rows: list[dict[str, Any]], synonyms_file: str) -> Group:
    wordings = _wordings(rows, "question")
    careers = tuple(dict.fromkeys(c for r in rows for c in r["careers"]))
    missing = tuple(w for w, _ in Counter(w for r in rows for w in r["missing"]).most_common())
    nearest, advice = None, NOT_COVERED
    if advisor is not None:
        nearest, unit = nearest_section(advisor, wordings[0][0], careers)
        advice = hint(advisor, [w for w, _ in wordings], missing, nearest, unit, synonyms_file)
    return Group(len(rows), wordings[:EXAMPLES], careers, missing, nearest, advice, last=max(r["created_at"] for r in rows))


def _per_day(questions: list[dict[str, Any]]) -> tuple[tuple[str, int, int], ...]:
    asked: Counter[str] = Counter(q["created_at"][:10] for q in questions)
    answered: Counter[str] = Counter(q["created_at"][:10] for q in questions if q["kind"] == "answer")
    if not asked:
        return ()
    first, last = date.fromisoformat(min(asked)), date.fromisoformat(max(asked))
    days = [str(first + timedelta(days=i)) for i in range((last - first).days + 1)] if (last - first).days <= 92 else sorted(asked)
    return tuple((d, asked[d], answered[d]) for d in days)


def build_report(records: Records, advisor: Any = None) -> Report:
    """The report over `records`; `advisor` (its model and index) groups questions by meaning
    and finds the nearest sections — without it every wording is its own group."""
    qs = records.questions
    kinds = Counter(q["kind"] for q in qs)
    topics: Counter[tuple[str, str]] = Counter()
    for q in qs:
        if q["kind"] == "answer":
            topics.update({(c["doc"], c["section"]) for c in q["citations"]})
    synonyms_file = _synonyms_file(advisor)
    unanswered_rows = [q for q in qs if q["kind"] in UNANSWERED]
    groups, beyond = _group_rows(advisor, unanswered_rows, "question", lambda r: r["career"])
    unanswered = tuple(_unanswered_group(advisor, g, synonyms_file) for g in groups[:SHOWN_GROUPS])
    down_rows = [r for r in records.ratings if not r["liked"] and r["question"].strip()]
    down, beyond_down = _group_rows(advisor, down_rows, "question", lambda r: "")
    rated_down = tuple(Group(len(g), _wordings(g, "question")[:EXAMPLES], answer=g[0]["answer"], last=max(r["created_at"] for r in g))
                       for g in down[:SHOWN_GROUPS])
    notes = []
    if records.keep_days == 0:
        notes.append("Questions are not logged: ADVISOR_KEEP_DAYS is 0.")
    if records.status != "ok":
        notes.append(f"The records store is not working: {records.status}")
    return Report(
        since=stamp(records.since) if records.since else None,
        until=stamp(records.until),
        keep_days=records.keep_days,
        status=records.status,
        total=len(qs),
        kinds=dict(kinds.most_common()),
        answered=kinds.get("answer", 0),
        asking=len(qs) - sum(kinds.get(k, 0) for k in NOT_ASKING),
        per_day=_per_day(qs),
        topics=tuple((d, s, n) for (d, s), n in sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[:SHOWN_TOPICS]),
        unanswered=unanswered,
        unanswered_groups=len(groups),
        rated_down=rated_down,
        rated_down_groups=len(down),
        ratings=(sum(1 for r in records.ratings if r["liked"]), sum(1 for r in records.ratings if not r["liked"])),
        ungrouped=beyond + beyond_down,
        notes=tuple(notes),
    )


def _synonyms_file(advisor: Any) -> str:
    corpus = Path(getattr(getattr(advisor, "settings", None), "corpus_dir", "corpus"))
    return "corpus/synonyms.txt" if corpus.name == "corpus" else str(corpus / "synonyms.txt")


# -- text -------------------------------------------------------------------------------------
def period(report: Report) -> str:
    if report.since is None:
        return f"everything recorded, up to {report.until[:16].replace('T', ' ')} UTC"
    return f"{report.since[:16].replace('T', ' ')} to {report.until[:16].replace('T', ' ')} UTC"


def percent(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def summary_rows(report: Report) -> list[tuple[str, str]]:
    k = report.kinds
    rows = [
        ("questions", str(report.total)),
        ("answered", f"{report.answered} ({percent(report.answer_rate)} of the {report.asking} that asked something)"),
        ("not answered (the profiles don't cover it)", str(report.not_answered)),
        ("asked back which career", str(k.get("clarify", 0))),
        ("greetings, thanks, empty", str(sum(k.get(x, 0) for x in NOT_ASKING))),
        ("ratings: thumbs up / down", f"{report.ratings[0]} / {report.ratings[1]}"),
    ]
    return rows


def empty_message(report: Report) -> str | None:
    if report.total or report.ratings != (0, 0):
        return None
    return f"No questions were recorded in this period ({period(report)})."


def format_text(report: Report) -> str:
    lines = [f"What students asked: {period(report)}", ""]
    lines += [f"note: {n}" for n in report.notes]
    empty = empty_message(report)
    if empty:
        return "\n".join([*lines, empty, ""])
    width = max(len(a) for a, _ in summary_rows(report))
    lines += [f"{a:<{width}}  {b}" for a, b in summary_rows(report)]
    if report.per_day:
        lines += ["", "Questions per day (UTC): date, asked, answered"]
        lines += [f"  {d}  {n:5}  {a:5}" for d, n, a in report.per_day]
    lines += ["", f"Not answered, grouped by meaning ({report.unanswered_groups} group(s)):"]
    if not report.unanswered:
        lines.append("  none")
    for i, g in enumerate(report.unanswered, 1):
        lines.append(f"  {i}. asked {g.size} time(s)" + (f", about {', '.join(g.careers)}" if g.careers else "")
                     + (f"; missing word(s): {', '.join(g.missing)}" if g.missing else ""))
        lines += [f"       “{t}”" + (f" ×{n}" if n > 1 else "") for t, n in g.wordings]
        n = g.nearest
        if n is not None:
            where = f"{n.doc} › {n.section}, line {n.lines[0]}"
            near = f"nearest: {where} (similarity {n.similarity:.2f})" if n.near else f"no section is near (the nearest, {where}, is {n.similarity:.2f} alike)"
            lines.append("     " + near)
        lines.append(f"     hint: {g.hint}")
    _more(lines, report.unanswered_groups, len(report.unanswered))
    lines += ["", f"Rated down, grouped by meaning ({report.rated_down_groups} group(s)):"]
    if not report.rated_down:
        lines.append("  none")
    for i, g in enumerate(report.rated_down, 1):
        lines.append(f"  {i}. rated down {g.size} time(s)")
        lines += [f"       “{t}”" + (f" ×{n}" if n > 1 else "") for t, n in g.wordings]
        lines.append(f"     answer given: {_short(g.answer)}")
    _more(lines, report.rated_down_groups, len(report.rated_down))
    lines += ["", "Most asked topics (answered questions citing each section):"]
    lines += [f"  {n:5}  {d} › {s}" for d, s, n in report.topics] or ["  none"]
    if report.ungrouped:
        lines += ["", f"{report.ungrouped} question(s) beyond the {MAX_WORDINGS} most asked wordings were counted, not grouped."]
    lines += ["", f"Groups: every two wordings in a group are at least {report.threshold:.2f} alike (cosine, advisor/records/meaning.py).", ""]
    return "\n".join(lines)


def _more(lines: list[str], total: int, shown: int) -> None:
    if total > shown:
        lines.append(f"  … and {total - shown} smaller group(s)")


def _short(text: str, n: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


# -- CSV --------------------------------------------------------------------------------------
CSV_COLUMNS = ("time_utc", "channel", "question", "resolved_question", "careers", "kind", "answered", "reason", "missing",
               "confidence", "citations", "latency_ms", "answer_id", "rating")


def to_csv(questions: list[dict[str, Any]]) -> str:
    """One row per question (UTF-8 with a byte-order mark, for Excel); a cell starting with
    = + - @, tab or CR gets a leading ' so no spreadsheet runs it as a formula."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for q in questions:
        cites = " | ".join(f"{c['doc']} › {c['section']} lines {c['lines'][0]}-{c['lines'][1]}" for c in q["citations"])
        rating = "" if q["liked"] is None else ("up" if q["liked"] else "down")
        row = (q["created_at"], q["channel"], q["question"], q["resolved"], " | ".join(q["careers"]), q["kind"], q["kind"] == "answer",
               q["reason"], " | ".join(q["missing"]), q["confidence"], cites, q["latency_ms"], q["answer_id"], rating)
        writer.writerow([guard(v) for v in row])
    return "\ufeff" + buf.getvalue()
