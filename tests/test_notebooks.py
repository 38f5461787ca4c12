"""Each reason's notebook in each language, from one snippet module (sitebuild/notebooks.py):
the Markdown cells pair up across languages, each built notebook speaks only its language, and
the Chinese one draws its figures in Chinese."""

from __future__ import annotations

import re
import zipfile
from collections import Counter

import jupytext
import nbformat
import pytest

from conftest import HAN, LANGS, prose_text
from sitebuild import archive, cache, notebooks
from test_glossary import SPACED, avoided_uses

NAMES = cache.snippet_names()
JINJA = re.compile(r"\{\{.*?\}\}", re.S)
CODE_SPAN = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def markdown_cells(name: str) -> list:
    nb = jupytext.read(cache.SNIPPETS_DIR / f"{name}.py")
    return [cell for cell in nb.cells if cell.cell_type == "markdown"]


def pairs(name: str) -> list[tuple]:
    cells = markdown_cells(name)
    return list(zip(cells[::2], cells[1::2]))


def numbers(markdown: str) -> Counter:
    """The template expressions of a cell; a list's separator is the language's own ("、")."""
    return Counter(re.sub(r'join\("[^"]*"\)', "join()", expr) for expr in JINJA.findall(markdown))


def headings(markdown: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in markdown.splitlines() if re.match(r"#{1,6} ", line)]


@pytest.mark.parametrize("name", NAMES)
def test_markdown_cells_come_in_english_chinese_pairs(name):
    marks = [cell.metadata.get("lang") for cell in markdown_cells(name)]
    assert marks and marks == ["en", "zh"] * (len(marks) // 2), (
        f'snippets/{name}.py: each Markdown cell is marked lang="en" and followed by its lang="zh" twin; found {marks}')


@pytest.mark.parametrize("name", NAMES)
def test_twin_cells_say_the_same_things(name):
    """Same headings, numbers, figure references, code spans and links in both languages."""
    for en, zh in pairs(name):
        where = f"snippets/{name}.py, cell '{en.source.splitlines()[0]}'"
        assert headings(en.source) == headings(zh.source), f"{where}: headings differ"
        assert numbers(en.source) == numbers(zh.source), (
            f"{where}: the numbers differ:\n  en: {sorted(numbers(en.source))}\n  zh: {sorted(numbers(zh.source))}")
        assert sorted(CODE_SPAN.findall(en.source)) == sorted(CODE_SPAN.findall(zh.source)), f"{where}: code differs"
        assert sorted(LINK.findall(en.source)) == sorted(LINK.findall(zh.source)), f"{where}: links differ"


@pytest.mark.parametrize("name", NAMES)
def test_english_cells_have_no_chinese_and_chinese_cells_read_as_chinese(name):
    for en, zh in pairs(name):
        assert not HAN.search(en.source), f"snippets/{name}.py: Chinese in an English cell:\n{en.source[:200]}"
        prose = JINJA.sub("", CODE_SPAN.sub("", zh.source))
        assert HAN.search(prose), f"snippets/{name}.py: a Chinese cell without Chinese:\n{zh.source[:200]}"
        bad = avoided_uses(prose)
        assert not bad, f"snippets/{name}.py: the glossary says otherwise: {bad}"
        spaced = [m.group(0) for line in JINJA.sub("", zh.source).splitlines() for m in SPACED.finditer(line)]
        assert not spaced, f"snippets/{name}.py: no space between Chinese and Latin: {spaced[:5]}"


@pytest.mark.parametrize("name", NAMES)
def test_every_section_has_a_few_sentences(name):
    """A downloaded notebook must be readable without its page: each section says what it shows.
    (The last cell only introduces results() and figures().)"""
    for en, _ in pairs(name)[:-1]:
        prose = re.sub(r"^#.*$", "", en.source, flags=re.M)
        sentences = re.findall(r"[.!?](?:\s|$)", prose)
        assert len(sentences) >= 2, f"snippets/{name}.py: say more than this:\n{en.source}"


@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_quotes_numbers_from_its_run(name):
    text = " ".join(en.source for en, _ in pairs(name))
    own = re.findall(rf"\{{\{{\s*{name}\.", text)
    assert len(own) >= 3, f"snippets/{name}.py: the notebook's Markdown quotes {len(own)} numbers from results()"


def test_chinese_line_breaks_are_joined_only_beside_chinese():
    text = "第一行\n继续，with `code`\nand more English\n\n## 标题\n\n- 列表\n- 列表"
    joined = notebooks.join_chinese_lines(text)
    assert joined.startswith("第一行继续，with `code`\nand more English\n\n## 标题\n\n- 列表\n- 列表")


def _toy(lang_cells: list[tuple[str, str]], last: str = 'figures(RESULTS, "en")'):
    cells = []
    for lang, source in lang_cells:
        cells.append(nbformat.v4.new_markdown_cell(source, metadata={"lang": lang}))
    cells.append(nbformat.v4.new_code_cell(last, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="{}\n"),
        nbformat.v4.new_output("display_data", data={"image/png": "ZW4="})]))
    cells.append(nbformat.v4.new_code_cell("figures(RESULTS, 'zh')", metadata={"n01": "zh-figures"}, outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": "emg="}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "{...}"}, execution_count=1)]))
    return nbformat.v4.new_notebook(cells=cells)


def test_each_language_gets_its_cells_numbers_and_figures():
    nb = _toy([("en", "Std {{ toy.std | fixed(2) }}, see {{ fig('b') }} of {{ fig_range }}."),
               ("zh", "标准差{{ toy.std | fixed(2) }}，见{{ fig('b') }}。")])
    made = {lang: notebooks.for_language(nb, lang, "toy", {"std": 0.5}, ["a", "b"], "https://x.org/")
            for lang in LANGS}
    assert made["en"].cells[0].source == "Std 0.50, see Figure 2 of Figures 1 and 2."
    assert made["zh"].cells[0].source == "标准差0.50，见图2。"
    assert [c.source for c in made["en"].cells[1:]] == ['figures(RESULTS, "en")']
    assert made["zh"].cells[-1].source == 'figures(RESULTS, "zh")'
    assert "matplotlib.rcParams" in made["zh"].cells[-2].source, "the Chinese reader learns which font to set"
    assert [o.output_type for o in made["zh"].cells[-1].outputs] == ["stream", "display_data"]
    assert made["zh"].cells[-1].outputs[1].data["image/png"] == "emg="
    assert made["en"].cells[1].outputs[1].data["image/png"] == "ZW4="
    assert all("lang" not in c.metadata for nb_ in made.values() for c in nb_.cells)


def test_an_unknown_number_or_unmarked_cell_fails_with_the_snippet_name():
    with pytest.raises(notebooks.NotebookError, match="toy"):
        notebooks.for_language(_toy([("en", "{{ toy.missing }}")]), "en", "toy", {}, [], "")
    with pytest.raises(notebooks.NotebookError, match="lang"):
        notebooks.for_language(_toy([(None, "no mark")]), "en", "toy", {}, [], "")


def served(site, lang: str, path: str):
    return site.dir / ("" if lang == "en" else f"{lang}/") / path


@pytest.mark.parametrize("name", NAMES)
def test_served_notebooks_speak_their_language(site, name):
    slug = cache.slug(name)
    books = {lang: nbformat.read(served(site, lang, f"downloads/{slug}.ipynb"), as_version=4) for lang in LANGS}
    for lang, nb in books.items():
        nbformat.validate(nb)
        markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
        assert markdown and not any("{{" in text for text in markdown), f"{lang}/{slug}: unrendered Markdown"
        if lang == "en":
            assert not any(HAN.search(text) for text in markdown), f"{slug}.ipynb: Chinese in the English notebook"
        else:
            assert all(HAN.search(text) for text in markdown), f"zh/{slug}.ipynb: an English cell"
        # the same page as the notebook page serves
        page_copy = served(site, lang, f"notebooks/{slug}/{name}.ipynb")
        assert page_copy.read_bytes() == served(site, lang, f"downloads/{slug}.ipynb").read_bytes()
    code = {lang: [c.source for c in nb.cells if c.cell_type == "code"] for lang, nb in books.items()}
    assert code["en"][:-1] == code["zh"][:-1], "code cells are shared"
    assert code["zh"][-1] == code["en"][-1].replace('figures(RESULTS, "en")', 'figures(RESULTS, "zh")')
    figures = {lang: [o.data["image/png"] for o in nb.cells[-1].outputs if "image/png" in o.get("data", {})]
               for lang, nb in books.items()}
    assert len(figures["en"]) == len(figures["zh"]) > 0
    assert all(a != b for a, b in zip(figures["en"], figures["zh"])), "the Chinese notebook draws Chinese figures"


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_has_its_archive(site, lang):
    with zipfile.ZipFile(served(site, lang, f"downloads/{archive.ARCHIVE}")) as zf:
        readme = zf.read(f"{archive.NAME}/README.txt").decode("utf-8")
        for name in NAMES:
            slug = cache.slug(name)
            member = zf.read(f"{archive.NAME}/{slug}.ipynb")
            assert member == served(site, lang, f"downloads/{slug}.ipynb").read_bytes()
    assert bool(HAN.search(readme)) == (lang == "zh"), f"the {lang} archive's README is in the wrong language"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_page_is_in_its_language(site, name):
    slug = cache.slug(name)
    for lang in LANGS:
        html = site.html(("" if lang == "en" else f"{lang}/") + f"notebooks/{slug}/")
        body = html.split('<div class="jupyter-wrapper">', 1)[-1].split("</article>", 1)[0]
        assert bool(HAN.search(prose_text(body))) == (lang == "zh"), f"{lang}/notebooks/{slug}/ mixes languages"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_cells_cite_as_the_pages_do(name):
    """GLOSSARY.md's citation style holds in the notebooks too, and twins cite the same works."""
    from test_citations import citations, drift

    for en, zh in pairs(name):
        for cell in (en, zh):
            bad = drift(JINJA.sub("", cell.source))
            assert not bad, f"snippets/{name}.py: citation drift {bad}"
        assert citations(en.source) == citations(zh.source), f"snippets/{name}.py: the twins cite different works"
