"""Command-line shell over the core: build, ask, batch, eval, serve.

Errors become one line on stderr and a non-zero exit; no traceback reaches the user
unless --verbose is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
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


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=args.corpus, data_dir=args.data, model=args.model,
        auto_build=False if getattr(args, "no_build", False) else None,
    )


def _load(args: argparse.Namespace) -> Any:
    from advisor.engine import Advisor

    return Advisor.load(_settings(args), progress=_progress)


# -- commands ---------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from advisor.index.embedder import make_embedder
    from advisor.index.store import build_index

    settings = _settings(args)
    t0 = time.perf_counter()
    _progress(f"Building the index of {settings.corpus_dir} with {settings.model}…")
    index = build_index(settings.corpus_dir, settings.data_dir, make_embedder(settings.model), progress=_progress, show_progress=sys.stderr.isatty())
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
            lines.append(f"  [{c.n}] {c.doc} › {c.section}, line{'s' if c.lines[0] != c.lines[1] else ''} "
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


def _batch(args: argparse.Namespace, quiet_stdout: bool = False) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], dict[str, str]]:
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
    _progress(f"{len(pairs)} line(s) answered in {time.perf_counter() - t0:.1f} s, {errors} error(s)"
              + (f"; written to {args.output}" if args.output else ""))
    sources = {d: doc.text for d, doc in advisor.index.documents.items()}
    return pairs, sources


def cmd_batch(args: argparse.Namespace) -> int:
    _batch(args)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from advisor.evaluation import format_table, score

    pairs, sources = _batch(args, quiet_stdout=args.output is None)
    metrics = score(pairs, sources)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        print(format_table(metrics))
    acc = metrics["answer_accuracy"]
    if args.min_answer_acc is not None and (acc is None or acc < args.min_answer_acc):
        _err(f"answer accuracy {acc} is below --min-answer-acc {args.min_answer_acc}")
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


def cmd_serve(args: argparse.Namespace) -> int:
    from advisor.web.server import serve

    settings = _settings(args).with_(host=args.host, port=args.port, career=args.career)
    serve(settings, progress=_progress)
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
    e.add_argument("-o", "--output", type=Path, help="also write the batch output records here")
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")
    e.add_argument("--min-answer-acc", type=float, metavar="X", help="exit non-zero when answer accuracy is below X")
    e.add_argument("--career", help="pin this career for lines that do not name one in a \"career\" key")
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("careers", parents=[common], help="list the careers (ids and titles) of the index")
    c.add_argument("--json", action="store_true", help="print them as JSON")
    c.set_defaults(func=cmd_careers)

    s = sub.add_parser("serve", parents=[common], help="start the chat UI and REST API")
    s.add_argument("--career", help="the career the chat page starts with (env ADVISOR_CAREER; default: all)")
    s.add_argument("--host", help="interface to listen on (env ADVISOR_HOST; default 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (env ADVISOR_PORT; default 7860)")
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # odd input never stops the output
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
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
