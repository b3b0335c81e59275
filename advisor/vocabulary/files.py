"""Where the vocabulary data files are, and how the plain ones are read.

Kept apart from `advisor.vocabulary` (the synonyms) so that `advisor.text` can read its
word lists without importing anything else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERAL_SYNONYMS = HERE / "synonyms.txt"
QUESTION_TEMPLATES = HERE / "questions.txt"
GENERIC_WORDS = HERE / "generic.txt"
SHORTHAND = HERE / "shorthand.txt"
STOPWORDS_FILE = HERE / "stopwords.txt"


@lru_cache(maxsize=16)
def word_list(path: Path) -> frozenset[str]:
    """The words of a plain word-list file ("#" comments, any white space between)."""
    text = re.sub(r"#.*", "", path.read_text("utf-8"))
    return frozenset(w.lower() for w in text.split())
