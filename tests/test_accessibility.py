"""axe-core (the engine behind Lighthouse's accessibility audit and axe DevTools) on every page of
the built site, in both languages and both colour schemes: no serious or critical violation.

axe-core comes from the PyPI package axe-playwright-python (its bundled axe.min.js), run by
Playwright in Debian's Chromium like the other browser tests.
"""

from __future__ import annotations

import pytest

from conftest import LANGS, english_pages
from sitebuild import cache
from test_site import page_url

SCHEMES = ("light", "dark")
BLOCKING = ("serious", "critical")


def markdown_pages() -> list[str]:
    return [page_url(p, "en") for p in english_pages()]


def notebook_pages() -> list[str]:
    return [f"notebooks/{cache.slug(name)}/" for name in cache.snippet_names()]


@pytest.fixture(scope="module")
def axe_run(browser, server):
    """axe_run(path, scheme, width) -> axe's violations of impact serious or critical."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install -e '.[test]'").Axe()
    contexts = {}

    def _run(path: str, scheme: str, width: int = 1280) -> list[dict]:
        key = (scheme, width)
        if key not in contexts:
            contexts[key] = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
            contexts[key].new_page()
        page = contexts[key].pages[0]
        page.goto(server + path, wait_until="networkidle")
        violations = axe.run(page).response["violations"]
        return [v for v in violations if v["impact"] in BLOCKING]

    yield _run
    for context in contexts.values():
        context.close()


def describe(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x, e.g. {v['nodes'][0]['target']}: "
        f"{v['nodes'][0].get('failureSummary', '').splitlines()[-1].strip()[:160]})"
        for v in violations
    )


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", markdown_pages())
def test_no_serious_accessibility_violation(axe_run, path, lang, scheme):
    url = path if lang == "en" else f"{lang}/{path}"
    violations = axe_run(url, scheme)
    assert not violations, f"/{url} ({scheme}): {describe(violations)}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", notebook_pages())
def test_no_serious_accessibility_violation_on_notebook_pages(axe_run, path, scheme):
    """A notebook page has the same cells in both languages (code and outputs are shared, and
    so far its Markdown cells too); only Material's frame differs, and every Chinese page above
    checks that frame. Axe on these large pages is the slowest test: one language keeps CI short."""
    violations = axe_run(path, scheme)
    assert not violations, f"/{path} ({scheme}): {describe(violations)}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_serious_accessibility_violation_at_phone_width(axe_run, lang):
    """At 390 px figures scroll sideways: the scrolling region must be reachable by keyboard."""
    url = "batch-norm/" if lang == "en" else f"{lang}/batch-norm/"
    violations = axe_run(url, "light", width=390)
    assert not violations, f"/{url} (phone): {describe(violations)}"
