"""The counselors' report as one self-contained HTML page: inline CSS, no script, nothing
loaded from elsewhere, every student text HTML-escaped. The same page is written by
`advisor report --html` and served at /admin.

Its own Content-Security-Policy (a meta tag, for the file) allows inline styles and nothing
else, so even text that slipped past escaping could neither run nor fetch anything.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from advisor.records.meaning import MAX_WORDINGS
from advisor.records.report import Group, Report, empty_message, percent, period, summary_rows

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #1a202c; }
h1 { font-size: 1.45em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #e2e8f0; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #e2e8f0; padding: 4px 10px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted, .meta { color: #4a5568; } .meta { font-size: .9em; }
.bar { display: inline-block; height: .8em; background: #3182ce; vertical-align: middle; } .bar.ok { background: #38a169; }
ol.groups > li { margin: 0 0 1.1em; } ul.wordings { margin: .2em 0; padding-left: 1.2em; }
blockquote { margin: .3em 0; padding: .2em .8em; border-left: 3px solid #cbd5e0; color: #2d3748; }
.hint { background: #f0fff4; border: 1px solid #9ae6b4; padding: .15em .5em; display: inline-block; }
.hint.none { background: #fffaf0; border-color: #fbd38d; }
.note { background: #fffbea; border: 1px solid #f6e05e; padding: .5em .8em; } code { background: #edf2f7; padding: 0 .25em; }
form { margin: .6em 0; } .actions a { margin-right: 1em; display: inline-block; padding: 4px 0; }
select, button { font: inherit; min-height: 32px; }
a:focus-visible, select:focus-visible, button:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
body { overflow-wrap: anywhere; }  /* a long word or address in a question wraps */
@media (max-width: 480px) {  /* a phone (WCAG 1.4.10 at 320 px): nothing scrolls sideways */
  body { padding: 0 .6em; } td, th { padding: 4px 6px; }
  [data-testid=per-day] :is(td, th):nth-child(4) { display: none; }  /* the bars: the numbers beside them say the same */
}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'"


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def render_html(report: Report, csv_href: str | None = None, since: str | None = None) -> str:
    """The page. `csv_href` adds a download link; `since` (the period asked, e.g. "30d")
    adds a small form to pick another (used by /admin)."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex">',
        "<title>What students asked</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>What students asked</h1>",
        f'<p class="meta" data-testid="period">{_e(period(report))}. Questions are kept {_keep(report.keep_days)}.</p>',
    ]
    if since is not None or csv_href:
        parts.append(_actions(csv_href, since))
    parts += [f'<p class="note">{_e(n)}</p>' for n in report.notes]
    empty = empty_message(report)
    if empty:
        parts += [f'<p class="note" data-testid="empty">{_e(empty)}</p>', "</body></html>"]
        return "\n".join(parts)
    parts.append('<table class="summary" data-testid="summary">')
    parts += [f"<tr><th>{_e(a)}</th><td>{_e(b)}</td></tr>" for a, b in summary_rows(report)]
    parts.append("</table>")
    parts += _per_day(report)
    parts.append(f'<h2>Not answered, grouped by meaning <span class="muted">({report.unanswered_groups})</span></h2>')
    parts += _groups(report.unanswered, report.unanswered_groups, "unanswered", _unanswered_detail)
    parts.append(f'<h2>Rated down, grouped by meaning <span class="muted">({report.rated_down_groups})</span></h2>')
    parts += _groups(report.rated_down, report.rated_down_groups, "rated-down", _down_detail)
    parts.append("<h2>Most asked topics</h2>")
    if report.topics:
        parts.append('<table data-testid="topics"><tr><th>answered questions</th><th>section</th></tr>')
        parts += [f'<tr><td class="n">{n}</td><td>{_e(d)} › {_e(s)}</td></tr>' for d, s, n in report.topics]
        parts.append("</table>")
    else:
        parts.append('<p class="muted">No answered question in this period.</p>')
    if report.ungrouped:
        parts.append(f'<p class="muted">{report.ungrouped} question(s) beyond the {MAX_WORDINGS} most asked wordings were counted, not grouped.</p>')
    parts.append(f'<p class="meta">A group holds questions of which every two are at least {report.threshold:.2f} alike by the advisor\'s '
                 "embedding model (their typos repaired, career names left out); questions about different careers are never grouped.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _keep(days: int) -> str:
    return "not at all (ADVISOR_KEEP_DAYS=0)" if days == 0 else f"for {days} days (ADVISOR_KEEP_DAYS)"


def _actions(csv_href: str | None, since: str | None) -> str:
    out = ['<div class="actions">']
    if since is not None:
        options = "".join(f'<option value="{v}"{" selected" if v == since else ""}>{label}</option>'
                          for v, label in (("7d", "last 7 days"), ("30d", "last 30 days"), ("90d", "last 90 days"), ("all", "everything kept")))
        if since not in ("7d", "30d", "90d", "all"):
            options += f'<option value="{_e(since)}" selected>{_e(since)}</option>'
        out.append(f'<form method="get"><label>Period <select name="since">{options}</select></label> <button>Show</button></form>')
    if csv_href:
        out.append(f'<a href="{_e(csv_href)}" data-testid="csv">Download every question (CSV)</a>')
    out.append("</div>")
    return "".join(out)


def _per_day(report: Report) -> list[str]:
    if not report.per_day:
        return []
    top = max(n for _, n, _ in report.per_day) or 1
    rows = ['<h2>Questions per day <span class="muted">(UTC)</span></h2>', '<table data-testid="per-day"><tr><th>date</th><th>asked</th>'
            "<th>answered</th><th></th></tr>"]
    for d, n, a in report.per_day:
        bars = (f'<span class="bar ok" style="width:{round(160 * a / top)}px"></span>'
                f'<span class="bar" style="width:{round(160 * (n - a) / top)}px"></span>')
        rows.append(f'<tr><td>{_e(d)}</td><td class="n">{n}</td><td class="n">{a}</td><td>{bars}</td></tr>')
    rows.append("</table>")
    rows.append(f'<p class="meta">Answer rate over the period: {_e(percent(report.answer_rate))} (green: answered).</p>')
    return rows


def _groups(groups: tuple[Group, ...], total: int, testid: str, detail: Callable[[Group], tuple[str, str]]) -> list[str]:
    if not groups:
        return ['<p class="muted">None in this period.</p>']
    out = [f'<ol class="groups" data-testid="{testid}">']
    for g in groups:
        wordings = "".join(f"<li>{_e(t)}" + (f' <span class="muted">×{n}</span>' if n > 1 else "") + "</li>" for t, n in g.wordings)
        head, tail = detail(g)
        out.append(f'<li><strong>{g.size}</strong> question(s){head}<ul class="wordings">{wordings}</ul>{tail}</li>')
    out.append("</ol>")
    if total > len(groups):
        out.append(f'<p class="muted">… and {total - len(groups)} smaller group(s): see the CSV.</p>')
    return out


def _unanswered_detail(g: Group) -> tuple[str, str]:
    head = (f" about {_e(', '.join(g.careers))}" if g.careers else "") + (
        f'; the profile never uses <code>{_e(", ".join(g.missing))}</code>' if g.missing else "")
    tail = ""
    n = g.nearest
    if n is not None and n.near:
        tail += (f'<div class="meta">Nearest section: {_e(n.doc)} › {_e(n.section)}, line {n.lines[0]} '
                 f"(similarity {n.similarity:.2f})</div><blockquote>{_e(n.text)}</blockquote>")
    elif n is not None:
        tail += f'<div class="meta">No section is near (the nearest, {_e(n.section)}, is {n.similarity:.2f} alike).</div>'
    css = "hint none" if g.hint.startswith("the profiles") else "hint"
    tail += f'<div>Hint: <span class="{css}">{_e(g.hint)}</span></div>'
    return head, tail


def _down_detail(g: Group) -> tuple[str, str]:
    return "", f'<div class="meta">Answer given:</div><blockquote>{_e(g.answer)}</blockquote>'
