"""Shared by the benchmark scripts."""

from __future__ import annotations


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile of xs, linearly interpolated (numpy's default)."""
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(a) for a, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  -----")
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
