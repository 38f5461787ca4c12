"""The MkDocs hook: every generated thing enters the site here, and only here.

- on_startup: quiet logs (`quiet_libraries`).
- on_pre_build: bring every snippet's outputs up to date (sitebuild.cache; a changed snippet
  reruns in a subprocess, an unchanged one costs a hash), then each language's notebooks
  (sitebuild.notebooks) and the archive of them (sitebuild.archive; rebuilt only when a notebook
  changed).
- on_files (after mkdocs-static-i18n): add the generated files, which live outside docs/ so that
  `mkdocs serve` never rebuilds in a loop: figures, notebook downloads and their archive, and one
  notebook page per snippet and language (see `notebook_page`).
- on_page_markdown: render `{{ ... }}` in Markdown pages with Jinja: the snippets' results
  (`{{ initialization.some_key | fixed(2) }}`), `{{ figure(snippet, name, alt) }}`, and
  `downloads` (the archive and its notebooks, for docs/downloads.md).
- on_page_content / on_post_build: notebook pages lose nbconvert's CDN scripts and stylesheets
  (docs/stylesheets/notebook.css instead), and their output images become files.
- on_post_page / on_post_build: every formula is typeset at build time (sitebuild.math), and the
  pages with math link the one stylesheet and the fonts the site's formulas use.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import posixpath
import re
import struct
from pathlib import Path

import jinja2
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from sitebuild import archive, cache, collapse, explorers, formats, jupyter_pages, math, notebooks

log = get_plugin_logger("snippets")

_outputs: dict[str, cache.Outputs] = {}
_results: dict[str, dict] = {}  # what `{{ ... }}` sees: {snippet name: its results()}
_notebooks: dict[str, dict[str, Path]] = {}  # {snippet: {lang: its notebook in that language}}
_archives: dict[str, archive.Archive] = {}  # {lang: the archive of that language's notebooks}
_downloads: dict[str, dict] = {}  # what `{{ downloads... }}` sees, per language


# ---------------------------------------------------------------------------------------------
# Logs: what a reader of the build needs (progress of snippets, warnings, errors), not every file

# Loggers that say something per file or per start at INFO: mkdocs-jupyter ("Converting notebook",
# "Cache hit", "Copied jupyter file", "Evicted stale cache" for each of 28 notebook pages), jieba
# (its dictionary, for Material's Chinese search index; jieba's own handler prints at DEBUG) and
# mkdocs-static-i18n's reconfiguration (every Chinese config value it sets, the palette whole).
CHATTY_LOGGERS = (
    "mkdocs.plugins.mkdocs_jupyter",
    "mkdocs.mkdocs-jupyter",
    "jieba",
    "mkdocs.plugins.mkdocs_static_i18n.reconfigure",
)


def quiet_libraries() -> None:
    """Above INFO unless MkDocs runs with -v (its logger at DEBUG): warnings and errors still show."""
    import jieba  # noqa: F401 (imported first: importing it sets its logger to DEBUG)

    verbose = logging.getLogger("mkdocs").getEffectiveLevel() <= logging.DEBUG
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def on_startup(command, dirty) -> None:
    quiet_libraries()


# ---------------------------------------------------------------------------------------------
# Snippet outputs


def on_pre_build(config) -> None:
    global _outputs, _results, _notebooks, _archives, _downloads
    try:
        _outputs = cache.ensure(progress=log.info)
        # The published address (mkdocs.yml), also under `mkdocs serve`, which sets site_url to its
        # own: a downloaded notebook links the published pages, and a serve start finds the
        # notebook pages that the last build converted (mkdocs-jupyter's cache is keyed by the
        # notebook's bytes) instead of converting all 28 again (21 s -> 6 s to the first page).
        published = notebooks.site_url()
        _notebooks = notebooks.ensure(_outputs, published)
        _archives = {
            lang: archive.ensure({name: paths[lang] for name, paths in _notebooks.items()}, published, lang)
            for lang in _i18n(config).build_languages
        }
    except (cache.SnippetError, notebooks.NotebookError, archive.ArchiveError) as error:
        raise PluginError(str(error)) from None
    _results = {name: out.results for name, out in _outputs.items()}
    _downloads = {lang: downloads_context(config, lang) for lang in _i18n(config).build_languages}
    converted = jupyter_pages.keep_and_convert(
        config.plugins["mkdocs-jupyter"], [path for paths in _notebooks.values() for path in paths.values()]
    )
    if converted:
        log.info(f"converted {converted} notebook pages to HTML, two at a time")
    for out in _outputs.values():
        for warning in out.manifest["warnings"]:
            log.warning(f"snippet '{out.name}': {warning}")


def nav_titles(nav) -> dict[str, str]:
    """{page file: its title} for every page in mkdocs.yml's `nav`, in the order of the nav."""
    titles = {}
    for item in nav or []:
        for title, value in item.items() if isinstance(item, dict) else []:
            if isinstance(value, str):
                titles[value] = title
            else:
                titles.update(nav_titles(value))
    return titles


def downloads_context(config, lang: str) -> dict:
    """`{{ downloads }}` for docs/downloads.md: the archive, and each notebook with the title of
    its reason page in `lang` (mkdocs.yml's nav, translated by i18n's nav_translations)."""
    i18n = _i18n(config)
    translations = {} if lang == i18n.default_language else i18n.get_language_config(lang).nav_translations or {}
    pages = nav_titles(config.nav)
    listed_notebooks, listed = [], set()
    for page, title in pages.items():  # reading order
        name = page.removesuffix(".md").replace("-", "_")
        if name not in _outputs:
            continue
        listed.add(name)
        if lang != i18n.default_language and title not in translations:
            raise PluginError(f"mkdocs.yml: no '{lang}' title for '{title}' in nav_translations")
        listed_notebooks.append({
            "slug": cache.slug(name),
            "title": translations.get(title, title),
            "size": _notebooks[name][lang].stat().st_size,
        })
    missing = sorted(set(_outputs) - listed)
    if missing:
        raise PluginError(f"mkdocs.yml: the nav has no page for snippet(s) {missing}")
    bundle = _archives[lang]
    return {
        "size": bundle.size,
        "count": len(listed_notebooks),
        "notebooks": listed_notebooks,
        "python": f"Python {bundle.python}",
        "packages": archive.pip_packages(bundle.requirements),
        "mirror": archive.PYPI_MIRROR,
    }


# ---------------------------------------------------------------------------------------------
# Generated files


class NotebookPage(File):
    """A generated `.ipynb` that MkDocs treats as a page, for mkdocs-jupyter to render.

    mkdocs-static-i18n rebuilds every file it sees from docs/ and drops the rest
    (ultrabug/mkdocs-static-i18n#198), so notebook pages are added after it, with the
    attributes it gives its own pages: that keeps the language switcher on the same notebook.
    """

    def is_documentation_page(self) -> bool:
        return True


def _i18n(config):
    return config.plugins["i18n"]


def page_language(page, config) -> str:
    """The language a page is built in (mkdocs-static-i18n's locale of its file)."""
    return getattr(page.file, "locale", None) or _i18n(config).default_language


def _in_language(config, file: File, lang: str) -> File:
    """A generated file of `lang`'s build: the Chinese one is served under zh/, and links from
    Chinese pages (mkdocs-static-i18n keeps their src_uri) resolve to it."""
    if lang != _i18n(config).default_language:
        file.dest_uri = f"{lang}/{file.dest_uri}"
    return file


def notebook_page(config, name: str, lang: str) -> NotebookPage:
    i18n = _i18n(config)
    page = NotebookPage.generated(
        config, f"notebooks/{cache.slug(name)}.ipynb", abs_src_path=str(_notebooks[name][lang])
    )
    _in_language(config, page, lang)
    page.locale = page.locale_alternate_of = lang
    page.localization = None if lang == i18n.default_language else lang
    page.norm_src_uri = page.src_uri
    return page


@event_priority(-110)  # after mkdocs-static-i18n (-100), which would drop these files
def on_files(files: Files, config) -> Files:
    lang = _i18n(config).current_language
    for name, out in _outputs.items():
        for svg in out.figures():
            files.append(File.generated(config, f"figures/{name}/{svg.name}", abs_src_path=str(svg)))
        for path in sorted((out.dir / "explorers").glob("*.json")):
            files.append(File.generated(config, f"explorers/{name}/{path.name}", content=finished_explorer(name, path.stem)[1]))
        download = f"downloads/{cache.slug(name)}.ipynb"
        files.append(_in_language(config, File.generated(config, download, abs_src_path=str(_notebooks[name][lang])), lang))
        page = notebook_page(config, name, lang)
        page.alternates = {
            other: page if other == lang else notebook_page(config, name, other)
            for other in _i18n(config).build_languages
        }
        files.append(page)
        # mkdocs-static-i18n lists the pages of each language for the site's sitemap.xml before
        # this hook adds the notebook pages (its own on_files): list them too.
        _i18n(config).i18n_files_per_language.setdefault(lang, []).append(page)
    # Every notebook at once, for readers without Colab (docs/downloads.md links it).
    bundle = File.generated(config, f"downloads/{archive.ARCHIVE}", abs_src_path=str(_archives[lang].path))
    files.append(_in_language(config, bundle, lang))
    return files


# ---------------------------------------------------------------------------------------------
# Numbers and figures in Markdown


# Each page's Markdown is a Jinja template. Compiling one costs ~0.1 s (a page is long text full of
# math), more than the rest of the hook for that page, so the compiled code is kept across builds
# in .cache/jinja/, keyed by page and checked against the page's text: a rebuild with nothing
# changed compiles nothing, a prose edit compiles that page only.
_page_sources: dict[str, str] = {}  # {page src_uri: its Markdown}, what the loader serves
JINJA_CACHE = cache.ROOT / ".cache" / "jinja"
JINJA_CACHE.mkdir(parents=True, exist_ok=True)
# Text that several pages must state identically (the recommended gain per activation, say) lives
# once in partials/NAME.<lang>.md and enters a page with `{% include "NAME." ~ lang ~ ".md" %}`.
PARTIALS_DIR = cache.ROOT / "partials"
_env = formats.environment(
    loader=jinja2.ChoiceLoader([jinja2.DictLoader(_page_sources), jinja2.FileSystemLoader(PARTIALS_DIR)]),
    bytecode_cache=jinja2.FileSystemBytecodeCache(str(JINJA_CACHE)),
)


def _template(src_uri: str, markdown: str) -> jinja2.Template:
    _page_sources[src_uri] = markdown  # DictLoader reloads a page whose text changed
    return _env.get_template(src_uri)


_SVG_SIZE = re.compile(r'<svg [^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


def svg_size(path: Path) -> tuple[int, int]:
    """A matplotlib SVG's size in CSS pixels (it writes points: 1 pt = 4/3 px)."""
    match = _SVG_SIZE.search(path.read_text(encoding="utf-8")[:2000])
    if not match:
        raise PluginError(f"{path.name}: no width and height in points")
    return round(float(match[1]) * 4 / 3), round(float(match[2]) * 4 / 3)


def figure_markdown(page_src_uri: str, lang: str, snippet: str, name: str, alt: str,
                    number: int, caption: str) -> str:
    """A numbered figure with its caption: both theme variants of the image (Material's
    #only-light / #only-dark), then "Figure N." and the caption, in one <figure> that the prose
    links to as #fig-NAME."""
    here = posixpath.dirname(page_src_uri)
    lines = []
    for theme in ("light", "dark"):
        svg = f"{name}_{lang}_{theme}.svg"
        target = posixpath.relpath(f"figures/{snippet}/{svg}", here or ".")
        width, height = svg_size(_outputs[snippet].dir / "figures" / svg)
        # The size reserves the figure's box before the image arrives (no layout shift).
        lines.append(f'![{alt}]({target}#only-{theme}){{ loading=lazy width={width} height={height} }}')
    # The images have a wrapper of their own (md_in_html): at phone width it scrolls sideways
    # (docs/stylesheets/extra.css) and becomes keyboard-focusable (docs/javascripts/figures.js),
    # while the caption below it wraps to the screen.
    label = formats.figure_label(lang, number)
    separator = " " if lang == "en" else ""
    return (
        f'\n\n<figure class="n01-numbered" id="{formats.figure_anchor(name)}" markdown>\n\n'
        '<div class="n01-figure" markdown>\n\n' + "\n".join(lines) + "\n\n</div>\n\n"
        f"<figcaption markdown>\n\n**{label}{'.' if lang == 'en' else '：'}**{separator}{caption.strip()}\n\n</figcaption>\n\n"
        "</figure>\n\n"
    )


# nbconvert's page template loads MathJax 2 and mermaid from CDNs. The build typesets the
# notebooks' math itself (on_post_page), and no notebook has a mermaid diagram.
_NOTEBOOK_CDN_BLOCKS = [
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?</script>', re.S),
]


# nbconvert also inlines its ~600 kB JupyterLab stylesheet (and mkdocs-jupyter a Pygments one):
# notebook pages drop them for docs/stylesheets/notebook.css, a few kilobytes on top of Material's
# own typography and code colours (notebook code gets Material's class "highlight").
_INLINE_CSS = re.compile(r"<style\b[^>]*>.*?</style>", re.S)
NOTEBOOK_CSS = "stylesheets/notebook.css"

# Pygments wraps every name in <span class="n">, which Material colours like plain code
# (--md-code-hl-name-color is the code's own colour; tests/test_page_weight.py checks), and every
# run of whitespace in <span class="w">, which nothing colours: a quarter of a page's elements, for
# nothing but weight, style and layout time on phones, and axe-core's colour-contrast check, which
# visits each of them. Both are unwrapped on every page.
_PLAIN_NAME = re.compile(r'<span class="[nw]">([^<]*)</span>')

# Images that cells output are inlined as base64 PNG; they become files beside the site's other
# images, loaded lazily, with their size in the tag so that nothing moves when they arrive.
_INLINE_PNG = re.compile(r'<img alt="[^"]*" class="" src="data:image/png;base64,([^"]+)"\s*/?>')
NOTEBOOK_IMAGES = "assets/images/notebooks"
IMAGE_ALT = {"en": "Figure drawn by the code cell above", "zh": "上方代码单元绘制的图"}
_notebook_images: dict[str, bytes] = {}  # {file name: PNG}


# The last cell of every notebook prints all its results as JSON (0.1-0.4 MB of text): on the page,
# a long printed output shows its first lines and says how many more the notebook holds.
_TEXT_OUTPUT = re.compile(r'(<div class="jp-RenderedText jp-OutputArea-output"[^>]*>\s*<pre>)([^<]*)(</pre>)')
OUTPUT_LINES = 40
MORE_LINES = {
    "en": "… {n:,} more lines: the downloaded notebook holds the whole output.",
    "zh": "……另有{n:,}行，完整输出见下载的笔记本。",
}


def _shorten_output(match: re.Match, lang: str) -> str:
    start, text, end = match.groups()
    lines = text.split("\n")
    if len(lines) <= OUTPUT_LINES + 10:
        return match.group(0)
    more = MORE_LINES[lang].format(n=len(lines) - OUTPUT_LINES)
    return start + "\n".join(lines[:OUTPUT_LINES]) + f'\n<span class="n01-more">{more}</span>' + end


def _image_file(match: re.Match, page, lang: str) -> str:
    png = base64.b64decode(match.group(1))
    if png[12:16] != b"IHDR":
        raise PluginError(f"{page.file.src_uri}: a notebook output image is not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    name = hashlib.sha256(png).hexdigest()[:16] + ".png"
    _notebook_images[name] = png
    src = posixpath.relpath(f"{NOTEBOOK_IMAGES}/{name}", posixpath.dirname(page.file.dest_uri))
    return (f'<img alt="{IMAGE_ALT[lang]}" src="{src}" width="{width}" height="{height}" '
            'loading="lazy" decoding="async">')


# Code blocks stay out of the search index (Material's data-search-exclude, which its search plugin
# strips from the page afterwards): they were 42 % of the English index and half of the Chinese
# one, which every page downloads, and the same code is in the notebooks. Inline code is indexed.
_CODE_BLOCK = '<div class="highlight">'

# Every plain table in a <div> of its own. Material wraps each `table:not([class])` in its scrolling
# container once the page has loaded, and moving a table that has siblings after it restyles all of
# its parent (its rule `.md-typeset table:not([class]) + *` makes the siblings' whole subtree
# invalid in Chromium): with the article as the parent, that was a full-page style recalculation,
# about 150 ms of blocking time on Lighthouse's phone on the densest page (issue 13). In a div of its
# own the table has no siblings. The div has no style, so margins collapse through it as before.
_PLAIN_TABLE = re.compile(r"<table>.*?</table>", re.S)


def on_page_content(html: str, page, config, files) -> str:
    html = _PLAIN_NAME.sub(r"\1", html)
    html = _PLAIN_TABLE.sub(lambda match: f'<div class="n01-table">{match[0]}</div>', html)
    if not page.file.src_uri.endswith(".ipynb"):
        return html.replace(_CODE_BLOCK, _CODE_BLOCK[:-1] + ' data-search-exclude="code">')
    for block in _NOTEBOOK_CDN_BLOCKS:
        html, count = block.subn("", html)
        if count != 1:
            raise PluginError(f"{page.file.src_uri}: nbconvert's template changed: {block.pattern[:40]!r}")
    # The reason page already holds the notebook's code and prose: keep search results single.
    page.meta["search"] = {"exclude": True}
    lang = page_language(page, config)
    html = _INLINE_CSS.sub("", html).replace('class="highlight-ipynb ', 'class="highlight highlight-ipynb ')
    html = _INLINE_PNG.sub(lambda match: _image_file(match, page, lang), html)
    html = _TEXT_OUTPUT.sub(lambda match: _shorten_output(match, lang), html)
    html = _name_unnamed_headings(html)
    _match_toc_to_headings(page, html)
    return html


_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)
_UNNAMED_HEADING = re.compile(r'<h([1-6]) id="">(.*?)<a class="anchor-link" href="#">(.*?)</a></h\1>', re.S)


def _name_unnamed_headings(html: str) -> str:
    """mkdocs-jupyter makes a heading's id from its text with the non-ASCII letters dropped, so a
    Chinese heading gets id="" and an anchor to nowhere. Give it the slug Markdown pages use
    (pymdownx.slugs, Unicode kept), numbered when two headings read the same."""
    from pymdownx.slugs import slugify

    slug = slugify(case="lower")
    taken = set(re.findall(r'\bid="([^"]+)"', html))

    def name(match):
        level, inner, mark = match.groups()
        base = slug(re.sub(r"<[^>]+>", "", inner).strip(), "-") or f"section-{level}"
        heading_id, n = base, 1
        while heading_id in taken:
            n += 1
            heading_id = f"{base}_{n}"
        taken.add(heading_id)
        return f'<h{level} id="{heading_id}">{inner}<a class="anchor-link" href="#{heading_id}">{mark}</a></h{level}>'

    return _UNNAMED_HEADING.sub(name, html)


_ANCHOR_LINK = re.compile(r'<a class="anchor-link".*?</a>', re.S)


def _match_toc_to_headings(page, html: str) -> None:
    """mkdocs-jupyter builds its table of contents without a heading's inline code: the entry
    reads "Why is wrong" with the slug "why-is-wrong", while nbconvert's heading says
    "Why <code>torch.randn(784, 256)</code> is wrong" with the id
    "why-torchrandn784-256-is-wrong". Point each entry at the id the page really has, and give
    it the heading's text (tags dropped, as Material shows Markdown headings in the contents)."""
    headings = [(hid, re.sub(r"<[^>]+>", "", _ANCHOR_LINK.sub("", inner)).strip())
                for _, hid, inner in _HEADING.findall(html)]
    items, stack = [], list(reversed(page.toc.items))
    while stack:
        item = stack.pop()
        items.append(item)
        stack.extend(reversed(item.children))
    if len(items) != len(headings):
        raise PluginError(f"{page.file.src_uri} ({page.file.dest_uri}): {len(items)} contents entries "
                          f"{[item.title for item in items]} for {len(headings)} headings {headings}")
    for item, (heading_id, text) in zip(items, headings):
        item.id, item.title = heading_id, text


# After mkdocs-static-i18n's on_post_build (-100), inside which the other languages are built:
# the math assets are written once, by the outer build, for the formulas of every language.
@event_priority(-120)
def on_post_build(config) -> None:
    if _i18n(config).building:
        return  # an inner build (another language): the outer one finishes the site
    site = Path(config.site_dir)
    images = site / NOTEBOOK_IMAGES  # both languages' notebook images, collected in on_page_content
    images.mkdir(parents=True, exist_ok=True)
    for name, png in _notebook_images.items():
        (images / name).write_bytes(png)
    if _typesetter is not None:
        write_math_assets(site)


# ---------------------------------------------------------------------------------------------
# Math, typeset at build time

_typesetter: math.Typesetter | None = None


@event_priority(50)  # before the other hooks' on_post_page read the page
def on_post_page(output: str, page, config) -> str:
    global _typesetter
    if _typesetter is None:
        _typesetter = math.Typesetter()
    where = f"{page.file.src_uri} ({page.file.dest_uri})"
    notebook = page.file.src_uri.endswith(".ipynb")
    try:
        if notebook:
            output, count = math.typeset_dollars(output, _typesetter, where)
        else:
            output, count = math.typeset_arithmatex(output, _typesetter, where)
    except math.MathError as error:
        raise PluginError(str(error)) from None
    here = posixpath.dirname(page.file.dest_uri)
    stylesheets = ([NOTEBOOK_CSS] if notebook else []) + ([math.STYLESHEET] if count else [])
    links = "".join(f'<link rel="stylesheet" href="{posixpath.relpath(css, here)}">\n' for css in stylesheets)
    if count:
        # MathJax_Zero (under 1 kB) sets the line metrics of every formula: arriving after the first
        # layout, it moves every formula's glyphs, and the text around them, by a few pixels.
        zero = posixpath.relpath(f"{math.FONTS}/{math.METRICS_FONT}", here)
        links = f'<link rel="preload" href="{zero}" as="font" type="font/woff2" crossorigin>\n' + links
    return output.replace("</head>", links + "</head>", 1)


def write_math_assets(site: Path) -> None:
    """The stylesheet and the fonts of the formulas this build typeset; the cache for the next."""
    global _typesetter
    try:
        css = _typesetter.stylesheet()
        stylesheet = site / math.STYLESHEET
        stylesheet.parent.mkdir(parents=True, exist_ok=True)
        stylesheet.write_text(css, encoding="utf-8")
        fonts = site / math.FONTS
        fonts.mkdir(parents=True, exist_ok=True)
        for name, font in _typesetter.fonts(css).items():
            (fonts / name).write_bytes(font)
        _typesetter.save()
    finally:
        _typesetter.close()
        _typesetter = None


class PageFigures:
    """`figure` and `fig` for one page's template: the page's figures are numbered in the order
    its snippet's figures() draws them (the notebook's order), and must appear in that order."""

    def __init__(self, src_uri: str, lang: str):
        self.src_uri, self.lang = src_uri, lang
        self.own = posixpath.basename(src_uri).split(".")[0].replace("-", "_")  # initialization.zh.md
        self.shown: list[str] = []

    def order(self, snippet: str) -> list[str]:
        if snippet not in _outputs:
            raise PluginError(f"{self.src_uri}: no snippet '{snippet}'")
        return _outputs[snippet].manifest["figures"]

    def figure(self, snippet: str, name: str, alt: str, caller=None) -> str:
        """{% call figure("snippet", "name", "alt text") %}caption{% endcall %}"""
        figures = self.order(snippet)
        if name not in figures:
            raise PluginError(f"{self.src_uri}: no figure '{name}' in snippet '{snippet}' ({figures})")
        if caller is None:
            raise PluginError(f"{self.src_uri}: figure '{name}' has no caption: "
                              f'write {{% call figure("{snippet}", "{name}", "alt") %}}caption{{% endcall %}}')
        if snippet != self.own:
            raise PluginError(f"{self.src_uri}: figure '{name}' belongs to the page of snippet '{snippet}'")
        self.shown.append(name)
        if figures[:len(self.shown)] != self.shown:
            raise PluginError(f"{self.src_uri}: figures must appear in the order figures() draws them, "
                              f"{figures}; the page shows {self.shown}")
        return self.draw(snippet, name, alt, len(self.shown), caller())

    def draw(self, snippet: str, name: str, alt: str, number: int, caption: str) -> str:
        return figure_markdown(self.src_uri, self.lang, snippet, name, alt, number, caption)

    def fig(self, name: str) -> str:
        """A link to the page's figure NAME, by its number: [Figure 3](#fig-name)."""
        figures = self.order(self.own)
        if name not in figures:
            raise PluginError(f"{self.src_uri}: fig('{name}'): snippet '{self.own}' draws {figures}")
        return f"[{formats.figure_label(self.lang, figures.index(name) + 1)}](#{formats.figure_anchor(name)})"

    def check_all_shown(self) -> None:
        if self.shown and self.shown != self.order(self.own):
            raise PluginError(f"{self.src_uri}: shows figures {self.shown} of {self.order(self.own)}")


_finished_explorers: dict[tuple[str, str], tuple[dict, str]] = {}


def finished_explorer(snippet: str, stem: str) -> tuple[dict, str]:
    """Explorer `stem` (NAME_LANG) of a snippet as the page fetches it: (data, its JSON text)."""
    key = (_outputs[snippet].dir.name, stem)
    if key not in _finished_explorers:
        name, lang = stem.rsplit("_", 1)
        try:
            data = explorers.finish(name, _outputs[snippet].explorer(name, lang))
        except explorers.ExplorerError as error:
            raise PluginError(f"snippet '{snippet}': {error}") from None
        _finished_explorers[key] = data, explorers.to_json(data)
    return _finished_explorers[key]


def explorer_html(page, lang: str, name: str) -> str:
    """{{ explorer("depth") }}: the page's explorer NAME, from its own snippet's explorers()."""
    snippet = posixpath.basename(page.file.src_uri).split(".")[0].replace("-", "_")
    path = _outputs[snippet].dir / "explorers" / f"{name}_{lang}.json"
    if not path.exists():
        raise PluginError(f"{page.file.src_uri}: snippet '{snippet}' has no explorer '{name}' in '{lang}'")
    data, _ = finished_explorer(snippet, path.stem)
    url = posixpath.relpath(f"explorers/{snippet}/{path.name}", page.url or ".")
    script = posixpath.relpath("javascripts/explorer.js", page.url or ".")
    return explorers.html(data, url, script)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return markdown  # notebook pages are rendered by mkdocs-jupyter
    lang = page_language(page, config)

    figures = PageFigures(page.file.src_uri, lang)
    try:
        rendered = _template(page.file.src_uri, markdown).render(
            **_results, figure=figures.figure, fig=figures.fig, lang=lang,
            explorer=lambda name: explorer_html(page, lang, name), downloads=_downloads.get(lang))
        figures.check_all_shown()
        # result-first reading: long code blocks fold behind a summary (sitebuild/collapse.py)
        return collapse.collapse(rendered, lang, lambda name: _outputs[name].manifest["section_seconds"])
    except collapse.CollapseError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
    except PluginError:
        raise
    except Exception as error:  # undefined key, bad filter argument, arithmetic on the wrong type
        raise PluginError(f"{page.file.src_uri}: {type(error).__name__}: {error}") from None
