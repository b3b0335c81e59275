"""Accessibility checks the browser tests share: axe-core (pinned in tests/web/package.json,
installed into tests/web/node_modules by `make test`/`make browser`) injected into a page,
and a few measurements axe cannot make (focus contrast, sideways scroll, target sizes).

    violations = axe(page)            # [] on a page that passes WCAG 2.0/2.1/2.2 A and AA
    assert not violations, describe(violations)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
PINNED = json.loads((HERE / "package.json").read_text("utf-8"))["devDependencies"]["axe-core"]
# every WCAG success criterion at level A and AA, in each version of WCAG
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_source() -> str:
    """axe-core's script, the pinned version; a clear error when it is not installed."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"axe-core is not installed at {AXE_JS}. Run: make browser (or: npm ci --prefix tests/web)")
    version = json.loads((AXE_JS.parent / "package.json").read_text("utf-8"))["version"]
    if version != PINNED:
        raise RuntimeError(f"axe-core {version} is installed, tests/web/package.json pins {PINNED}. Run: npm ci --prefix tests/web")
    return AXE_JS.read_text("utf-8")


def axe(page: Any, include: str | None = None) -> list[dict[str, Any]]:
    """Run axe-core in `page` (every frame of it, shadow roots included) with the WCAG A
    and AA rules only; its violations, each with the nodes it found. `include` limits the
    run to one CSS selector (a widget on a host page)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # add_script_tag would be refused by a page's CSP (script-src 'self'): evaluate is not
        page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("([ctx, opts]) => window.axe.run(ctx || document, opts)", [include, options])
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One line a violation and one a node, for an assertion message."""
    out = []
    for v in violations:
        out.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:6]:
            out.append(f"    {' '.join(node['target']) if isinstance(node['target'][0], str) else node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(out)


def sideways_overflow(page: Any) -> int:
    """How many CSS pixels the page scrolls sideways (0 when nothing is wider than the screen)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


# WCAG 2's contrast ratio of two computed colours, and the opaque colour behind an element
# (through shadow roots), for the checks axe does not make.
COLORS_JS = """
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const background = (node) => { for (let n = node; n; n = n.parentElement || (n.getRootNode && n.getRootNode().host)) {
      if (!(n instanceof Element)) break; const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0.9) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
"""

# The focused control's visible focus indicator: its outline (or box-shadow ring) of 2 px or
# more, against the colour behind it.
FOCUS_CONTRAST_JS = "(el) => {" + COLORS_JS + """
  const s = getComputedStyle(el);
  let ring = null;
  if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ring = parse(s.outlineColor);
  if (!ring && s.boxShadow && s.boxShadow !== 'none') { const m = s.boxShadow.match(/rgba?\\([^)]+\\)/); const w = s.boxShadow.match(/(\\d+(?:\\.\\d+)?)px(?!.*px)/);
    if (m && w && parseFloat(w[1]) >= 2) ring = parse(m[0]); }
  if (!ring) return {ratio: 0, why: 'no outline or ring of 2px or more'};
  const behind = background(el.parentElement || el);
  return {ratio: ratio(ring, behind), ring: s.outlineColor, behind: JSON.stringify(behind)};
}
"""

# How well a control's boundary stands out: the better of its border and its fill against
# the colour around it.
NON_TEXT_JS = "(el) => {" + COLORS_JS + """
  const s = getComputedStyle(el);
  const around = background(el.parentElement || el);
  const ratios = [];
  if (parseFloat(s.borderTopWidth) >= 1 && s.borderTopStyle !== 'none') { const b = parse(s.borderTopColor); if (b && b.a > 0.9) ratios.push(ratio(b, around)); }
  const fill = parse(s.backgroundColor);
  if (fill && fill.a > 0.9) ratios.push(ratio(fill, around));
  return ratios.length ? Math.max(...ratios) : 0;
}
"""


def focus_contrast(target: Any) -> dict[str, Any]:
    """The focus ring of `target` (a locator or element handle, focused): its contrast
    against what surrounds it (≥ 3 passes WCAG 2.2's 1.4.11 for the indicator)."""
    return dict(target.evaluate(FOCUS_CONTRAST_JS))


SMALL_TARGETS_JS = """
(root) => {
  const out = [];
  const walk = (r) => { r.querySelectorAll('a[href], button, input, select, textarea, summary, [role=button], [tabindex]').forEach((e) => {
      const b = e.getBoundingClientRect(); const s = getComputedStyle(e);
      if (b.width === 0 || s.visibility === 'hidden' || s.display === 'none') return;
      const inline = e.tagName === 'A' && s.display === 'inline' && e.closest('p, li, blockquote');  // a link in a sentence: exempt (2.5.8)
      const name = (e.getAttribute('aria-label') || e.textContent || e.tagName).trim().slice(0, 40);
      if (!inline && (b.width < 24 || b.height < 24)) out.push(`${name} ${Math.round(b.width)}x${Math.round(b.height)}`);
    });
    r.querySelectorAll('*').forEach((e) => { if (e.shadowRoot) walk(e.shadowRoot); }); };
  walk(root || document);
  return out;
}
"""


def small_targets(page: Any) -> list[str]:
    """Controls smaller than 24×24 CSS pixels (WCAG 2.2's 2.5.8), inline links in text aside."""
    return list(page.evaluate(SMALL_TARGETS_JS))



def non_text_contrast(target: Any) -> float:
    """A control's boundary against its surroundings (WCAG 1.4.11 asks 3:1)."""
    return float(target.evaluate(NON_TEXT_JS))
