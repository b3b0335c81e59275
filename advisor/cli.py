"""Command-line shell over the core: build, ask, batch, eval, report, forget, records, serve.

Errors become one line on stderr and a non-zero exit; no traceback reaches the user
unless --verbose is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from advisor.errors import AdvisorError, InputError
from advisor.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BELOW = 0, 1, 2, 3


def _err(msg: str) -> None:
    print(f"advisor: {msg}", file=sys.stderr)


def print_progress(msg: str) -> None:
    """A message on stderr; a build's progress (a message with a `.status`) as one bar
    redrawn in place when stderr is a terminal."""
    status = getattr(msg, "status", None)
    if status is not None and sys.stderr.isatty():
        width = shutil.get_terminal_size((100, 20)).columns - 1
        sys.stderr.write("\r" + status.bar(width) + "\x1b[K" + ("\n" if status.done else ""))
        sys.stderr.flush()
        return
    print(msg, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus, data_dir=args.data, model=args.model,
        auto_build=False if getattr(args, "no_build", False) else None,
    )


def _load(args: argparse.Namespace) -> Any:
    from advisor.engine import Advisor

    return Advisor.load(_settings(args), progress=print_progress, show_progress=sys.stderr.isatty())


# -- commands ---------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from advisor.index.embedder import make_embedder
    from advisor.index.store import build_index

    settings = _settings(args)
    t0 = time.perf_counter()
    print_progress(f"Building the index of {settings.corpus_dir} with {settings.model}…")
    index = build_index(settings.corpus_dir, settings.data_dir, make_embedder(settings.model, settings.data_dir), progress=print_progress,
                        show_progress=sys.stderr.isatty())
    c = index.manifest["counts"]
    print(f"Built {index.folder}: {c['documents']} document(s), {c['chunks']} chunks, {c['units']} sentences/bullets in {time.perf_counter() - t0:.1f} s.")
    return EXIT_OK


def format_answer(answer: Any) -> str:
    """Plain-text rendering for the terminal: the answer, then its numbered sources."""
    lines = [answer.text]
    for note in answer.notices:
        lines.insert(0, f"({note})")
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            quote = " ".join(c.text.split())
            where = c.title or c.doc  # the career's title; the file id only for records made before titles
            where = f"{where} › {c.section}" if c.section and c.section != where else where
            lines.append(f"  [{c.n}] {where}, line{'s' if c.lines[0] != c.lines[1] else ''} "
                         f"{c.lines[0]}{'-' + str(c.lines[1]) if c.lines[0] != c.lines[1] else ''}: \"{quote}\"")
    if answer.suggestions and answer.kind != "answer":
        lines.append("")
        lines.append("You could ask:")
        lines.extend(f"  - {q}" for q in answer.suggestions)
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    advisor = _load(args)
    answer = advisor.ask(args.question, history=args.history or [], career=args.career)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    if answer.kind == "invalid":
        _err(answer.text)
        return EXIT_USAGE
    return EXIT_OK


class _AtomicOutput:
    """Write to a temporary file beside the target and rename it into place at the end,
    so an interrupted run never leaves a half-written output file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.tmp: Path | None = None
        self.fh: TextIO = sys.stdout

    def __enter__(self) -> TextIO:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            self.tmp = Path(name)
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)  # as an ordinary new file would be, not mkstemp's 0600
            self.fh = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")
        return self.fh

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self.path is None or self.tmp is None:
            self.fh.flush()
            return
        self.fh.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _batch(args: argparse.Namespace, quiet_stdout: bool = False) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], dict[str, str], dict[str, str]]:
    from advisor.evaluation import read_jsonl, run_batch

    if not args.input.exists():
        raise InputError(f"No such input file: {args.input}")
    advisor = _load(args)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    t0 = time.perf_counter()
    with _AtomicOutput(args.output) as out:
        for line, record in run_batch(advisor, read_jsonl(args.input), getattr(args, "career", None)):
            if not quiet_stdout:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            pairs.append((line.record or {}, record))
    errors = sum("error" in r for _, r in pairs)
    print_progress(f"{len(pairs)} line(s) answered in {time.perf_counter() - t0:.1f} s, {errors} error(s)"
              + (f"; written to {args.output}" if args.output else ""))
    sources = {d: doc.text for d, doc in advisor.index.documents.items()}
    return pairs, sources, advisor.careers.canonical


def cmd_batch(args: argparse.Namespace) -> int:
    _batch(args)
    return EXIT_OK


def _write_text(path: Path, text: str, what: str) -> None:
    with _AtomicOutput(path) as fh:
        fh.write(text)
    print_progress(f"{what} written to {path}")


def cmd_eval(args: argparse.Namespace) -> int:
    """Answer and score a gold file. -o writes each line's batch record with its gold keys,
    pass, why and rank; --report, --csv and --junit write the same records for people,
    spreadsheets and CI."""
    from advisor.evaluation import answer_stats, eval_record, format_stats, format_table, has_gold, score

    # _batch writes plain batch records; eval writes its own, with the verdicts, below
    pairs, sources, canonical = _batch(argparse.Namespace(**{**vars(args), "output": None}), quiet_stdout=True)
    records = [eval_record(gold, out) for gold, out in pairs]
    if args.output is not None:
        _write_text(args.output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "records")
    stats = answer_stats(records)
    no_gold = sum(not has_gold(g) and "error" not in o for g, o in pairs)
    metrics = score(pairs, sources, canonical) if any(has_gold(g) for g, _ in pairs) else None
    if metrics is None:
        note = f"no gold answers in {args.input}: showing answer statistics only"
        _err(note)
        print(json.dumps({"note": note, **stats}, indent=2) if args.json else format_stats(stats))
    else:
        if no_gold:
            _err(f"{no_gold} of {len(pairs)} lines in {args.input} carry no gold (\"answerable\"): they enter no rate")
        print(json.dumps(metrics, indent=2) if args.json else format_table(metrics))
    if args.report is not None:
        from advisor.evalreport.page import render_report

        _write_text(args.report, render_report(records, metrics, stats, str(args.input), time.strftime("%Y-%m-%d %H:%M")), "report")
    if args.csv is not None:
        from advisor.evalreport.csvfile import to_csv

        _write_text(args.csv, to_csv(records), "CSV")
    if args.junit is not None:
        from advisor.evalreport.junit import to_junit

        _write_text(args.junit, to_junit(records, f"advisor eval {args.input.name}", args.input.stem), "JUnit XML")
    if args.min_answer_acc is not None:
        acc = metrics["answer_accuracy"] if metrics is not None else None
        if acc is None:
            _err(f"cannot check --min-answer-acc: no answerable gold lines in {args.input}")
            return EXIT_BELOW
        if acc < args.min_answer_acc:
            _err(f"answer accuracy {acc} is below --min-answer-acc {args.min_answer_acc}")
            return EXIT_BELOW
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    """Two `advisor eval -o` outputs: paired metric changes with bootstrap intervals,
    the questions fixed and broken; --fail-on-regression exits 3 on a regression."""
    from advisor.evalreport.compare import compare_files, format_comparison

    if args.resamples < 100:
        raise InputError(f"--resamples {args.resamples} is too few for a 95% interval; use 100 or more (default 2000).")
    result = compare_files(args.a, args.b, resamples=args.resamples, seed=args.seed)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_comparison(result))
    if args.fail_on_regression and result["regressions"]:
        names = ", ".join(result["metrics"][n]["label"] for n in result["regressions"])
        _err(f"regression from {args.a} to {args.b}: {names} worse beyond the noise (95% interval excludes 0)")
        return EXIT_BELOW
    return EXIT_OK


def cmd_careers(args: argparse.Namespace) -> int:
    """The careers of the index: id and title, one a line (or JSON)."""
    advisor = _load(args)
    listing = advisor.careers.listing()
    if args.json:
        print(json.dumps({"careers": listing}, ensure_ascii=False, indent=2))
    else:
        width = max(len(c["id"]) for c in listing)
        for c in listing:
            print(f"{c['id']:<{width}}  {c['title']}")
    return EXIT_OK


def _records(args: argparse.Namespace) -> Any:
    """The records store the settings name (PostgreSQL at ADVISOR_RECORDS_URL, else the SQLite
    file of the data folder); None when there is no file yet; an error when it cannot be read."""
    from advisor.records.store import LEGACY_FILE, RECORDS_FILE, RecordsError, open_records

    settings = _settings(args)
    path = settings.data_dir / RECORDS_FILE
    if not settings.records_url and not path.exists() and not (settings.data_dir / LEGACY_FILE).exists():
        return None
    store = open_records(settings, serving=False)
    if not store.enabled:
        store.close()
        raise RecordsError(f"{store.where}: {store.status}")
    return store


def cmd_report(args: argparse.Namespace) -> int:
    """What students asked: the report on the terminal; --html one page, --csv one row a question."""
    from advisor.records.html import render_html
    from advisor.records.report import Records, build_report, format_text, load_records, parse_since, to_csv
    from advisor.records.store import utc_now

    settings = _settings(args)
    store = _records(args)
    if store is None:
        now = utc_now()
        records = Records(parse_since(args.since, now), now, [], [], settings.keep_days, "no records file yet")
        _err(f"no questions recorded yet: {settings.data_dir} holds no records file (the web app writes one as students ask)")
    else:
        records = load_records(store, args.since)
        store.close()
    report = build_report(records, _load(args) if records.needs_grouping else None)
    print(format_text(report), end="")
    if args.html is not None:
        _write_text(args.html, render_html(report), "report")
    if args.csv is not None:
        _write_text(args.csv, to_csv(records.questions), "CSV")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    """Delete every question and rating recorded before a date, and say how many."""
    from advisor.records.report import parse_date
    from advisor.records.store import stamp

    before = parse_date(args.before)
    store = _records(args)
    if store is None:
        print(f"Nothing to delete: {_settings(args).data_dir} holds no records file.")
        return EXIT_OK
    try:
        asked, rated = store.forget(before)
    finally:
        store.close()
    print(f"Deleted {asked} question(s) and {rated} rating(s) recorded before {stamp(before).replace('T', ' ').replace('Z', ' UTC')} "
          f"from {store.where}.")
    return EXIT_OK


def cmd_records_migrate(args: argparse.Namespace) -> int:
    """Bring the PostgreSQL database of ADVISOR_RECORDS_URL to this advisor's schema; with
    --from, copy a SQLite records file in (once: rows already there are skipped)."""
    from advisor.records.backend import Fault
    from advisor.records.postgres import SCHEMA_VERSION, PostgresBackend
    from advisor.records.store import RecordsError
    from advisor.settings import masked_url

    settings = _settings(args)
    if not settings.records_url:
        raise RecordsError("ADVISOR_RECORDS_URL is not set: it names the PostgreSQL database, e.g. "
                           "ADVISOR_RECORDS_URL=postgresql://advisor_owner:PASSWORD@db.school.org/advisor advisor records migrate")
    backend = PostgresBackend(settings.records_url, serving=False)
    try:
        if args.source is not None:
            from advisor.records.copy import copy_sqlite

            print(copy_sqlite(args.source, backend).summary())
            return EXIT_OK
        try:
            applied = backend.migrate()
        except Fault as fault:
            raise RecordsError(fault.message) from None
    finally:
        backend.close()
    where = masked_url(settings.records_url)
    print(f"{where}: schema version {SCHEMA_VERSION}" + (f" (applied: {', '.join(map(str, applied))})." if applied else ", already up to date."))
    return EXIT_OK


def cmd_records_status(args: argparse.Namespace) -> int:
    """Where the question log is kept, whether it works, and how many rows it holds."""
    store = _records(args)
    if store is None:
        print(f"{_settings(args).data_dir}: no records file yet (the web app writes one as students ask).")
        return EXIT_OK
    try:
        questions, ratings = store.questions(), store.ratings()
        print(f"{store.where}: {store.status}; {len(questions)} question(s), {len(ratings)} rating(s), kept {store.keep_days} day(s).")
    finally:
        store.close()
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from advisor.web.server import serve

    settings = _settings(args).with_(host=args.host, port=args.port, career=args.career, workers=args.workers,
                                     api_only=True if args.api_only else None, api_port=args.api_port, reload_seconds=args.reload_seconds)
    serve(settings, progress=print_progress)
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="folder of .txt/.md/.html profiles (env ADVISOR_CORPUS; default ./corpus)")
    common.add_argument("--data", type=Path, help="folder for the index (env ADVISOR_DATA; default ./data)")
    common.add_argument("--model", help="sentence-transformers model folder (env ADVISOR_MODEL; default all-MiniLM-L6-v2)")
    common.add_argument("--no-build", action="store_true", help="refuse a missing or stale index instead of building it")
    common.add_argument("-v", "--verbose", action="store_true", help="log details and show tracebacks")

    p = argparse.ArgumentParser(prog="advisor", description="A career advisor that answers only with quoted, cited sentences from its profiles.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", parents=[common], help="build the search index from the corpus")
    b.set_defaults(func=cmd_build)

    a = sub.add_parser("ask", parents=[common], help="ask one question")
    a.add_argument("question")
    a.add_argument("--history", nargs="*", metavar="Q", help="earlier questions of the conversation, oldest first")
    a.add_argument("--json", action="store_true", help="print the batch output record")
    a.add_argument("--career", help="answer from this career only (an id from `advisor careers`)")
    a.set_defaults(func=cmd_ask)

    bt = sub.add_parser("batch", parents=[common], help="answer a JSONL file of questions")
    bt.add_argument("input", type=Path, help='JSONL lines {"id", "question", "history"}')
    bt.add_argument("-o", "--output", type=Path, help="output JSONL (default: standard output)")
    bt.add_argument("--career", help="pin this career for lines that do not name one in a \"career\" key")
    bt.set_defaults(func=cmd_batch)

    e = sub.add_parser("eval", parents=[common], help="answer and score a JSONL file with gold keys")
    e.add_argument("input", type=Path, help='JSONL lines with "answerable" and "expect_any"')
    e.add_argument("-o", "--output", type=Path, help="also write the output records here, each with its gold keys, pass, why and rank")
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")
    e.add_argument("--min-answer-acc", type=float, metavar="X", help="exit non-zero when answer accuracy is below X")
    e.add_argument("--career", help="pin this career for lines that do not name one in a \"career\" key")
    e.add_argument("--report", type=Path, metavar="PATH.html", help="write one self-contained HTML page: metrics, charts, every question")
    e.add_argument("--csv", type=Path, metavar="PATH.csv", help="write one flat row per question, for spreadsheets")
    e.add_argument("--junit", type=Path, metavar="PATH.xml", help="write JUnit XML, one test case per question, for CI")
    e.set_defaults(func=cmd_eval)

    cmp = sub.add_parser("compare", help="compare two `advisor eval -o` outputs question by question")
    cmp.add_argument("a", type=Path, metavar="A.jsonl", help="the earlier run (the baseline)")
    cmp.add_argument("b", type=Path, metavar="B.jsonl", help="the later run")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.add_argument("--fail-on-regression", action="store_true",
                     help="exit 3 when answer accuracy falls, false refusals rise or unanswerable lines get answered beyond the noise")
    cmp.add_argument("--resamples", type=int, default=2000, metavar="N", help="bootstrap resamples (default 2000)")
    cmp.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    cmp.add_argument("-v", "--verbose", action="store_true", help="show tracebacks")
    cmp.set_defaults(func=cmd_compare)

    c = sub.add_parser("careers", parents=[common], help="list the careers (ids and titles) of the index")
    c.add_argument("--json", action="store_true", help="print them as JSON")
    c.set_defaults(func=cmd_careers)

    r = sub.add_parser("report", parents=[common], help="what students asked: answer rate, unanswered and rated-down questions by meaning")
    r.add_argument("--since", default="30d", help="the period: 30d, 12h, 2w, a date (2024-05-01, UTC) or all (default 30d)")
    r.add_argument("--html", type=Path, metavar="PATH.html", help="also write the report as one self-contained HTML page")
    r.add_argument("--csv", type=Path, metavar="PATH.csv", help="also write every question of the period, one row each")
    r.set_defaults(func=cmd_report)

    f = sub.add_parser("forget", parents=[common], help="delete the questions and ratings recorded before a date")
    f.add_argument("--before", required=True, metavar="DATE", help="a date (2024-05-01: its UTC midnight) or a time (2024-05-01T12:00:00Z)")
    f.set_defaults(func=cmd_forget)

    rec = sub.add_parser("records", help="the question log's database: schema migrations, a SQLite log copied into PostgreSQL, status")
    rsub = rec.add_subparsers(dest="records_command", required=True, metavar="ACTION")
    rm = rsub.add_parser("migrate", parents=[common], help="bring the PostgreSQL database (ADVISOR_RECORDS_URL) to this version's tables; "
                         "--from copies a SQLite records file in")
    rm.add_argument("--from", dest="source", type=Path, metavar="FILE", help="a records file to copy in once, e.g. data/records.sqlite3")
    rm.set_defaults(func=cmd_records_migrate)
    rs = rsub.add_parser("status", parents=[common], help="where the question log is kept, whether it works, how many rows")
    rs.set_defaults(func=cmd_records_status)

    s = sub.add_parser("serve", parents=[common], help="start the chat UI and REST API")
    s.add_argument("--career", help="the career the chat page starts with (env ADVISOR_CAREER; default: all)")
    s.add_argument("--host", help="interface to listen on (env ADVISOR_HOST; default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (env ADVISOR_PORT; default 7860)")
    s.add_argument("--workers", type=int, metavar="N", help="answer processes for /api/ and /embed.js (env ADVISOR_WORKERS; default 1); "
                   "with N > 1 they listen on --api-port and the chat page is one more process on --port")
    s.add_argument("--api-port", type=int, help="the answer workers' port beside the chat (env ADVISOR_API_PORT; default --port + 1)")
    s.add_argument("--api-only", action="store_true", help="serve only /api/ and /embed.js, on --port (env ADVISOR_API_ONLY): an extra machine behind the proxy")
    s.add_argument("--reload-seconds", type=float, metavar="S",
                   help="how often each process looks for a new index from `advisor build` (env ADVISOR_RELOAD_SECONDS; default 5; 0 = on SIGHUP only)")
    s.set_defaults(func=cmd_serve)
    return p


def quiet_libraries(verbose: bool = False) -> None:
    """The connection pool logs every failed reconnection; the records store says it once
    (and /api/health says it all along)."""
    logging.getLogger("psycopg.pool").setLevel(logging.INFO if verbose else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # odd input never stops the output
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_libraries(args.verbose)
    try:
        return int(args.func(args))
    except AdvisorError as exc:
        _err(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # last resort: one line, not a traceback
        if args.verbose:
            raise
        _err(f"unexpected error: {type(exc).__name__}: {exc} (run again with --verbose for details)")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
