"""How well the advisor reads students' spelling, on real misspellings, and print a table.

    python eval/spelling.py

`eval/misspellings.tsv` holds 389 misspellings documented in public corpora (Birkbeck,
Holbrook's pupils' essays, Wikipedia's list, Norvig's and aspell's test sets, tweets
normalised by Han & Baldwin) and texting forms, each with the word meant. Measured with
the whole catalogue's words as the speller's own (`eval/corpora.py full`):

- typo: a non-word is repaired to the word meant (`Speller.correct`);
- realword: a real word typed for another ("collage" for "college") is repaired when the
  career's profile uses the word meant and not the word typed (`Speller.in_profile`, the
  profile standing in as the catalogue's words less the word typed);
- texting: the shorthand file's reading ("u" → "you"), else the speller's ("tryin" →
  "trying"). The shorthand file's block of common texting forms was written after this
  list was collected, so this row is not blind;
- left alone: each word meant, typed correctly, is not "corrected";
- questions: `eval/misspelled-questions.jsonl`, 60 questions with a misspelling or two,
  read as a whole (repairs that make the question read as its spelled-right version).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from report import corpus  # noqa: E402

from advisor.engine import Advisor  # noqa: E402
from advisor.question import repair  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from advisor.text import stem  # noqa: E402


def main() -> int:
    work = Path(tempfile.gettempdir()) / "advisor-eval"
    adv = Advisor.load(Settings(corpus_dir=corpus("full", work), data_dir=work / "data-full"), progress=lambda m: None)
    vocab = adv.retriever.vocabulary
    speller = vocab.speller
    rows = list(csv.DictReader((HERE / "misspellings.tsv").open(encoding="utf-8"), delimiter="\t"))
    results: dict[str, list[bool]] = {}
    missed: dict[str, list[str]] = {}
    for r in rows:
        typed, meant, kind = r["typed"].lower(), r["intended"].lower(), r["kind"]
        if kind == "typo":
            got = vocab.correct(typed)
        elif kind == "realword":
            got = speller.in_profile(typed, lambda w, t=typed: w != t and vocab.knows(w))
        else:
            got = vocab.correct(typed)  # the shorthand file, then the speller ("tryin" → "trying")
        ok = (got or typed) == meant
        # a repair the search cannot tell from the word meant (the same stem: "insurence"
        # is searched as "insur", like "insurance") serves the student as well
        same = ok or stem(got or typed) == stem(meant)
        results.setdefault(kind, []).append(ok)
        results.setdefault(f"{kind}, read as meant (same stem)", []).append(same)
        if not ok:
            missed.setdefault(kind, []).append(f"{typed}→{got or '(kept)'} (meant {meant})")
    intended = sorted({r["intended"].lower() for r in rows if r["intended"].isalpha()})
    alone = [vocab.correct(w) is None for w in intended]
    results["left alone"] = alone
    missed["left alone"] = [f"{w}→{vocab.correct(w)}" for w, ok in zip(intended, alone, strict=True) if not ok]
    qs = [json.loads(x) for x in (HERE / "misspelled-questions.jsonl").read_text("utf-8").splitlines() if x.strip()]
    fixed = []
    for q in qs:
        text, _ = repair(q["question"], vocab)
        a, _ = adv.understand(q["question"])
        fixed.append(text.lower().split() == q["fixed"].lower().split())
    results["questions (non-word and texting repairs)"] = fixed
    print(f"{'kind':<42} {'rows':>5} {'right':>6}")
    for k, v in results.items():
        print(f"{k:<42} {len(v):>5} {sum(v) / max(len(v), 1):>6.2f}")
    for k, v in missed.items():
        print(f"\n{k}, missed ({len(v)}): " + "; ".join(v[:25]) + (" …" if len(v) > 25 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
