"""Make the corpus folders the question sets are run against (copies; nothing is edited).

    python eval/corpora.py careers  /tmp/careers     # imaging + 5 full OOH pages + 20 OOH entries
    python eval/corpora.py catalogue /tmp/catalogue  # imaging + all 369 OOH profiles
    python eval/corpora.py full /tmp/full            # a school's whole catalogue: imaging + every profile
                                                     # of ../shared/profiles (OOH and the wild pages)
    python eval/corpora.py wild /tmp/wild            # imaging + the real pages of ../shared/profiles/wild

The OOH profiles come from ../shared/profiles (or --profiles DIR). The project's own
corpus/ (the imaging profile and its synonyms.txt) is copied in too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
META_FILES = {"SOURCES.md", "README.md", "DEV-CAREERS.txt"}  # notes about the profiles, not profiles
SHORT_ENTRIES = [
    # careers-dev.jsonl
    "air-traffic-controllers", "dental-hygienists", "electricians", "firefighters", "lawyers",
    "licensed-practical-and-licensed-vocational-nurses", "graphic-designers", "chefs-and-head-cooks",
    "diagnostic-medical-sonographer", "emts-and-paramedics",
    # careers-blind.jsonl
    "carpenters", "computer-programmers", "dietitians-and-nutritionists", "flight-attendants", "librarians",
    "massage-therapists", "interpreters-and-translators", "athletic-trainers", "economists", "medical-assistants",
]


def make(kind: str, dest: Path, profiles: Path) -> int:
    if not (profiles / "ooh-2019").is_dir():
        print(f"no profiles at {profiles} (expected ooh-2019/ and ooh-2016/ there)", file=sys.stderr)
        return 1
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "corpus", dest)
    if kind in ("full", "wild"):
        for sub in ("ooh-2019", "ooh-2016", "wild") if kind == "full" else ("wild",):
            (dest / sub).mkdir()
            for f in sorted((profiles / sub).iterdir()):
                if f.is_file() and f.name not in META_FILES:
                    shutil.copy(f, dest / sub / f.name)
        return _done(dest)
    (dest / "ooh-2019").mkdir()
    (dest / "ooh-2016").mkdir()
    for f in sorted((profiles / "ooh-2019").glob("*.txt")):
        shutil.copy(f, dest / "ooh-2019" / f.name)
    entries = sorted((profiles / "ooh-2016").glob("*.txt")) if kind == "catalogue" else [profiles / "ooh-2016" / f"{n}.txt" for n in SHORT_ENTRIES]
    for f in entries:
        shutil.copy(f, dest / "ooh-2016" / f.name)
    return _done(dest)


def _done(dest: Path) -> int:
    n = sum(1 for p in dest.rglob("*") if p.is_file() and p.name != "synonyms.txt")
    print(f"{dest}: {n} profiles")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["careers", "catalogue", "full", "wild"])
    p.add_argument("dest", type=Path)
    p.add_argument("--profiles", type=Path, default=ROOT.parent / "shared" / "profiles")
    a = p.parse_args()
    return make(a.kind, a.dest, a.profiles)


if __name__ == "__main__":
    sys.exit(main())
