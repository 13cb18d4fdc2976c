"""axe-core (npm, pinned in tests/axe/package-lock.json) run inside a page Playwright opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

# `make test` installs it (`npm ci` in tests/axe); the pin lives in package-lock.json.
AXE_SCRIPT = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 level A and AA, which JIS X 8341-3's AA follows (2.0) and extends.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise RuntimeError("axe-core is missing: `make test` installs it (npm ci in tests/axe)")
    return AXE_SCRIPT.read_text("utf-8")


async def wcag_violations(page: Page, also: tuple[str, ...] = ()) -> list[str]:
    """Every WCAG 2.2 A/AA violation axe finds in the page, one line each (empty: none);
    `also` adds rules by id from axe's best practices (landmarks, heading order).

    The page's context must bypass its CSP (`bypass_csp=True`): axe is injected as a script.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=axe_source())
    results: dict[str, Any] = await page.evaluate(
        """([tags, also]) => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            rules: Object.fromEntries(also.map(id => [id, {enabled: true}])),
            resultTypes: ['violations']})""",
        [WCAG_AA_TAGS, list(also)],
    )
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + "; ".join(
            f"{' '.join(node['target'])} [{node.get('failureSummary', '').splitlines()[-1:]}]"
            for node in rule["nodes"][:5]
        )
        for rule in results["violations"]
    ]
