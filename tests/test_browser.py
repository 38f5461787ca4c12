"""The built site in headless Chromium (Playwright): language switcher, typeset formulas, figures
in both colour schemes, search in both languages, notebook pages, and no request off localhost."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conftest import LANGS, english_pages
from sitebuild import cache
from test_site import page_url

REASON = "initialization"


@pytest.fixture
def open_page(browser, server):
    """open_page(path, scheme) -> a loaded Playwright page; fails on any request off localhost."""
    contexts, foreign = [], []

    def _open(path: str, scheme: str = "light", width: int = 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        context.on("request", lambda r: None if r.url.startswith((server, "data:", "blob:")) else foreign.append(r.url))
        contexts.append(context)
        page = context.new_page()
        page.goto(server + path, wait_until="networkidle")
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not foreign, f"requests left localhost: {foreign}"


def lang_url(lang: str, path: str) -> str:
    return path if lang == "en" else f"{lang}/{path}"


def test_switcher_goes_to_the_same_page_in_the_other_language(open_page, server):
    page = open_page(f"{REASON}/")
    for target, expected in (("zh", f"zh/{REASON}/"), ("en", f"{REASON}/")):
        page.hover(".md-header__option .md-select")
        page.locator(f'.md-select__link[hreflang="{target}"]').click()
        page.wait_for_load_state("networkidle")
        assert page.url == server + expected
        assert page.locator("html").get_attribute("lang") == target


# Math is typeset at build time (sitebuild/math.py); the browser only draws it. A glyph is drawn
# when its CSS rule gives it content and its MathJax font has loaded: a glyph rule cut from the
# stylesheet, or a font missing or broken, leaves a blank (tests/test_math.py checks that each
# font subset has the characters its rules draw).
GLYPHS_DRAWN = """() => [...document.querySelectorAll("article mjx-c")].filter(c => {
  const before = getComputedStyle(c, "::before");
  // content "" is an invisible operator (U+2061, function application), drawn as nothing
  return before.content === "none" || !document.fonts.check("16px " + before.fontFamily, JSON.parse(before.content));
}).map(c => c.className)"""


@pytest.mark.parametrize("path", [f"{REASON}/", "edge-of-chaos/", "notebooks/edge-of-chaos/"])
@pytest.mark.parametrize("lang", LANGS)
def test_formulas_are_drawn(open_page, lang, path):
    page = open_page(lang_url(lang, path))
    math = page.locator("article .arithmatex")
    assert math.count() > 0, "the page has no formula to check"
    assert page.locator("article .arithmatex > mjx-container").count() == math.count(), "some formulas are raw TeX"
    assert page.evaluate("typeof window.MathJax") == "undefined", "the page loads MathJax"
    for i in range(0, math.count(), 25):  # the fonts load as formulas come into view
        math.nth(i).scroll_into_view_if_needed()
    page.evaluate("document.fonts.ready.then(() => true)")
    blank = page.evaluate(GLYPHS_DRAWN)
    assert not blank, f"{len(blank)} glyphs not drawn, e.g. {blank[:5]}"


# Layout shift while a phone reads the page from top to bottom (PerformanceObserver's entries not
# caused by input, summed: at least Lighthouse's cumulative layout shift). Images and figures
# reserve their size, formulas arrive typeset, fonts swap without moving a glyph box.
LAYOUT_SHIFT = """async () => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await new Promise(resolve => setTimeout(resolve, 60));
  }
  await new Promise(resolve => setTimeout(resolve, 300));
  return total;
}"""


@pytest.mark.parametrize("path", ["", f"{REASON}/", "edge-of-chaos/", "notebooks/edge-of-chaos/"])
@pytest.mark.parametrize("lang", LANGS)
def test_nothing_moves_while_a_phone_reads_the_page(browser, server, lang, path):
    context = browser.new_context(viewport={"width": 412, "height": 823}, device_scale_factor=2)
    page = context.new_page()
    page.goto(server + lang_url(lang, path), wait_until="load")
    shift = page.evaluate(LAYOUT_SHIFT)
    context.close()
    assert shift <= 0.02, f"layout shift {shift:.3f}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_phone_never_scrolls_the_page_sideways(open_page, server, lang):
    # Wide tables, code and display formulas scroll inside their own boxes. A formula's hidden TeX
    # once escaped its box and widened a page to 897 px (extra.css, .arithmatex); an inline
    # formula cannot wrap, so a long one is written as several (batch-norm, why-gaussian,
    # generative-models were 424-449 px wide). Every Markdown page, in one tab.
    page = open_page(lang_url(lang, ""), width=390)
    wide = {}
    for md in english_pages():
        path = page_url(md, lang)
        page.goto(server + path, wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert not wide


# What restyles the whole document in Chromium once the page is parsed: a class change on <html>,
# a <meta name="color-scheme"> added or changed, a new colour scheme on <body>, and Material moving
# a table that has siblings after it (overrides/main.html, overrides/partials/palette.html,
# sitebuild/hook.py _PLAIN_TABLE). On the densest page each was about 150 ms of blocking time on
# Lighthouse's phone. The observer records them from the first byte; `parsed` tells the ones made
# while the header was parsed (cheap: the content does not exist yet) from the later ones.
RESTYLES = """
window.__restyles = [];
new MutationObserver(records => {
  const parsed = document.querySelector(".md-footer") !== null;
  records.forEach((r, i) => {
    // an attribute set to the value it had restyles nothing: its new value is the next record's
    // old value, or the current one
    const next = records.slice(i + 1).find(s => s.target === r.target && s.attributeName === r.attributeName);
    const changed = r.type !== "attributes" || r.oldValue !== (next ? next.oldValue : r.target.getAttribute(r.attributeName));
    const html = r.target === document.documentElement && r.attributeName === "class";
    const meta = [r.target, ...r.addedNodes].some(n => n.nodeName === "META" && n.name === "color-scheme");
    const palette = r.target === document.body && (r.attributeName || "").startsWith("data-md-color-");
    if (parsed && changed && (html || meta || palette)) {
      window.__restyles.push(`${r.target.nodeName} ${r.type} ${r.attributeName || ""}`);
    }
  });
}).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true});
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_nothing_restyles_the_whole_page_once_it_is_parsed(browser, server, scheme):
    context = browser.new_context(viewport={"width": 412, "height": 823}, color_scheme=scheme)
    context.add_init_script(RESTYLES)
    page = context.new_page()
    page.goto(server + "edge-of-chaos/", wait_until="networkidle")
    page.wait_for_function("""document.querySelectorAll("article table:not([class])").length ===
      document.querySelectorAll("article .md-typeset__scrollwrap table:not([class])").length""")  # Material has run
    restyles = page.evaluate("window.__restyles")
    moved_with_siblings = page.evaluate("""[...document.querySelectorAll("article table:not([class])")]
      .map(table => table.closest(".md-typeset__scrollwrap"))
      .filter(wrap => wrap.parentElement.children.length > 1).length""")
    context.close()
    assert not restyles, f"changed after the page was parsed: {restyles}"
    assert moved_with_siblings == 0, "a table that Material moved had siblings"


def test_colour_scheme_is_chosen_while_parsing_and_the_toggle_keeps_the_choice(browser, server):
    """Without Material's bundle at all: the scheme follows the system, the toggle switches it (by
    click or Enter), and the choice outlives a reload."""
    context = browser.new_context(color_scheme="dark")
    context.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
    page = context.new_page()
    page.goto(server + "zh/edge-of-chaos/")
    state = """() => [document.body.dataset.mdColorScheme,
      document.querySelector("meta[name=color-scheme]").content,
      document.querySelector("[data-n01-palette] label:not([hidden])").title]"""
    assert page.evaluate(state) == ["slate", "dark", "切换到浅色模式"]
    page.click("[data-n01-palette] label:not([hidden])")
    assert page.evaluate(state) == ["default", "light", "切换到深色模式"]
    page.reload()
    assert page.evaluate(state) == ["default", "light", "切换到深色模式"]
    page.focus("[data-n01-palette] input:checked")
    page.keyboard.press("Enter")
    assert page.evaluate(state) == ["slate", "dark", "切换到浅色模式"]
    context.close()


def test_copying_a_sentence_copies_its_formulas_as_tex(open_page):
    page = open_page(f"{REASON}/")
    copied = page.evaluate("""() => {
      const paragraph = [...document.querySelectorAll("article p")].find(p => p.querySelector("mjx-container"));
      const range = document.createRange();
      range.selectNodeContents(paragraph);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      return [getSelection().toString(), paragraph.querySelector(".n01-tex").textContent];
    }""")
    text, first_formula = copied
    assert first_formula.startswith("\\(") and first_formula in text


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", LANGS)
def test_figures_load_in_both_schemes(open_page, lang, scheme):
    page = open_page(lang_url(lang, f"{REASON}/"), scheme=scheme)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == ("slate" if scheme == "dark" else "default")
    images = page.locator(f'article img[src*="#only-{scheme}"]')
    assert images.count() > 0
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.naturalWidth") > 0, f"{image.get_attribute('src')} did not load"
        assert image.is_visible()
        assert f"_{lang}_{scheme}.svg" in image.get_attribute("src")
        assert image.get_attribute("alt"), "a figure without alt text"
    other = "dark" if scheme == "light" else "light"
    hidden = page.locator(f'article img[src*="#only-{other}"]')
    assert all(not hidden.nth(i).is_visible() for i in range(hidden.count()))


@pytest.mark.parametrize(
    ("lang", "query", "slug"),
    [("zh", "初始化", REASON), ("zh", "方差", REASON), ("zh", "批归一化", "batch-norm"), ("zh", "BatchNorm", "batch-norm"),
     ("en", "Kaiming", REASON), ("en", "variance", REASON), ("en", "BatchNorm", "batch-norm")],
)
def test_search_finds_the_page_in_its_language(open_page, lang, query, slug):
    page = open_page(lang_url(lang, ""))
    page.locator(".md-search__input").click()
    page.locator(".md-search__input").fill(query)
    page.keyboard.press("End")  # Material searches on key events; fill() alone sends none
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15000)
    paths = [urlsplit(results.nth(i).get_attribute("href")).path for i in range(results.count())]
    target = f"/{lang_url(lang, slug)}/"
    assert target in paths, f"'{query}' did not find {target}: {paths}"
    # only pages of the reader's language (sitebuild/search.py)
    assert all(p.startswith("/zh/") == (lang == "zh") for p in paths), paths


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", cache.snippet_names())
def test_notebook_page_renders_as_a_notebook(open_page, lang, name):
    page = open_page(lang_url(lang, f"notebooks/{cache.slug(name)}/"))
    assert page.locator(".jupyter-wrapper .jp-CodeCell").count() > 0
    assert page.locator(".jupyter-wrapper .jp-OutputArea-output").first.is_visible()
    assert page.locator("html").get_attribute("lang") == lang
    download = page.locator("a[download]")
    assert download.count() == 1 and download.get_attribute("href").endswith(f"{name}.ipynb")
