"""The strictly built site: both languages, every figure variant, notebook pages, no third party."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from conftest import DOCS, FIGURE, HAN, LANGS, english_pages, mkdocs_config, prose_text, twin
from sitebuild import cache, style

# Tags whose URL the browser fetches by itself (a plain <a href> is only a link to follow).
FETCHED = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*?\s(?:src|srcset|data)=[\"']?\s*(?:https?:)?//",
    re.I,
)
LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
# <link rel=canonical/alternate> only names a URL; these make the browser fetch it.
FETCHING_RELS = {"stylesheet", "preload", "prefetch", "modulepreload", "icon", "manifest", "preconnect"}
CSS_REMOTE = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"']?)(?:https?:)?//", re.I)
JS_REMOTE_IMPORT = re.compile(r"import\(\s*[\"'](?:https?:)?//", re.I)


def page_url(page: Path, lang: str) -> str:
    """Directory URL of a page: docs/initialization.md -> initialization/, zh/initialization/."""
    rel = page.relative_to(DOCS).with_suffix("").as_posix()
    rel = "" if rel == "index" else rel.removesuffix("/index") + "/"
    return rel if lang == "en" else f"{lang}/{rel}"


def test_strict_build_logs_no_warning(site):
    assert "WARNING" not in site.log, site.log


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_built_in_its_language(site, lang):
    for page in english_pages():
        html = site.html(page_url(page, lang))
        assert f'<html lang="{lang}"' in html, f"{page_url(page, lang)} is not marked as {lang}"
        assert "{{" not in html.split('<article', 1)[1].split("</article>", 1)[0], (
            f"{page_url(page, lang)}: an unrendered {{{{ ... }}}} reached the page"
        )


def test_every_figure_exists_in_both_themes_and_languages(site):
    checked = 0
    for page in english_pages():
        for lang in LANGS:
            html = site.html(page_url(page, lang))
            for snippet, name in FIGURE.findall(twin(page, lang).read_text(encoding="utf-8")):
                for theme in style.THEMES:
                    svg = f"figures/{snippet}/{name}_{lang}_{theme}.svg"
                    assert (site.dir / svg).is_file(), f"{svg} is missing from the site"
                    assert re.search(rf'src="[./]*{re.escape(svg)}#only-{theme}"', html), (
                        f"{page_url(page, lang)} does not show {svg} for the {theme} scheme"
                    )
                    checked += 1
    assert checked, "no figure on any page"


def test_figures_stand_in_their_own_paragraph(site):
    """A caption written on the line after figure(...) must not flow beside the image."""
    for page in english_pages():
        for lang in LANGS:
            html = site.html(page_url(page, lang))
            for para in re.findall(r"<p>(.*?)</p>", html, re.S):
                if "#only-light" in para or "#only-dark" in para:
                    text = re.sub(r"<img\b[^>]*>", "", para).strip()
                    assert not text, f"{page_url(page, lang)}: text beside a figure: {text[:80]!r}"


def test_chinese_figures_carry_chinese_labels(site):
    """CI has the CJK font, so a Chinese figure must differ from its English twin."""
    assert style.has_cjk_font(), f"install {style.CJK_PACKAGE}: the Chinese figures need it"
    for svg in (site.dir / "figures").rglob("*_zh_light.svg"):
        english = svg.with_name(svg.name.replace("_zh_", "_en_"))
        assert svg.read_bytes() != english.read_bytes(), f"{svg.name} has no Chinese labels"


@pytest.mark.parametrize("name", cache.snippet_names())
def test_notebook_contents_name_every_heading_as_it_reads(site, name):
    """The notebook page's table of contents lists each section heading with its full text
    (inline code included) and links to that heading's id."""
    html = site.html(f"notebooks/{cache.slug(name)}/")
    headings = [
        (hid, re.sub(r"<[^>]+>", "", re.sub(r'<a class="anchor-link".*?</a>', "", inner)).strip())
        for level, hid, inner in re.findall(r'<h([2-6]) id="([^"]+)">(.*?)</h\1>', html, re.S)
    ]
    toc = html[html.index('class="md-nav md-nav--secondary"'):]
    toc = toc[: toc.index("</nav>")]
    entries = re.findall(r'href="#([^"]+)"[^>]*>\s*<span class="md-ellipsis">\s*(.*?)\s*</span>', toc, re.S)
    assert entries == headings


@pytest.mark.parametrize("name", cache.snippet_names())
def test_notebook_pages_render_in_both_languages(site, name):
    """Guards against ultrabug/mkdocs-static-i18n#198: with i18n, mkdocs-jupyter pages show raw
    notebook JSON, or one language's build overwrites the other's page."""
    slug = cache.slug(name)
    pages = {lang: site.html(f"notebooks/{slug}/" if lang == "en" else f"{lang}/notebooks/{slug}/") for lang in LANGS}
    for lang, html in pages.items():
        assert f'<html lang="{lang}"' in html, f"{lang} notebook page has the wrong language"
        assert "jupyter-wrapper" in html and "jp-CodeCell" in html, f"{lang} notebook is not rendered"
        assert '"cell_type"' not in html, f"{lang} notebook page shows raw JSON"
        assert "jp-OutputArea-output" in html, f"{lang} notebook page has no outputs"
    # each language's switcher points at the other language's notebook page
    en_links = re.findall(r'href="([^"]+)" hreflang="zh"', pages["en"])
    zh_links = re.findall(r'href="([^"]+)" hreflang="en"', pages["zh"])
    assert en_links and en_links[0].rstrip("/").endswith(f"zh/notebooks/{slug}")
    assert zh_links and zh_links[0].rstrip("/").endswith(f"notebooks/{slug}")
    assert "/zh/" not in zh_links[0]
    # the download: a valid, executed notebook, linked from the notebook page
    for lang in LANGS:
        prefix = "" if lang == "en" else f"{lang}/"
        nb = nbformat.read(site.dir / f"{prefix}notebooks/{slug}/{name}.ipynb", as_version=4)
        assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
        assert f'href="/{prefix}notebooks/{slug}/{name}.ipynb" download' in pages[lang]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", cache.snippet_names())
def test_reason_page_links_its_notebook(site, name, lang):
    slug = cache.slug(name)
    page = DOCS / f"{slug}.md"
    html = site.html(page_url(page, lang))
    assert re.search(rf'href="(\.\./)*notebooks/{slug}/"', html), f"{page_url(page, lang)} has no notebook link"
    assert re.search(rf'href="(\.\./)*downloads/{slug}\.ipynb"', html), f"{page_url(page, lang)} has no download"
    # the link resolves in the page's own language: zh/putting-it-together/ -> zh/downloads/
    assert (site.dir / ("" if lang == "en" else f"{lang}/") / "downloads" / f"{slug}.ipynb").is_file()


def test_no_third_party_requests_in_the_built_site(site):
    offenders = []
    for path in site.dir.rglob("*"):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(site.dir)}: {m}" for m in FETCHED.findall(text)]
            offenders += [f"{path.relative_to(site.dir)}: {m}" for m in JS_REMOTE_IMPORT.findall(text)]
            for tag in LINK_TAG.findall(text):
                rel = re.search(r'rel="([^"]*)"', tag)
                rels = set(rel.group(1).lower().split()) if rel else set()
                if rels & FETCHING_RELS and re.search(r'href="(?:https?:)?//', tag):
                    offenders.append(f"{path.relative_to(site.dir)}: {tag}")
        elif path.suffix == ".css":
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(site.dir)}: {m}" for m in CSS_REMOTE.findall(text)]
    assert not offenders, "\n".join(offenders[:20])


def test_each_language_has_its_own_search_index(site):
    """sitebuild/search.py: English pages search the English index, Chinese pages the Chinese one."""
    indexes = {lang: json.loads((site.dir / prefix / "search" / "search_index.json").read_text(encoding="utf-8"))
               for lang, prefix in [("en", ""), ("zh", "zh")]}
    for lang, index in indexes.items():
        assert "\\u200b" in index["config"]["separator"]  # the regex escape, as written in mkdocs.yml
        locations = [doc["location"] for doc in index["docs"]]
        assert "initialization/" in locations and not any(loc.startswith("zh/") for loc in locations)
        text = " ".join(doc["title"] + doc["text"] for doc in index["docs"])
        has_han = re.search(r"[\u4e00-\u9fff]", text) is not None
        assert has_han == (lang == "zh"), f"the {lang} index holds {'no ' if lang == 'zh' else ''}Chinese"
    chinese = " ".join(doc["text"] for doc in indexes["zh"]["docs"])
    assert "\u200b" in chinese, "Chinese text was not segmented by jieba"
    # the bibliographies are left out; the prose still cites the same authors by name
    for index in indexes.values():
        assert not any(doc["location"].endswith("#sources") for doc in index["docs"])
    assert "Szegedy 2015" in " ".join(doc["text"] for doc in indexes["en"]["docs"])
    assert len(indexes["en"]["docs"]) == len(indexes["zh"]["docs"])  # same pages, same sections


@pytest.mark.parametrize(("url", "base"), [("zh/", "."), ("zh/initialization/", ".."),
                                           ("initialization/", ".."), ("", ".")])
def test_pages_search_their_own_language(site, url, base):
    """Material fetches search/search_index.json under its config's "base": the language's root."""
    config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', site.html(url), re.S)
    assert json.loads(config[1])["base"] == base


def test_the_404_page_speaks_both_languages(site):
    html = (site.dir / "404.html").read_text(encoding="utf-8")
    article = html.split("<article", 1)[1]
    assert 'lang="en"' in article and "Page not found" in article
    assert 'lang="zh-Hans"' in article and "页面不存在" in article
    home = mkdocs_config()["site_url"]
    assert f'href="{home}"' in article and f'href="{home}zh/"' in article


def test_an_english_reader_meets_no_chinese(site):
    """Outside the language switcher (and the 404 page, which serves both), the English edition
    is English: pages, notebook pages, their navigation and their titles. Code is shared by both
    editions, so code blocks are not read (conftest.prose_text)."""
    offenders = []
    for html_file in sorted(site.dir.rglob("*.html")):
        rel = html_file.relative_to(site.dir).as_posix()
        if rel.startswith("zh/") or rel == "404.html":
            continue
        html = html_file.read_text(encoding="utf-8")
        html = re.sub(r'<div class="md-select">.*?</div>', "", html, flags=re.S)  # the language switcher
        html = re.sub(r'<link rel="alternate"[^>]*>', "", html)
        text = prose_text(re.sub(r"<script.*?</script>", " ", html, flags=re.S))
        found = re.findall(rf"{HAN.pattern}+", text)
        if found:
            offenders.append(f"{rel}: {found[:5]}")
    assert not offenders, "Chinese in the English edition:\n" + "\n".join(offenders)


def test_material_bundle_is_deferred_and_exists(site):
    """overrides/main.html names Material's bundle by its hashed file name, to defer it: a
    Material update that renames the bundle must fail here, not leave pages without JavaScript."""
    for path in ("", "zh/edge-of-chaos/", "notebooks/edge-of-chaos/"):
        html = site.html(path)
        scripts = re.findall(r'<script src="([^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js)"( defer)?>', html)
        assert len(scripts) == 1 and scripts[0][1] == " defer", scripts
        assert (site.dir / re.sub(r"^(\.\./)+", "", scripts[0][0])).is_file()


def test_notebook_pages_of_both_languages_stay_converted(site):
    """mkdocs-jupyter's cache keeps one entry per notebook page it converted, and deletes after
    each build what that build did not use; each language is a build of its own
    (sitebuild/hook.py, keep_notebook_conversions): without care, each deleted the other's, and
    every build converted all notebook pages again."""
    pages = list(site.dir.glob("notebooks/*/index.html")) + list(site.dir.glob("zh/notebooks/*/index.html"))
    entries = list((cache.ROOT / ".cache" / "mkdocs-jupyter").glob("*.json"))
    assert len(pages) == 2 * len(cache.snippet_names())
    assert len(entries) == len(pages), f"{len(entries)} cached conversions for {len(pages)} notebook pages"


def test_build_log_is_a_handful_of_lines_besides_snippet_progress(site):
    """Per-file chatter (mkdocs-jupyter's per-notebook lines, jieba's dictionary, every Chinese
    config value mkdocs-static-i18n sets) stays out of a normal build's log: sitebuild/hook.py,
    quiet_libraries. Snippet progress lines ("snippets: [3/14] name 12.3 s") may come before."""
    lines = [line for line in site.log.splitlines() if line.strip()]
    others = [line for line in lines if "snippets: " not in line]
    for chatter in ("Converting notebook", "Cache hit", "Copied jupyter file", "Prefix dict", "Overriding"):
        assert not any(chatter in line for line in lines), f"{chatter!r} in the build log"
    assert len(others) <= 8, "\n".join(others)


def test_mkdocs_serve_reuses_the_built_notebooks(site, monkeypatch):
    """`mkdocs serve` sets site_url to its own address. The notebooks (downloads, and the source of
    the notebook pages) carry the published one all the same, so a serve start reuses the
    notebooks and their converted pages of the last build instead of making all 28 again
    (sitebuild/hook.py, on_pre_build)."""
    from mkdocs.config import load_config

    from sitebuild import notebooks

    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(cache.ROOT / "mkdocs.yml"))
    config.site_url = "http://127.0.0.1:8000/"  # what `mkdocs serve` sets
    config.plugins.on_startup(command="serve", dirty=False)
    config = config.plugins.on_config(config)
    config.plugins.on_pre_build(config=config)
    built = config.plugins["sitebuild/hook.py"]._notebooks
    published = f"notebooks-{notebooks._key(notebooks.site_url())}"
    paths = [path for languages in built.values() for path in languages.values()]
    assert len(paths) == 2 * len(cache.snippet_names())
    assert all(published in str(path) and path.exists() for path in paths)
