"""Math typeset at build time (sitebuild/math.py): the conversion, the stylesheet and fonts it cuts
down, and what the built pages hold. tests/test_browser.py checks that the glyphs are drawn."""

from __future__ import annotations

import io
import re

import nbformat
import pytest
from fontTools.ttLib import TTFont

from sitebuild import math

SIGMA = r"\sigma_w^2 = \frac{2}{n}"


@pytest.fixture(scope="module")
def typesetter(tmp_path_factory):
    typesetter = math.Typesetter(tmp_path_factory.mktemp("math"))
    yield typesetter
    typesetter.close()


def test_a_formula_becomes_html_with_mathml_and_its_tex(typesetter):
    html = typesetter.typeset(SIGMA, False, "page.md")
    assert html.startswith('<mjx-container class="MathJax" jax="CHTML"')
    assert 'class="mjx-c1D70E TEX-I"' in html  # σ, math italic
    # screen readers read MathJax's MathML; the TeX after it is hidden from them
    assert "<mjx-assistive-mml" in html and "<mfrac>" in html
    assert '<span class="n01-tex" aria-hidden="true">\\(\\sigma_w^2 = \\frac{2}{n}\\)</span>' in html


def test_display_math_is_a_block(typesetter):
    html = typesetter.typeset(SIGMA, True, "page.md")
    assert 'display="true"' in html.split(">")[0] and "\\[" in html


@pytest.mark.parametrize(("tex", "error"), [(r"\sigmaa", "Undefined control sequence"), (r"\frac{1}{", "Missing close brace")])
def test_a_formula_mathjax_cannot_typeset_fails_with_the_page_name(typesetter, tex, error):
    with pytest.raises(math.MathError, match=rf"docs/some-page\.md: MathJax cannot typeset .*{error}"):
        math.typeset_arithmatex(f'<p><span class="arithmatex">\\({tex}\\)</span></p>', typesetter, "docs/some-page.md")


def test_arithmatex_forms_are_all_typeset(typesetter):
    page = ('<p><span class="arithmatex">\\(a &lt; b\\)</span></p>'
            '<div class="arithmatex">\\[x^2\\]</div>'
            '<div class="arithmatex">\\begin{aligned} a &amp;= b \\end{aligned}</div>')
    html, count = math.typeset_arithmatex(page, typesetter, "p")
    assert count == 3 and html.count("<mjx-container") == 3
    assert "\\(a &lt; b\\)" in html, "the copyable TeX is the source, escaped once"
    assert "\\(" not in re.sub(r'<span class="n01-tex".*?</span>', "", html)


def test_dollar_math_outside_code_is_typeset(typesetter):
    page = ('<p>costs $5 and $6, while $x &lt; y$ and</p><p>$$\\sum_i x_i$$</p>'
            '<pre>print("$a$")</pre><code>$b$</code><div class="clipboard-copy-txt" id="c">s = "$c$"</div>'
            '<script>var $d = 1; $e$</script>')
    html, count = math.typeset_dollars(page, typesetter, "nb")
    assert count == 2
    assert "costs $5 and $6" in html, "a price is not a formula"
    for verbatim in ('print("$a$")', "<code>$b$</code>", 's = "$c$"', "$e$"):
        assert verbatim in html


def test_the_css_parser_reads_every_rule_of_mathjax_stylesheet(typesetter):
    """Glyph rules hold quoted braces (content: "{") and selectors quoted attributes
    ([jax="CHTML"]): a naive split silently drops rules, and glyphs vanish."""
    typesetter.stylesheet()
    full = typesetter._full_css
    covered = "".join(match.group(0) for match in math._CSS_RULE.finditer(full))
    assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", full)
    assert 'content: "{"' in full


def test_the_stylesheet_keeps_the_glyphs_in_use_and_only_those(typesetter):
    typesetter.typeset(r"\mathcal{N}(0, 1)", False, "p")
    css = typesetter.stylesheet()
    assert "mjx-c.mjx-c1D70E.TEX-I::before" in css  # σ, typeset above
    assert "mjx-c.mjx-c4E.TEX-C::before" in css  # calligraphic N
    assert "mjx-c.mjx-c2135::before" not in css  # ℵ, never typeset
    assert "MathJax_Fraktur" not in css, "a font no formula uses"
    assert "MathJax_Calligraphic-Regular.woff2" in css


def test_fonts_are_subsets_that_hold_every_glyph_their_rules_draw(typesetter):
    typesetter.typeset(r"\mathcal{N}(0, 1) + \sqrt{\left(\frac{a}{b}\right)}", True, "p")
    css = typesetter.stylesheet()
    fonts = typesetter.fonts(css)
    files = dict(re.findall(r'font-family: (MJXTEX[\w-]*);\s*src: url\("[^"]*/([^"/]+)"\)', css))
    assert files and set(files.values()) <= set(fonts)
    cmaps = {family: set(TTFont(io.BytesIO(fonts[name])).getBestCmap()) for family, name in files.items()}
    for variant, text in re.findall(r'mjx-c\.mjx-c[0-9A-F]+(?:\.TEX-(\w+))?::before \{[^}]*content: ("(?:\\.|[^"\\])*")', css):
        family = f"MJXTEX-{variant}" if variant else "MJXTEX"
        for char in math._css_text(text[1:-1]):
            assert ord(char) in cmaps[family], f"{family} lacks U+{ord(char):04X}"
    whole = (math.FONTS_DIR / "MathJax_Main-Regular.woff").stat().st_size
    assert len(fonts["MathJax_Main-Regular.woff2"]) < whole / 2


def test_typesetting_is_reproducible(tmp_path, monkeypatch):
    from fontTools.ttLib.tables import _h_e_a_d

    outputs = []
    for seconds, run in enumerate(("one", "two")):
        # two builds a second or more apart: a font that carries its save time differs
        monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 3_800_000_000 + seconds)
        typesetter = math.Typesetter(tmp_path / run)
        try:
            html = typesetter.typeset(SIGMA, True, "p")
            css = typesetter.stylesheet()
            outputs.append((html, css, typesetter.fonts(css)))
        finally:
            typesetter.close()
    assert outputs[0] == outputs[1]


def test_the_cache_answers_without_node(tmp_path):
    first = math.Typesetter(tmp_path)
    html = first.typeset(SIGMA, False, "p")
    first.stylesheet()
    first.save()
    first.close()
    second = math.Typesetter(tmp_path)
    assert second.typeset(SIGMA, False, "p") == html
    second.stylesheet()
    assert second._node is None, "a cached build started Node"


# ---------------------------------------------------------------------------------------------
# The built site


def _pages(site):
    return sorted(site.dir.rglob("*.html"))


def test_no_page_loads_math_javascript(site):
    offenders = [str(page.relative_to(site.dir)) for page in _pages(site)
                 if re.search(r"<script[^>]*(mathjax|katex)", page.read_text(encoding="utf-8"), re.I)]
    assert not offenders
    assert not (site.dir / "assets" / "mathjax").exists()
    assert not [p for p in site.dir.rglob("*.js") if "mathjax" in p.name.lower()]


def test_every_formula_is_typeset_and_only_math_pages_load_its_stylesheet(site):
    with_math = 0
    for page in _pages(site):
        html = page.read_text(encoding="utf-8")
        formulas = re.findall(r'<(span|div) class="arithmatex">(.{0,30})', html)
        raw = [text for _, text in formulas if not text.startswith("<mjx-container")]
        assert not raw, f"{page.relative_to(site.dir)}: raw TeX {raw[:3]}"
        links = html.count('assets/stylesheets/math.css"')
        assert links == (1 if formulas else 0), f"{page.relative_to(site.dir)}: math.css linked {links} times"
        with_math += bool(formulas)
    assert with_math >= 2 * 14, "every reason page has math, in both languages"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_pages_typeset_every_formula_of_their_markdown(site, lang):
    prefix = "" if lang == "en" else "zh/"
    for notebook in sorted((site.dir / prefix / "downloads").glob("*.ipynb")):
        cells = nbformat.read(notebook, as_version=4).cells
        markdown = "\n\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
        markdown = re.sub(r"```.*?```|`[^`]*`", "", markdown, flags=re.S)  # code is not math
        expected = len(re.findall(r"\$\$.+?\$\$|\$[^$\s](?:[^$]*?[^$\s])?\$", markdown, re.S))
        html = site.html(f"{prefix}notebooks/{notebook.stem}/")
        article = html[html.index("<article"):]
        assert article.count("<mjx-container") == expected, f"{prefix}notebooks/{notebook.stem}"


def test_every_glyph_on_every_page_has_its_rule(site):
    css = (site.dir / math.STYLESHEET).read_text(encoding="utf-8")
    rules = set(re.findall(r"mjx-c\.(mjx-c[0-9A-F]+(?:\.TEX-\w+)?)::before", css))
    missing = set()
    for page in _pages(site):
        for classes in re.findall(r'<mjx-c class="([^"]+)"', page.read_text(encoding="utf-8")):
            if classes.replace(" ", ".") not in rules:
                missing.add((classes, str(page.relative_to(site.dir))))
    assert not missing, sorted(missing)[:10]
    used = set(re.findall(r'url\("\.\./fonts/mathjax/([^"]+)"\)', css))
    assert used == {p.name for p in (site.dir / math.FONTS).iterdir()}, "fonts copied = fonts named"
    assert "MathJax_Main-Regular.woff2" in used


def test_the_build_fails_on_a_formula_with_the_page_name(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from mkdocs.exceptions import PluginError

    from sitebuild import hook

    monkeypatch.setattr(hook, "_typesetter", math.Typesetter(tmp_path))
    page = SimpleNamespace(file=SimpleNamespace(src_uri="edge-of-chaos.zh.md", dest_uri="zh/edge-of-chaos/index.html"))
    html = '<html><head></head><body><p><span class="arithmatex">\\(\\chi_1 = \\sigmaa\\)</span></p></body></html>'
    try:
        with pytest.raises(PluginError, match=r"edge-of-chaos\.zh\.md .*Undefined control sequence \\sigmaa"):
            hook.on_post_page(html, page=page, config=None)
        good = hook.on_post_page(html.replace("sigmaa", "sigma"), page=page, config=None)
        assert '<link rel="stylesheet" href="../../assets/stylesheets/math.css">' in good
    finally:
        hook._typesetter.close()
