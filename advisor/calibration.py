"""Fitted decisions: a logistic model over named signals, stored as JSON beside the code.

The answer-or-refuse decision and the routing decision are each one such model, fitted
on the development sets by `eval/fit.py` (scikit-learn's LogisticRegression) and read
here without scikit-learn. Its probability is what the advisor reports as `confidence`.

    >>> m = Logistic(("score",), (4.0,), -2.0, (0.0,), (1.0,), 0.5)
    >>> round(m.probability({"score": 0.5}), 2)
    0.5
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import VocabularyError

HERE = Path(__file__).resolve().parent / "calibrated"


@dataclass(frozen=True)
class Logistic:
    """p = 1 / (1 + exp(-(bias + Σ w·(x - mean) / scale))); `threshold`: act when p ≥ it."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float = 0.5
    fitted_on: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, for the record

    def margin(self, x: Mapping[str, float]) -> float:
        z = self.bias
        for f, w, m, s in zip(self.features, self.weights, self.mean, self.scale, strict=True):
            z += w * (float(x.get(f, 0.0)) - m) / (s or 1.0)
        return z

    def probability(self, x: Mapping[str, float]) -> float:
        z = max(-40.0, min(40.0, self.margin(x)))
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Logistic:
        return cls(tuple(d["features"]), tuple(float(w) for w in d["weights"]), float(d["bias"]), tuple(float(m) for m in d["mean"]),
                   tuple(float(s) for s in d["scale"]), float(d.get("threshold", 0.5)), dict(d.get("fitted_on", {})))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", "utf-8")


def load(name: str, folder: Path = HERE) -> Logistic:
    """A model shipped with the package (`calibrated/<name>.json`); a damaged file is a
    clear error naming it."""
    path = folder / f"{name}.json"
    try:
        return Logistic.from_dict(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VocabularyError(f"Cannot read the fitted model {path}: {exc}. Refit it with: python eval/fit.py") from exc
