"""The MkDocs hook: every generated thing enters the site here, and only here.

- on_pre_build: bring every snippet's outputs up to date (sitebuild.cache; a changed snippet
  reruns in a subprocess, an unchanged one costs a hash), then each language's notebooks
  (sitebuild.notebooks) and the archive of them (sitebuild.archive; rebuilt only when a notebook
  changed).
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

import posixpath
import re
from pathlib import Path

import jinja2
import mathjax
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from sitebuild import archive, cache, formats, notebooks

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
_notebooks: dict[str, dict[str, Path]] = {}  # {snippet: {lang: its notebook in that language}}
_archives: dict[str, archive.Archive] = {}  # {lang: the archive of that language's notebooks}
_downloads: dict[str, dict] = {}  # what `{{ downloads... }}` sees, per language


# ---------------------------------------------------------------------------------------------
# Snippet outputs


def on_pre_build(config) -> None:
    global _outputs, _results, _notebooks, _archives, _downloads
    try:
        _outputs = cache.ensure()
        _notebooks = notebooks.ensure(_outputs, config.site_url or "")
        _archives = {
            lang: archive.ensure({name: paths[lang] for name, paths in _notebooks.items()}, config.site_url or "", lang)
            for lang in _i18n(config).build_languages
        }
    except (cache.SnippetError, notebooks.NotebookError, archive.ArchiveError) as error:
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
    for item in MATHJAX_FILES:
        uri = "assets/mathjax/" + item.relative_to(MATHJAX_DIR).as_posix()
        files.append(File.generated(config, uri, abs_src_path=str(item)))
    for name, out in _outputs.items():
        for svg in out.figures():
            files.append(File.generated(config, f"figures/{name}/{svg.name}", abs_src_path=str(svg)))
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


def figure_markdown(page_src_uri: str, lang: str, snippet: str, name: str, alt: str,
                    number: int, caption: str) -> str:
    """A numbered figure with its caption: both theme variants of the image (Material's
    #only-light / #only-dark), then "Figure N." and the caption, in one <figure> that the prose
    links to as #fig-NAME."""
    here = posixpath.dirname(page_src_uri)
    lines = []
    for theme in ("light", "dark"):
        target = posixpath.relpath(f"figures/{snippet}/{name}_{lang}_{theme}.svg", here or ".")
        lines.append(f'![{alt}]({target}#only-{theme}){{ loading=lazy }}')
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
    html = _name_unnamed_headings(html)
    _match_toc_to_headings(page, html)
    return f'<link rel="stylesheet" href="{href}">\n{html}'


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


def on_post_build(config) -> None:
    if _notebook_css is not None:
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_notebook_css, encoding="utf-8")


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


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return markdown  # notebook pages are rendered by mkdocs-jupyter
    lang = getattr(page.file, "locale", None) or _i18n(config).default_language

    figures = PageFigures(page.file.src_uri, lang)
    try:
        rendered = _template(page.file.src_uri, markdown).render(
            **_results, figure=figures.figure, fig=figures.fig, lang=lang, downloads=_downloads.get(lang))
        figures.check_all_shown()
        return rendered
    except PluginError:
        raise
    except Exception as error:  # undefined key, bad filter argument, arithmetic on the wrong type
        raise PluginError(f"{page.file.src_uri}: {type(error).__name__}: {error}") from None
