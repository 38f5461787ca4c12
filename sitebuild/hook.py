"""The MkDocs hook: every generated thing enters the site here, and only here.

- on_pre_build: bring every snippet's outputs up to date (sitebuild.cache; a changed snippet
  reruns in a subprocess, an unchanged one costs a hash), then the archive of all notebooks
  (sitebuild.archive; rebuilt only when a notebook changed).
- on_files (after mkdocs-static-i18n): add the generated files, which live outside docs/ so that
  `mkdocs serve` never rebuilds in a loop: figures, notebook downloads and their archive, MathJax,
  and one notebook page per snippet and language (see `notebook_page`).
- on_page_markdown: render `{{ ... }}` in Markdown pages with Jinja: the snippets' results
  (`{{ initialization.some_key | fixed(2) }}`), `{{ figure(snippet, name, alt) }}`, and
  `downloads` (the archive and its notebooks, for docs/downloads.md).
- on_page_content / on_post_build: notebook pages lose nbconvert's CDN scripts and share one
  stylesheet instead of inlining it.
"""

from __future__ import annotations

import math
import posixpath
import re
from pathlib import Path

import jinja2
import mathjax
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from sitebuild import archive, cache

log = get_plugin_logger("snippets")

MATHJAX_DIR = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
# The TeX input + CommonHTML output bundle, its web fonts, and the TeX extensions it autoloads.
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions"]
MATHJAX_FILES = sorted(
    path
    for part in MATHJAX_PARTS
    for path in [MATHJAX_DIR / part, *(MATHJAX_DIR / part).rglob("*")]
    if path.is_file()
)

_outputs: dict[str, cache.Outputs] = {}
_results: dict[str, dict] = {}  # what `{{ ... }}` sees: {snippet name: its results()}
_archive: archive.Archive | None = None
_downloads: dict[str, dict] = {}  # what `{{ downloads... }}` sees, per language


# ---------------------------------------------------------------------------------------------
# Snippet outputs


def on_pre_build(config) -> None:
    global _outputs, _results, _archive, _downloads
    try:
        _outputs = cache.ensure()
        _archive = archive.ensure(_outputs, config.site_url or "")
    except (cache.SnippetError, archive.ArchiveError) as error:
        raise PluginError(str(error)) from None
    _results = {name: out.results for name, out in _outputs.items()}
    _downloads = {lang: downloads_context(config, lang) for lang in _i18n(config).build_languages}
    for out in _outputs.values():
        if out.ran:
            log.info(f"ran snippet '{out.name}' in {out.manifest['seconds']} s")
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
    notebooks, listed = [], set()
    for page, title in pages.items():  # reading order
        name = page.removesuffix(".md").replace("-", "_")
        if name not in _outputs:
            continue
        listed.add(name)
        if lang != i18n.default_language and title not in translations:
            raise PluginError(f"mkdocs.yml: no '{lang}' title for '{title}' in nav_translations")
        notebooks.append({
            "slug": cache.slug(name),
            "title": translations.get(title, title),
            "size": _outputs[name].notebook.stat().st_size,
        })
    missing = sorted(set(_outputs) - listed)
    if missing:
        raise PluginError(f"mkdocs.yml: the nav has no page for snippet(s) {missing}")
    return {
        "size": _archive.size,
        "count": len(notebooks),
        "notebooks": notebooks,
        "python": f"Python {_archive.python}",
        "packages": archive.pip_packages(_archive.requirements),
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


def notebook_page(config, name: str, lang: str) -> NotebookPage:
    i18n = _i18n(config)
    page = NotebookPage.generated(
        config, f"notebooks/{cache.slug(name)}.ipynb", abs_src_path=str(_outputs[name].notebook)
    )
    if lang != i18n.default_language:
        page.dest_uri = f"{lang}/{page.dest_uri}"
    page.locale = page.locale_alternate_of = lang
    page.localization = None if lang == i18n.default_language else lang
    page.norm_src_uri = page.src_uri
    return page


@event_priority(-110)  # after mkdocs-static-i18n (-100), which would drop these files
def on_files(files: Files, config) -> Files:
    lang = _i18n(config).current_language
    for item in MATHJAX_FILES:
        uri = "assets/mathjax/" + item.relative_to(MATHJAX_DIR).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(item)))
    for name, out in _outputs.items():
        for svg in out.figures():
            files.append(File.generated(config, f"figures/{name}/{svg.name}", abs_src_path=str(svg)))
        download = f"downloads/{cache.slug(name)}.ipynb"
        files.append(File.generated(config, download, abs_src_path=str(out.notebook)))
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
    files.append(File.generated(config, f"downloads/{archive.ARCHIVE}", abs_src_path=str(_archive.path)))
    return files


# ---------------------------------------------------------------------------------------------
# Numbers and figures in Markdown


def _fixed(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sci(value: float, digits: int = 1) -> str:
    """3.2×10⁻⁵ (plain text, so it reads the same in prose, tables and search)."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits}f}×10{str(exponent).translate(_SUPERSCRIPT)}"


def _filesize(size: int) -> str:
    """A byte count as readers see it in a file manager: 436 kB, 4.6 MB (SI units)."""
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} kB"


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
_env = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.DictLoader(_page_sources), jinja2.FileSystemLoader(PARTIALS_DIR)]),
    bytecode_cache=jinja2.FileSystemBytecodeCache(str(JINJA_CACHE)),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)
_env.filters.update(fixed=_fixed, pct=_pct, sci=_sci, filesize=_filesize)


def _template(src_uri: str, markdown: str) -> jinja2.Template:
    _page_sources[src_uri] = markdown  # DictLoader reloads a page whose text changed
    return _env.get_template(src_uri)


def figure_markdown(page_src_uri: str, lang: str, snippet: str, name: str, alt: str) -> str:
    """Both theme variants of a figure, for Material's #only-light / #only-dark."""
    here = posixpath.dirname(page_src_uri)
    lines = []
    for theme in ("light", "dark"):
        target = posixpath.relpath(f"figures/{snippet}/{name}_{lang}_{theme}.svg", here or ".")
        lines.append(f'![{alt}]({target}#only-{theme}){{ loading=lazy }}')
    # A wrapper of its own (md_in_html), with blank lines around: a caption on the next line
    # becomes its own paragraph, and at phone width the wrapper scrolls sideways
    # (docs/stylesheets/extra.css) and becomes keyboard-focusable (docs/javascripts/figures.js).
    return '\n\n<div class="n01-figure" markdown>\n\n' + "\n".join(lines) + "\n\n</div>\n\n"


# nbconvert's page template loads MathJax 2 and mermaid from CDNs. The site already serves
# MathJax 3 (which also typesets notebook Markdown), and no notebook has a mermaid diagram.
_NOTEBOOK_CDN_BLOCKS = [
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?</script>', re.S),
]


# nbconvert also inlines ~600 kB of notebook CSS into every notebook page. It is the same for
# every notebook, so it moves to one cached stylesheet (faster pages, and a faster search index).
_INLINE_CSS = re.compile(r'<style type="text/css">(.*?)</style>', re.S)
NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
_notebook_css: str | None = None

# Pygments wraps every name in <span class="n">, which no stylesheet colours in notebook code
# (tests/test_site.py checks): a quarter of a notebook page's elements, for nothing but weight,
# and for axe-core's colour-contrast check, which visits each of them.
_PLAIN_NAME = re.compile(r'<span class="n">([^<]*)</span>')


def on_page_content(html: str, page, config, files) -> str:
    global _notebook_css
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    for block in _NOTEBOOK_CDN_BLOCKS:
        html, count = block.subn("", html)
        if count != 1:
            raise PluginError(f"{page.file.src_uri}: nbconvert's template changed: {block.pattern[:40]!r}")
    # The reason page already holds the notebook's code and prose: keep search results single.
    page.meta["search"] = {"exclude": True}
    css = "\n".join(_INLINE_CSS.findall(html))
    if _notebook_css not in (None, css):
        raise PluginError(f"{page.file.src_uri}: notebook pages differ in their inline CSS")
    _notebook_css = css
    href = posixpath.relpath(NOTEBOOK_CSS, posixpath.dirname(page.file.dest_uri))
    html = _PLAIN_NAME.sub(r"\1", _INLINE_CSS.sub("", html))
    _match_toc_to_headings(page, html)
    return f'<link rel="stylesheet" href="{href}">\n{html}'


_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)
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
        raise PluginError(f"{page.file.src_uri}: {len(items)} contents entries for {len(headings)} headings")
    for item, (heading_id, text) in zip(items, headings):
        item.id, item.title = heading_id, text


def on_post_build(config) -> None:
    if _notebook_css is not None:
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_notebook_css, encoding="utf-8")


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return markdown  # notebook pages are rendered by mkdocs-jupyter
    lang = getattr(page.file, "locale", None) or _i18n(config).default_language

    def figure(snippet: str, name: str, alt: str) -> str:
        svg = f"{name}_{lang}_light.svg"
        if snippet not in _outputs or not (_outputs[snippet].dir / "figures" / svg).exists():
            raise PluginError(f"{page.file.src_uri}: no figure '{name}' in snippet '{snippet}'")
        return figure_markdown(page.file.src_uri, lang, snippet, name, alt)

    try:
        return _template(page.file.src_uri, markdown).render(**_results, figure=figure, lang=lang, downloads=_downloads.get(lang))
    except PluginError:
        raise
    except Exception as error:  # undefined key, bad filter argument, arithmetic on the wrong type
        raise PluginError(f"{page.file.src_uri}: {type(error).__name__}: {error}") from None
