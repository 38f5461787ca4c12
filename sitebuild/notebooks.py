"""The English and the Chinese notebook of a reason, made from its one executed notebook.

A snippet module holds every Markdown cell in both languages, each cell marked with its
language, the English cell first and its Chinese twin right after it:

    # %% [markdown] lang="en"
    # ## Signal through depth
    #
    # ... Kaiming keeps the activation std near {{ initialization.depth.kaiming_std | fixed(2) }} ...

    # %% [markdown] lang="zh"
    # ## 信号随深度的变化
    # ...

The runner executes the module once (code cells are shared, so one run serves both languages).
Here each language's notebook keeps its own Markdown cells, rendered with Jinja exactly as the
pages are (the snippet's `results()` under the snippet's name, the filters of sitebuild.formats,
and `fig("name")` for a figure's number on the page), and the Chinese notebook's last cell draws
the figures with Chinese labels (the runner's extra "zh-figures" cell supplies its outputs).
`tests/test_notebooks.py` checks that the two languages pair up cell by cell.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

from sitebuild import cache, formats, runner, style

LANGS = style.LANGS
FIGURES_CALL = 'figures(RESULTS, "{}")'  # in the module's last cell (tests/test_snippet_contract.py)
# Everything besides the executed notebook that the two notebooks' bytes depend on.
SOURCES = [Path(__file__), Path(formats.__file__)]


# Said once here, not in every snippet: the Chinese figures need a font with Chinese glyphs. The
# same setting is in the Chinese archive's README (sitebuild.archive).
READER_FONTS = ["DejaVu Sans", style.CJK_FAMILY, "Microsoft YaHei", "PingFang SC"]  # Linux, Windows, macOS
FONT_SETTING = f'matplotlib.rcParams["font.family"] = {READER_FONTS!r}'.replace("'", '"')
FONT_NOTE = {
    "zh": (
        "下面的图使用中文标签，需要一种中文字体。如果重新运行后中文显示为方框，请在运行之前把"
        '`matplotlib.rcParams["font.family"]`设为系统中已安装的中文字体，例如：\n\n'
        f"```python\nimport matplotlib\n\n{FONT_SETTING}\n```"
    ),
}


class NotebookError(ValueError):
    """A Markdown cell that cannot be rendered (an unknown key, a bad language mark)."""


def cell_language(cell) -> str | None:
    return cell.metadata.get("lang")


_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms
_BREAK_BESIDE_CJK = re.compile(rf"(?<=[{_CJK}])\n|\n(?=[{_CJK}])")
_BLOCK_START = ("#", "|", "-", "*", ">", "```")  # headings, tables, lists, quotes, code: lines matter


def join_chinese_lines(markdown: str) -> str:
    """A line break beside a Chinese character renders as a stray space: drop it in paragraphs
    (a break between two Latin words stays, and renders as the space it stands for)."""
    return "\n\n".join(
        paragraph if paragraph.lstrip().startswith(_BLOCK_START) else _BREAK_BESIDE_CJK.sub("", paragraph)
        for paragraph in markdown.split("\n\n")
    )


def page_url(site_url: str, name: str, lang: str) -> str:
    """The reason page a notebook belongs to, in the notebook's language."""
    prefix = "" if lang == LANGS[0] else f"{lang}/"
    return f"{site_url.rstrip('/')}/{prefix}{cache.slug(name)}/"


def for_language(executed, lang: str, name: str, results: dict, figure_order: list[str], site_url: str):
    """The notebook a reader of `lang` gets: a copy of `executed` with only that language's
    Markdown, its numbers filled in, and the last cell's figures in that language."""
    nb = copy.deepcopy(executed)
    env = formats.environment()

    def fig(figure: str) -> str:
        if figure not in figure_order:
            raise NotebookError(f"snippet '{name}': fig({figure!r}): figures() draws {figure_order}")
        return formats.figure_label(lang, figure_order.index(figure) + 1)

    context = {name: results, "fig": fig, "fig_range": formats.figure_range(lang, len(figure_order)),
               "page_url": page_url(site_url, name, lang)}
    zh_figures = next((cell for cell in nb.cells if cell.metadata.get("n01") == runner.ZH_FIGURES), None)
    cells = []
    for cell in nb.cells:
        if cell.metadata.get("n01") == runner.ZH_FIGURES:
            continue
        if cell.cell_type == "markdown":
            if cell_language(cell) not in LANGS:
                raise NotebookError(f"snippet '{name}': a Markdown cell without lang=\"en\" or lang=\"zh\":\n{cell.source[:200]}")
            if cell_language(cell) != lang:
                continue
            del cell.metadata["lang"]
            try:
                cell.source = env.from_string(cell.source).render(context)
                if lang == "zh":
                    cell.source = join_chinese_lines(cell.source)
            except NotebookError:
                raise
            except Exception as error:  # an unknown key, a filter on the wrong type
                raise NotebookError(f"snippet '{name}': {type(error).__name__}: {error}\n{cell.source[:200]}") from None
        cells.append(cell)
    last = cells[-1]
    if lang != LANGS[0] and zh_figures is not None:
        english_call = FIGURES_CALL.format("en")
        if last.source.count(english_call) != 1:
            raise NotebookError(f"snippet '{name}': the last cell does not call {english_call} once")
        last.source = last.source.replace(english_call, FIGURES_CALL.format(lang))
        # The extra cell's own value (the dict of figures) is not something the reader's cell shows.
        drawn = [out for out in zh_figures.outputs if out.output_type == "display_data"]
        last.outputs = [out for out in last.outputs if out.output_type != "display_data"] + drawn
        if lang in FONT_NOTE:
            cells.insert(len(cells) - 1, nbformat.v4.new_markdown_cell(FONT_NOTE[lang]))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    nb.cells = cells
    return nb


def _key(site_url: str) -> str:
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.read_bytes() + b"\0")
    digest.update(site_url.encode())
    return digest.hexdigest()[:12]


def ensure(outputs: dict[str, cache.Outputs], site_url: str) -> dict[str, dict[str, Path]]:
    """{snippet: {lang: its notebook}}, written next to the snippet's outputs, once per
    executed notebook, version of this module and site address."""
    key = _key(site_url)
    paths = {}
    for name, out in outputs.items():
        target = out.dir / f"notebooks-{key}"
        paths[name] = {lang: target / lang / f"{name}.ipynb" for lang in LANGS}
        if all(path.exists() for path in paths[name].values()):
            continue
        executed = nbformat.read(out.notebook, as_version=4)
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        for lang in LANGS:
            nb = for_language(executed, lang, name, out.results, out.manifest["figures"], site_url)
            (partial / lang).mkdir(parents=True)
            nbformat.write(nb, partial / lang / f"{name}.ipynb")
        for stale in out.dir.glob("notebooks-*"):
            if stale != partial and stale != target:
                shutil.rmtree(stale, ignore_errors=True)
        try:
            partial.rename(target)
        except OSError:  # another build of this checkout made the same notebooks first
            shutil.rmtree(partial, ignore_errors=True)
    return paths


def as_text(nb) -> str:
    """A notebook as a writer reads it: Markdown as it is, code in fences, printed output after."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        else:
            parts.append("```python\n" + cell.source + "\n```")
            printed = "".join(out.get("text", "") for out in cell.get("outputs", []))
            images = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
            if printed:
                parts.append("```text\n" + printed.rstrip()[:3000] + "\n```")
            if images:
                parts.append(f"[{images} figure(s)]")
    return "\n\n".join(parts) + "\n"


def site_url() -> str:
    match = re.search(r"^site_url:\s*(\S+)", (cache.ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else ""


def main(argv: list[str]) -> None:
    """python -m sitebuild.notebooks NAME...: run the snippets (through the build's cache) and
    write each language's notebook as text to .cache/notebook-preview/NAME.LANG.md, to read."""
    names = [arg.removeprefix("snippets/").removesuffix(".py") for arg in argv] or cache.snippet_names()
    outputs = cache.ensure(names)
    preview = cache.ROOT / ".cache" / "notebook-preview"
    preview.mkdir(parents=True, exist_ok=True)
    for name, paths in ensure(outputs, site_url()).items():
        for lang, path in paths.items():
            target = preview / f"{name}.{lang}.md"
            target.write_text(as_text(nbformat.read(path, as_version=4)), encoding="utf-8")
            print(target.relative_to(cache.ROOT))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (cache.SnippetError, NotebookError) as error:
        sys.exit(str(error))
