"""Page weight budgets, measured in headless Chromium on the built site: a first visit with an
empty cache, every request the page makes until the network is idle (plus the search index,
which Material's search worker always fetches), in bytes as GitHub Pages would send them (text
gzip-compressed; images and fonts as they are). Each language fetches its own search index.
CONTRIBUTING.md ("Page weight") records the measured figures and explains the budgets.
"""

from __future__ import annotations

import gzip

import pytest

KIB = 1024
# page type: (an example page, budget in KiB transferred, budget in requests)
BUDGETS = {
    "home": ("", 800, 20),
    "reason page": ("batch-norm/", 900, 25),
    "reason page (zh)": ("zh/edge-of-chaos/", 900, 25),
    "notebook page": ("notebooks/initialization/", 1100, 20),
    "notebook page (zh)": ("zh/notebooks/initialization/", 1100, 20),
}
COMPRESSED_ALREADY = (".png", ".jpg", ".woff", ".woff2", ".zip")


def transferred(url: str, body: bytes) -> int:
    return len(body) if url.endswith(COMPRESSED_ALREADY) else len(gzip.compress(body, 6))


def measure(browser, server: str, path: str) -> tuple[int, int]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sizes: dict[str, int] = {}

    def record(response):
        try:
            sizes[response.url] = transferred(response.url.split("?")[0], response.body())
        except Exception:  # a redirect or an aborted request has no body
            sizes.setdefault(response.url, 0)

    context.on("response", record)
    page = context.new_page()
    page.goto(server + path, wait_until="networkidle")
    page.wait_for_timeout(500)
    lang_root = "zh/" if path.startswith("zh/") else ""  # one index per language (sitebuild/search.py)
    index = server + lang_root + "search/search_index.json"
    if not any("search_index.json" in url for url in sizes):
        sizes[index] = transferred(index, page.request.get(index).body())
    context.close()
    return sum(sizes.values()), len(sizes)


@pytest.mark.parametrize("kind", BUDGETS)
def test_page_weight_within_budget(browser, server, kind):
    path, budget_kib, budget_requests = BUDGETS[kind]
    size, requests = measure(browser, server, path)
    assert size <= budget_kib * KIB, f"{kind} /{path}: {size / KIB:.0f} KiB > {budget_kib} KiB"
    assert requests <= budget_requests, f"{kind} /{path}: {requests} requests > {budget_requests}"


def test_notebook_pages_share_their_stylesheet(site):
    """nbconvert's ~0.6 MB of CSS is one cached file, not inlined into every notebook page
    (what remains inline is mkdocs-jupyter's few kilobytes of Pygments rules)."""
    import re

    html = site.html("notebooks/initialization/")
    inline = sum(map(len, re.findall(r"<style.*?</style>", html, re.S)))
    assert inline < 20 * KIB, f"{inline / KIB:.0f} KiB of inline CSS"
    assert "assets/stylesheets/notebook.css" in html


def test_notebook_code_drops_only_uncoloured_name_spans(site):
    """The hook unwraps Pygments' <span class="n"> in notebook code (a quarter of the page's
    elements). That is invisible only while no stylesheet on the page colours `.n` in notebook
    code (`.highlight-ipynb`; Material's `.highlight .n` does not reach it)."""
    import re

    html = site.html("notebooks/initialization/")
    assert '<span class="n">' not in html
    assert 'class="highlight-ipynb' in html and '<span class="highlight' not in html
    styles = "".join(re.findall(r"<style.*?</style>", html, re.S))
    styles += (site.dir / "assets/stylesheets/notebook.css").read_text(encoding="utf-8")
    assert not re.search(r"\.n\s*[,{]", styles), "a stylesheet colours names: keep their spans"
