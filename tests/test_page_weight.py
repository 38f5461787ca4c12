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
    "home": ("", 300, 20),
    "home (zh)": ("zh/", 300, 20),
    "reason page": ("batch-norm/", 400, 25),
    "reason page with the most math": ("edge-of-chaos/", 400, 25),
    "reason page with the most math (zh)": ("zh/edge-of-chaos/", 400, 25),
    "notebook page": ("notebooks/edge-of-chaos/", 400, 20),
    "notebook page (zh)": ("zh/notebooks/edge-of-chaos/", 400, 20),
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


def test_notebook_pages_carry_no_stylesheet_or_image_inline(site):
    """nbconvert inlines ~600 kB of JupyterLab CSS and every output image as base64: notebook pages
    get docs/stylesheets/notebook.css instead, and their images are files whose size the tag
    reserves (no layout shift), loaded when they come into view."""
    import re

    html = site.html("notebooks/edge-of-chaos/")
    assert not re.findall(r"<style", html[html.index("<body"):]), "inline CSS in the page"
    assert "stylesheets/notebook.css" in html and "data:image" not in html
    images = re.findall(r'<img [^>]*src="[./]*assets/images/notebooks/[^"]+"[^>]*>', html)
    assert images
    for image in images:
        assert re.search(r'width="\d+" height="\d+"', image) and 'loading="lazy"' in image, image


def test_notebook_code_drops_only_uncoloured_name_spans(site):
    """The hook unwraps Pygments' <span class="n"> in notebook code (a quarter of the page's
    elements). That is invisible only while Material colours names like the rest of the code
    (--md-code-hl-name-color is --md-code-fg-color, the colour of notebook code) and no stylesheet
    of ours changes that."""
    import re

    html = site.html("notebooks/initialization/")
    assert '<span class="n">' not in html
    assert 'class="highlight highlight-ipynb' in html and '<span class="highlight' not in html
    material = "".join(p.read_text(encoding="utf-8") for p in (site.dir / "assets/stylesheets").glob("*.min.css"))
    assert set(re.findall(r"--md-code-hl-name-color:([^;}]+)", material)) == {"var(--md-code-fg-color)"}
    ours = "".join(p.read_text(encoding="utf-8") for p in (site.dir / "stylesheets").glob("*.css"))
    assert "--md-code-hl-name-color" not in ours and not re.search(r"\.n\s*[,{]", ours)
    assert re.search(r"\.highlight-ipynb\s*\{[^}]*color:\s*var\(--md-code-fg-color\)", ours)
