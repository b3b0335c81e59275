"""One self-contained HTML page for an eval run: the summary with each metric defined,
charts as inline SVG, and a filterable table of every question.

Nothing is loaded from elsewhere: styles, charts and the filter script are in the page,
and its Content-Security-Policy allows only that script (by hash), so even a question
that slipped past escaping could not run code or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from html import escape
from typing import Any

from advisor.evalreport.charts import TypeRates, latency_chart, type_chart
from advisor.evalreport.rows import citation_url
from advisor.evaluation import WHY, line_type, stats_rows, summary_rows

PROFILES_URL = "http://127.0.0.1:7860"  # where `make run` serves the advisor, and its /profiles/ pages

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #1a202c; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }
.summary td:nth-child(2) { font-variant-numeric: tabular-nums; white-space: nowrap; } .summary td:nth-child(3), .muted { color: #4a5568; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; } svg { max-width: 100%; height: auto; }
.filters { display: flex; gap: 1em; flex-wrap: wrap; align-items: center; margin: .5em 0; position: sticky; top: 0; background: #fff; padding: .4em 0; }
#questions { width: 100%; font-size: 13px; } #questions td { max-width: 34em; }
.answer { white-space: pre-wrap; } .history { color: #4a5568; font-size: 12px; } ol.cites { margin: 0; padding-left: 1.2em; font-size: 12px; }
.pass { color: #276749; font-weight: 600; } .fail { color: #c53030; font-weight: 600; } .none { color: #718096; }
.note { background: #fffbea; border: 1px solid #f6e05e; padding: .5em .8em; }
"""

# Filters the question table by type, outcome and text; rows carry data-type / data-outcome.
SCRIPT = """
const rows = Array.from(document.querySelectorAll('#questions tbody tr'));
const type = document.getElementById('f-type'), outcome = document.getElementById('f-outcome'), text = document.getElementById('f-text');
const shown = document.getElementById('shown');
function apply() {
  const t = type.value, o = outcome.value, s = text.value.trim().toLowerCase();
  let n = 0;
  for (const tr of rows) {
    const ok = (!t || tr.dataset.type === t)
      && (!o || tr.dataset.outcome === o || (o === 'fail' && tr.dataset.outcome.startsWith('fail:')))
      && (!s || tr.textContent.toLowerCase().includes(s));
    tr.hidden = !ok;
    if (ok) n++;
  }
  shown.textContent = n;
}
for (const el of [type, outcome]) el.addEventListener('change', apply);
text.addEventListener('input', apply);
apply();
"""


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def type_rates(records: list[dict[str, Any]]) -> list[TypeRates]:
    """Per question type (lines with gold only): answer accuracy and share refused."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        gold = r.get("gold") or {}
        if r.get("pass") is not None:
            groups.setdefault(line_type(gold), []).append(r)
    out = []
    for t, rs in sorted(groups.items()):
        answerable = [r for r in rs if r["gold"].get("answerable")]
        ran = [r for r in rs if "error" not in r]
        acc = sum(bool(r["pass"]) for r in answerable) / len(answerable) if answerable else None
        refused = sum(bool(r.get("abstained")) for r in ran) / len(ran) if ran else None
        out.append(TypeRates(t, len(rs), acc, refused))
    return out


def _outcome(r: dict[str, Any]) -> str:
    if r.get("pass") is None:
        return "error" if "error" in r else "no gold"
    return "pass" if r["pass"] else f"fail:{r.get('why')}"


def _summary(metrics: dict[str, Any] | None, stats: dict[str, Any]) -> str:
    rows = summary_rows(metrics) if metrics is not None else stats_rows(stats)
    # a group of rows (abstention: …, by type: …) shares one definition, shown on its first row
    shown = [c if i == 0 or c != rows[i - 1][2] else "" for i, (_, _, c) in enumerate(rows)]
    body = "".join(f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(c)}</td></tr>" for (a, b, _), c in zip(rows, shown, strict=True))
    return f'<table class="summary"><thead><tr><th>metric</th><th>value</th><th>definition</th></tr></thead><tbody>{body}</tbody></table>'


def _why_table(records: list[dict[str, Any]]) -> str:
    counts = Counter(r.get("why") for r in records if r.get("pass") is False)
    if not counts:
        return "<p>No line failed.</p>"
    body = "".join(f"<tr><td>{_e(w)}</td><td>{counts[w]}</td></tr>" for w in WHY if counts.get(w))
    return f'<table><thead><tr><th>why it failed</th><th>lines</th></tr></thead><tbody>{body}</tbody></table>'


def _citation(c: dict[str, Any], profiles_url: str) -> str:
    """`[1] Career › Section` linked to the quoted lines in their profile page (on the
    advisor at `profiles_url`), then the quote."""
    url = citation_url(c)
    where = f"[{c.get('n', '?')}] {c.get('title') or c.get('doc', '')} › {c.get('section', '')}"
    link = f'<a href="{_e(profiles_url.rstrip("/") + url)}">{_e(where)}</a>' if url else _e(where)
    return f"<li>{link}: {_e(' '.join(str(c.get('text', '')).split()))}</li>"


def _question_row(i: int, r: dict[str, Any], profiles_url: str) -> str:
    gold = r.get("gold") or {}
    outcome = _outcome(r)
    hist = r.get("history") or []
    history = "".join(f'<div class="history">earlier: {_e(h)}</div>' for h in hist if isinstance(h, str))
    expect = gold.get("expect_any") or []
    expect_html = f'<div class="history">expected any of: {_e(" | ".join(map(str, expect)))}</div>' if expect else ""
    if "error" in r:
        answer = f'<span class="fail">error</span>: {_e(r["error"])}'
    else:
        answer = f'<div class="muted">{_e(r.get("kind", ""))}, confidence {_e(r.get("confidence", ""))}, {_e(r.get("latency_ms", ""))} ms</div>' \
                 f'<div class="answer">{_e(r.get("answer", ""))}</div>'
    cites = "".join(_citation(c, profiles_url) for c in r.get("citations") or [] if isinstance(c, dict))
    cls = "pass" if outcome == "pass" else "none" if r.get("pass") is None else "fail"
    result = f'<span class="{cls}">{_e(outcome.split(":")[0])}</span>'
    if r.get("why"):
        result += f"<br>{_e(r['why'])}"
    if r.get("rank"):
        result += f'<br><span class="muted">right passage at rank {_e(r["rank"])}</span>'
    t = line_type(gold) if r.get("pass") is not None else str(gold.get("type", ""))
    return (f'<tr data-type="{_e(t)}" data-outcome="{_e(outcome)}"><td>{i}</td><td>{_e(r.get("id", ""))}</td><td>{_e(t)}</td>'
            f'<td>{history}<div>{_e(r.get("question", ""))}</div>{expect_html}</td><td>{answer}</td>'
            f'<td><ol class="cites">{cites}</ol></td><td>{result}</td></tr>')


def _filters(records: list[dict[str, Any]]) -> str:
    types = sorted({tr for tr in (line_type(r.get("gold") or {}) if r.get("pass") is not None else str((r.get("gold") or {}).get("type", ""))
                                  for r in records) if tr})
    outcomes = Counter(_outcome(r) for r in records)
    opts_t = "".join(f'<option value="{_e(t)}">{_e(t)}</option>' for t in types)
    fails = sum(n for o, n in outcomes.items() if o.startswith("fail:"))
    opts_o = f'<option value="pass">pass ({outcomes.get("pass", 0)})</option><option value="fail">fail ({fails})</option>'
    opts_o += "".join(f'<option value="fail:{_e(w)}">fail: {_e(w)} ({outcomes[f"fail:{w}"]})</option>' for w in WHY if outcomes.get(f"fail:{w}"))
    opts_o += "".join(f'<option value="{o}">{o} ({outcomes[o]})</option>' for o in ("no gold", "error") if outcomes.get(o))
    return (f'<div class="filters"><label>type <select id="f-type"><option value="">all</option>{opts_t}</select></label>'
            f'<label>outcome <select id="f-outcome"><option value="">all</option>{opts_o}</select></label>'
            f'<label>text <input id="f-text" type="search" placeholder="question, answer, citation…"></label>'
            f'<span>showing <b id="shown">{len(records)}</b> of {len(records)}</span></div>')


def render_report(records: list[dict[str, Any]], metrics: dict[str, Any] | None, stats: dict[str, Any], source: str, created: str = "",
                  profiles_url: str = PROFILES_URL) -> str:
    """The page for `advisor eval --report`. `records` are eval records (with gold, pass,
    why, rank); `metrics` is `score`'s result, or None for a file without gold keys. Each
    citation links to its quoted lines in the profile pages of the advisor at
    `profiles_url` (`make run`'s address unless given)."""
    rates = type_rates(records)
    latencies = [float(r["latency_ms"]) for r in records if "error" not in r and r.get("latency_ms") is not None]
    note = "" if metrics is not None else f'<p class="note">No gold answers in {_e(source)}: showing answer statistics only.</p>'
    chart = (f"<figure><figcaption>Answer accuracy and abstention by question type</figcaption>{type_chart(rates)}</figure>" if rates else "")
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{script_hash}'"
    head = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{csp}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>advisor eval: {_e(source)}</title><style>{STYLE}</style></head>')
    body = [
        f"<h1>advisor eval: {_e(source)}</h1>",
        f'<p class="muted">{len(records)} lines{", " + _e(created) if created else ""}. Each metric is defined in the table; '
        "a line passes when it is answered with an expected phrase (answerable lines) or refused (unanswerable lines).</p>",
        note,
        "<h2>Summary</h2>", _summary(metrics, stats),
        "<h2>Charts</h2>", f'<div class="charts">{chart}<figure><figcaption>Latency</figcaption>{latency_chart(latencies)}</figure></div>',
        "<h2>Failures</h2>", _why_table(records),
        "<h2>Every question</h2>", _filters(records),
        '<table id="questions"><thead><tr><th>#</th><th>id</th><th>type</th><th>question</th><th>answer</th><th>citations</th><th>result</th></tr></thead><tbody>',
        "".join(_question_row(i, r, profiles_url) for i, r in enumerate(records, start=1)),
        "</tbody></table>",
        f"<script>{SCRIPT}</script>",
    ]
    return head + "<body>" + "\n".join(body) + "</body></html>\n"
