"""The report's two charts, drawn with matplotlib and returned as inline SVG text.

matplotlib is imported here only, when a report is written: `advisor eval` without
--report never loads it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

ACCURACY_COLOUR, ABSTENTION_COLOUR, LATENCY_COLOUR = "#2b6cb0", "#dd6b20", "#4a5568"


@dataclass(frozen=True)
class TypeRates:
    """One question type: how many lines, answer accuracy over its answerable lines
    (None when it has none) and the share of all its lines that were refused."""

    type: str
    lines: int
    accuracy: float | None
    abstention: float | None


def _svg(fig: Any, salt: str) -> str:
    """The figure as an <svg> element to paste into HTML: text kept as text (light and
    searchable), ids salted so two charts on one page never share a clip-path id, and the
    XML prologue and metadata (namespace URLs, creation date) left out."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # matplotlib names its groups "figure_1", "patch_1", … in every figure: prefix them all
    text = re.sub(r'\bid="', f'id="{salt}-', text)
    text = text.replace('href="#', f'href="#{salt}-').replace("url(#", f"url(#{salt}-")
    return text.strip()


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=96)
    fig.set_layout_engine("constrained")
    return fig


def type_chart(rates: list[TypeRates]) -> str:
    """Grouped bars a question type: answer accuracy and abstention (share refused)."""
    fig = _figure(max(5.0, 0.9 * len(rates) + 1.5), 3.4)
    ax = fig.add_subplot()
    xs = list(range(len(rates)))
    acc = [r.accuracy if r.accuracy is not None else 0.0 for r in rates]
    abst = [r.abstention if r.abstention is not None else 0.0 for r in rates]
    bars_acc = ax.bar([x - 0.2 for x in xs], acc, width=0.4, color=ACCURACY_COLOUR, label="answer accuracy (answerable lines)")
    bars_abs = ax.bar([x + 0.2 for x in xs], abst, width=0.4, color=ABSTENTION_COLOUR, label="abstention (share refused)")
    for bars, values in ((bars_acc, [r.accuracy for r in rates]), (bars_abs, [r.abstention for r in rates])):
        ax.bar_label(bars, labels=["–" if v is None else f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.set_xticks(xs, [f"{r.type}\n(n={r.lines})" for r in rates], fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("share of lines")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8, frameon=False)
    return _svg(fig, "types")


def latency_chart(latencies_ms: list[float]) -> str:
    """A histogram of the time each ask took, with its p50 and p95 marked."""
    import numpy as np

    fig = _figure(6.0, 2.8)
    ax = fig.add_subplot()
    if latencies_ms:
        ax.hist(latencies_ms, bins=min(40, max(5, len(latencies_ms) // 4)), color=LATENCY_COLOUR)
        for q, style in ((50, "--"), (95, ":")):
            v = float(np.percentile(latencies_ms, q))
            ax.axvline(v, color=ABSTENTION_COLOUR, linestyle=style, label=f"p{q} {v:.1f} ms")
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no answered line", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("latency of one ask (ms)")
    ax.set_ylabel("lines")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig, "latency")
