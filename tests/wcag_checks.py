"""WCAG 2.2 checks axe-core does not make, measured in the page: target size (2.5.8), focus
not obscured (2.4.11) with a visible focus ring of enough contrast (2.4.7, 2.4.13), and reflow
at 320 CSS px with the text spacing of 1.4.12 (1.4.10)."""

from __future__ import annotations

from playwright.async_api import Page

# Shared by the scripts below: a short name for an element, and the contrast of two colours.
_COMMON = """
const describe = (el) => {
  const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"`;
};
const rgb = (text) => {
  const m = text.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return a === 0 ? null : [r, g, b];
};
const luminance = ([r, g, b]) => {
  const c = [r, g, b].map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
};
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
const backdrop = (el) => {
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour) return colour;
  }
  return [255, 255, 255];
};
"""

# Every control at least 24 × 24 CSS px (2.5.8), but a link inside a sentence (the inline
# exception): its parent holds more text than the link's own.
_SMALL_TARGETS = (
    "() => {"
    + _COMMON
    + """
  const small = [];
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]');
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (box.bottom < 0 || box.right < 0) continue;  // a skip link waits off screen
    if (el.tagName === 'A') {
      const own = el.textContent.trim().length;
      const around = el.parentElement.textContent.trim().length;
      if (around > own) continue;
    }
    if (box.width < 24 || box.height < 24) {
      small.push(`${describe(el)} ${box.width.toFixed(1)}×${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""
)

# The focused element: covered at its centre (2.4.11, a fixed bar over it), and its ring: an
# outline or shadow at least 2 px whose colour stands 3:1 against what is behind the control.
_FOCUSED = (
    "() => {"
    + _COMMON
    + """
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // The centre of what shows of it: a link's first line (a wrapped link's box is mostly other
  // text), a box taller than the window clipped to the window.
  const box = el.getClientRects()[0] || el.getBoundingClientRect();
  const left = Math.max(box.left, 0), right = Math.min(box.right, innerWidth);
  const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
  const hit = left < right && top < bottom
    ? document.elementFromPoint((left + right) / 2, (top + bottom) / 2) : null;
  const covered = !hit || !(el === hit || el.contains(hit) || (hit.control === el));
  const style = getComputedStyle(el);
  const behind = backdrop(el);
  const colours = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) {
    colours.push(rgb(style.outlineColor));
  }
  // A shadow ring counts by its spread (the fourth length): "rgb(…) 0px 0px 0px 5px".
  for (const shadow of style.boxShadow.split(/,(?![^(]*\\))/)) {
    const lengths = (shadow.replace(/rgba?\\([^)]*\\)/, '').match(/-?[\\d.]+px/g) || [])
      .map(parseFloat);
    if ((lengths[3] || 0) >= 2) colours.push(rgb(shadow));
  }
  const best = Math.max(0, ...colours.filter(Boolean).map((c) => contrast(c, behind)));
  return {name: describe(el), covered, hit: hit ? describe(hit) : 'nothing',
          ring: Math.round(best * 100) / 100};
}"""
)

# 1.4.12's text spacing, applied over the page's own style.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: .12em !important;
    word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }
"""

_OVERFLOW = """() => {
  const page = document.documentElement;
  const wide = [];
  if (page.scrollWidth > page.clientWidth + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.right > page.clientWidth + 1 && !el.closest('.table-scroll')) {
        wide.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`
                  + ` right ${Math.round(box.right)}`);
      }
    }
    wide.unshift(`page ${page.scrollWidth} px wide in ${page.clientWidth}`);
  }
  return wide.slice(0, 6);
}"""


async def small_targets(page: Page) -> list[str]:
    """Controls smaller than 24 × 24 CSS px, outside a sentence."""
    return list(await page.evaluate(_SMALL_TARGETS))


async def focus_faults(page: Page, most: int = 120) -> list[str]:
    """Tab through the page from its start: each control that takes focus covered at its
    centre, or with a focus ring under 3:1 against what is behind it."""
    # Focus the body itself, so the first Tab starts at the top of the page.
    await page.evaluate(
        """() => { const body = document.body; body.tabIndex = -1; body.focus();
                   body.removeAttribute('tabindex'); window.scrollTo(0, 0); }"""
    )
    faults: list[str] = []
    seen: list[str] = []
    for _ in range(most):
        await page.keyboard.press("Tab")
        found = await page.evaluate(_FOCUSED)
        if found is None:
            break
        if seen and found["name"] == seen[0] and len(seen) > 1:
            break  # round to the first again
        seen.append(found["name"])
        if found["covered"]:
            faults.append(f"{found['name']} hidden under {found['hit']}")
        if found["ring"] < 3:
            faults.append(f"{found['name']} focus ring contrast {found['ring']}:1")
    return faults


async def overflow(page: Page, spacing: bool = False) -> list[str]:
    """What sticks out past the window's right edge (a data table's own scroll box aside)."""
    if spacing:
        await page.add_style_tag(content=TEXT_SPACING)
    return list(await page.evaluate(_OVERFLOW))
