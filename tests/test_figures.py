"""Numbered figures: every figure of a reason page has its number and caption in the page's
language, the numbers follow the order the snippet's figures() draws them (the order of the
notebook's last cell), and the prose refers to figures through the template, never by a typed number."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import DOCS, LANGS, twin
from sitebuild import cache, formats
from test_site import page_url

NAMES = cache.snippet_names()
CAPTION = re.compile(r'<figure class="n01-numbered" id="([^"]+)">.*?<figcaption>\s*<p>\s*<strong>(.*?)</strong>', re.S)


def drawn(name: str) -> list[str]:
    return cache.ensure([name])[name].manifest["figures"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_figures_are_numbered_in_the_notebooks_order(site, name, lang):
    page = DOCS / f"{cache.slug(name)}.md"
    html = site.html(page_url(page, lang))
    found = CAPTION.findall(html)
    expected = [(formats.figure_anchor(figure), formats.figure_label(lang, number) + ("." if lang == "en" else "："))
                for number, figure in enumerate(drawn(name), 1)]
    assert found == expected, f"{page_url(page, lang)}: figures and captions {found}, expected {expected}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_draws_the_pages_figures_in_order(site, name):
    """The notebook's last cell shows as many figures as the page numbers (Figure N is its Nth)."""
    for lang in LANGS:
        prefix = "" if lang == "en" else f"{lang}/"
        nb = nbformat.read(site.dir / f"{prefix}downloads/{cache.slug(name)}.ipynb", as_version=4)
        images = [o for o in nb.cells[-1].outputs if "image/png" in o.get("data", {})]
        assert len(images) == len(drawn(name)), f"{prefix}{cache.slug(name)}.ipynb draws {len(images)} figures"


# A paper's figure is cited as "Fig. 6" in both languages (GLOSSARY.md, citations); "Figure 3" and
# "图3" are this site's own numbers, which only the template may write.
TYPED_REFERENCE = {"en": re.compile(r"\bFigure \d"), "zh": re.compile(r"图 ?\d")}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", NAMES)
def test_prose_refers_to_its_figures_by_template(name, lang):
    """A typed "Figure 3" breaks when figures move; {{ fig("name") }} does not."""
    text = twin(DOCS / f"{cache.slug(name)}.md", lang).read_text(encoding="utf-8")
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
    typed = TYPED_REFERENCE[lang].findall(text)
    assert not typed, f"{name} ({lang}): typed figure numbers {typed}: use {{{{ fig(\"name\") }}}}"


@pytest.mark.parametrize("name", NAMES)
def test_figures_are_created_in_the_order_they_are_numbered(name):
    """A notebook shows a cell's figures in the order they were created, whatever order figures()
    returns them in: creation order must be the numbering, or the notebook's Figure 2 is not the page's."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module = importlib.import_module(f"snippets.{name}")
    figs = module.figures(cache.ensure([name])[name].results, "en")
    try:
        numbers = [fig.number for fig in figs.values()]
        assert numbers == sorted(numbers), f"snippets/{name}.py: figures() creates {list(figs)} out of order"
    finally:
        plt.close("all")
