"""axe-core (the engine behind Lighthouse's accessibility audit and axe DevTools) on every page of
the built site, in both languages and both colour schemes: no serious or critical violation.

axe-core comes from the PyPI package axe-playwright-python (its bundled axe.min.js), run by
Playwright in Debian's Chromium like the other browser tests.

Cost. axe's colour-contrast rule dominates (about 3 s on a reason page and 12-19 s on a notebook
page, whose code cells are thousands of highlighted spans; every other rule together takes
1-2 s), and that time is spent in Chromium, one core per page. So:
- every check runs once, up front, two pages at a time (this machine, and CI's, has two cores),
  and each test below reports one page's result;
- the light scheme runs every rule; the dark scheme runs only the rules whose outcome depends on
  colours (the document, its names, roles and keyboard order are the same in both schemes);
- the colour rules check the code (a reason page's code blocks, a notebook page's code cells) where
  it teaches them something new. A code token's colours depend only on its highlighting class and
  on the kind of page (the stylesheets are the site's): so a Chinese page's code, which is its
  English twin's token for token (`test_chinese_code_is_coloured_as_its_english_twin`), is checked
  on the English page, and among the English pages of a kind, the colour rules check the code of
  the few pages that together use every class (`code_cover`) and skip it elsewhere. Every other
  rule checks all code on every page. On a notebook page the code is most of axe's time (8 s of
  a page's 9 s).
"""

from __future__ import annotations

import asyncio
import os
import re
from itertools import chain
import threading

import pytest

from conftest import LANGS, english_pages
from sitebuild import cache, chromium
from test_site import page_url

SCHEMES = ("light", "dark")
BLOCKING = ("serious", "critical")
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
CODE = {"page": ".highlight", "notebook": ".jp-InputArea"}  # a reason page's code blocks, a notebook's code cells
PARALLEL_PAGES = 2
DESKTOP, PHONE = 1280, 390


def markdown_pages() -> list[str]:
    return [page_url(p, "en") for p in english_pages()]


def notebook_pages() -> list[str]:
    return [f"notebooks/{cache.slug(name)}/" for name in cache.snippet_names()]


def localized(path: str, lang: str) -> str:
    return path if lang == "en" else f"{lang}/{path}"


# Every check as (url path, colour scheme, viewport width).
MARKDOWN_CHECKS = [(localized(p, lang), s, DESKTOP) for p in markdown_pages() for lang in LANGS for s in SCHEMES]
# A notebook page in each language: its Markdown cells (and the Chinese one's figures) are its own.
NOTEBOOK_CHECKS = [(localized(p, lang), s, DESKTOP) for p in notebook_pages() for lang in LANGS for s in SCHEMES]
# At 390 px figures scroll sideways: the scrolling region must be reachable by keyboard.
PHONE_CHECKS = [(localized("batch-norm/", lang), "light", PHONE) for lang in LANGS]


def axe_runs(path: str, scheme: str, check_code: bool) -> list[tuple[dict | None, dict]]:
    """axe's (context, options) for one page in one scheme: runs that, together, check every rule
    the scheme asks for on every element, except the code for the colour rules unless
    `check_code`."""
    colour = {"resultTypes": ["violations"], "runOnly": {"type": "rule", "values": COLOUR_RULES}}
    other = {"resultTypes": ["violations"], "rules": {rule: {"enabled": False} for rule in COLOUR_RULES}}
    code = CODE["notebook" if "notebooks/" in path else "page"]
    runs = [] if scheme == "dark" else [(None, other)]
    runs.append((None if check_code else {"exclude": [[code]]}, colour))
    return runs


def code_classes(site, path: str) -> set[str]:
    return set(chain.from_iterable(code_colours(site.html(path), "notebooks/" in path)))


def code_cover(site) -> set[str]:
    """The English pages whose code the colour rules check: per kind of page (reason pages,
    notebook pages: their code is styled differently), pages picked greedily until their code
    uses every highlighting class that code on any English page of that kind uses."""
    cover = set()
    for pages in (markdown_pages(), notebook_pages()):
        classes = {path: code_classes(site, path) for path in pages}
        left = set().union(*classes.values())
        while left:
            best = max(pages, key=lambda path: len(classes[path] & left))
            cover.add(best)
            left -= classes[best]
    return cover


async def _check_all(base: str, checks: list[tuple[str, str, int]], executable: str | None, cover: set[str]) -> dict:
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    axe = Axe()
    results: dict[tuple[str, str, int], list[dict] | Exception] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=chromium.ARGS)
        contexts = {}
        for scheme, width in sorted({(scheme, width) for _, scheme, width in checks}):
            contexts[scheme, width] = await browser.new_context(
                viewport={"width": width, "height": 900}, color_scheme=scheme
            )
        queue: asyncio.Queue = asyncio.Queue()
        for check in checks:
            queue.put_nowait(check)

        async def worker() -> None:
            pages = {}
            while not queue.empty():
                check = queue.get_nowait()
                path, scheme, width = check
                if (scheme, width) not in pages:
                    pages[scheme, width] = await contexts[scheme, width].new_page()
                page = pages[scheme, width]
                try:
                    await page.goto(base + path, wait_until="load")
                    violations = []
                    for context, options in axe_runs(path, scheme, check_code=path in cover):
                        violations += (await axe.run(page, context=context, options=options)).response["violations"]
                    results[check] = [v for v in violations if v["impact"] in BLOCKING]
                except Exception as error:  # reported by that page's test, not by all of them
                    results[check] = error

        await asyncio.gather(*(worker() for _ in range(PARALLEL_PAGES)))
        await browser.close()
    return results


@pytest.fixture(scope="module")
def axe_results(site, server) -> dict:
    """{(path, scheme, width): axe's serious or critical violations there}, for every check."""
    pytest.importorskip("axe_playwright_python.async_playwright", reason="pip install -e '.[test]'")
    executable = chromium.find()
    if executable is None and not os.environ.get("CI"):
        pytest.skip("no Chromium found: install Debian's `chromium` (apt-get install chromium)")
    outcome: dict = {}

    def run() -> None:  # its own thread: the session's sync Playwright owns this thread's loop
        try:
            outcome["results"] = asyncio.run(
                _check_all(server, MARKDOWN_CHECKS + NOTEBOOK_CHECKS + PHONE_CHECKS, executable, code_cover(site))
            )
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def describe(violations: list[dict]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x, e.g. {v['nodes'][0]['target']}: "
        f"{v['nodes'][0].get('failureSummary', '').splitlines()[-1].strip()[:160]})"
        for v in violations
    )


def assert_accessible(axe_results: dict, check: tuple[str, str, int]) -> None:
    violations = axe_results[check]
    path, scheme, width = check
    if isinstance(violations, Exception):
        raise violations
    assert not violations, f"/{path} ({scheme}, {width} px): {describe(violations)}"


def ids(checks):
    return [f"/{path}-{scheme}-{width}" for path, scheme, width in checks]


@pytest.mark.parametrize("check", MARKDOWN_CHECKS, ids=ids(MARKDOWN_CHECKS))
def test_no_serious_accessibility_violation(axe_results, check):
    assert_accessible(axe_results, check)


@pytest.mark.parametrize("check", NOTEBOOK_CHECKS, ids=ids(NOTEBOOK_CHECKS))
def test_no_serious_accessibility_violation_on_notebook_pages(axe_results, check):
    assert_accessible(axe_results, check)


@pytest.mark.parametrize("check", PHONE_CHECKS, ids=ids(PHONE_CHECKS))
def test_no_serious_accessibility_violation_at_phone_width(axe_results, check):
    assert_accessible(axe_results, check)



def code_colours(html: str, notebook: bool) -> list[list[str]]:
    """Each code block's (or notebook code cell's) highlighting classes, in order."""
    start = r'<div class="jp-InputArea jp-Cell-inputArea">.*?<pre>' if notebook else r'<div class="highlight[^"]*"[^>]*><pre>'
    blocks = re.findall(start + r"(.*?)</pre>", html, flags=re.S)
    return [re.findall(r'<span class="([^"]*)"', block) for block in blocks]


@pytest.mark.parametrize("path", markdown_pages() + notebook_pages())
def test_chinese_code_is_coloured_as_its_english_twin(site, path):
    """What lets the colour rules skip a Chinese page's code (see the module's docstring)."""
    notebook = path.startswith("notebooks/")
    english = code_colours(site.html(path), notebook)
    chinese = code_colours(site.html(localized(path, "zh")), notebook)
    assert chinese == english, f"/zh/{path}: its code is not coloured as the English page's"


def test_every_code_colour_is_checked_on_some_page(site):
    """What lets the colour rules skip code outside the cover (see the module's docstring)."""
    cover = code_cover(site)
    assert len(cover) < len(markdown_pages() + notebook_pages()) // 2, f"the cover is most pages: {sorted(cover)}"
    for pages in (markdown_pages(), notebook_pages()):
        checked = set().union(*(code_classes(site, path) for path in pages if path in cover))
        for path in pages:
            assert code_classes(site, path) <= checked, f"/{path}: code colours no checked page has"


def test_code_is_found_where_the_colour_rules_skip_it(site):
    """If the markup changed, code_colours would find nothing on either language and the test
    above would pass on two empty lists."""
    for path in ("initialization/", "notebooks/initialization/"):
        blocks = code_colours(site.html(path), path.startswith("notebooks/"))
        assert len(blocks) >= 5 and all(blocks), f"/{path}: code blocks not found by code_colours"
