"""Link integrity of the built site: every internal link, image, script and stylesheet of every
page resolves to a file of the site, and every #fragment to an id on the target page. This covers
the language switcher, the notebook download buttons and links, and the absolute URLs under
`site_url` (canonical, hreflang alternates), which are checked against the local files.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from mkdocs.utils import get_build_date

from conftest import mkdocs_config
from sitebuild import seo

LOCAL = "http://site.invalid/"  # stands for the site's root while resolving relative URLs
URL_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src", "iframe": "src"}


def site_url() -> str:
    return mkdocs_config()["site_url"]


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        url = attrs.get(URL_ATTRS.get(tag, ""))
        if url:
            self.urls.append(url)


@functools.cache
def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def target_file(site_dir: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path).removeprefix("/")
    file = site_dir / path
    return file / "index.html" if path == "" or path.endswith("/") or file.is_dir() else file


def broken_links(site_dir: Path) -> list[str]:
    public = site_url()
    problems = []
    for html in sorted(site_dir.rglob("*.html")):
        here = LOCAL + html.relative_to(site_dir).as_posix()
        for raw in parse(html).urls:
            url = raw.replace(public, LOCAL, 1) if raw.startswith(public) else urljoin(here, raw)
            if not url.startswith(LOCAL):
                continue  # another host (https://arxiv.org/...): not ours to check offline
            target = target_file(site_dir, url.removeprefix(LOCAL.rstrip("/")))
            where = f"{html.relative_to(site_dir)}: {raw}"
            if not target.is_file():
                problems.append(f"{where} -> missing {target.relative_to(site_dir)}")
                continue
            fragment = unquote(urlsplit(url).fragment)
            if fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                problems.append(f"{where} -> no id '{fragment}' in {target.relative_to(site_dir)}")
    return problems


def test_every_internal_link_and_anchor_resolves(site):
    problems = broken_links(site.dir)
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:40])


def test_the_check_finds_a_broken_link_and_a_broken_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<h2 id="here">x</h2><a href="../b/">b</a><a href="#nowhere">n</a>')
    (tmp_path / "index.html").write_text('<a href="a/#here">ok</a><img src="missing.svg">')
    problems = broken_links(tmp_path)
    assert len(problems) == 3, problems
    assert any("missing b/index.html" in p for p in problems)
    assert any("no id 'nowhere'" in p for p in problems)
    assert any("missing missing.svg" in p for p in problems)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_language_switcher_makes_no_failed_request(browser, server, lang):
    """Material fetches sitemap.xml next to each hreflang alternate (sitebuild/seo.py)."""
    page = browser.new_page()
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    start, other = ("batch-norm/", "zh") if lang == "en" else ("zh/batch-norm/", "en")
    page.goto(server + start, wait_until="networkidle")
    page.hover(".md-header__option .md-select")
    page.locator(f'a.md-select__link[hreflang="{other}"]').click()
    page.wait_for_load_state("networkidle")
    target = "batch-norm/" if other == "en" else "zh/batch-norm/"
    assert page.url == server + target
    page.close()
    assert not failed, failed


def test_sitemap_lists_every_page_in_both_languages(site):
    """The site's sitemap.xml (mkdocs-static-i18n's) names every HTML page of the site, the
    generated notebook pages included, and each listed URL is a page of the built site."""
    public = site_url()
    listed = set(re.findall(r"<loc>(.*?)</loc>", (site.dir / "sitemap.xml").read_text(encoding="utf-8")))
    pages = {
        public + html.parent.relative_to(site.dir).as_posix().removeprefix(".") + ("/" if html.parent != site.dir else "")
        for html in site.dir.rglob("index.html")
    }
    assert listed == pages, f"missing: {sorted(pages - listed)[:5]}; not pages: {sorted(listed - pages)[:5]}"
    assert any("/zh/notebooks/" in url for url in listed)


def test_sitemap_dates_pages_by_the_last_commit_not_the_build(tmp_path, monkeypatch):
    """lastmod comes from SOURCE_DATE_EPOCH, which the hook sets to the checked-out commit's time."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x", "--date=2001-02-03T04:05:06Z"],
                   check=True, env={**os.environ, "GIT_COMMITTER_DATE": "2001-02-03T04:05:06Z"})
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    seo.on_config(SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml")))
    assert get_build_date() == "2001-02-03"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")  # a value already set wins
    seo.on_config(SimpleNamespace(config_file_path=str(tmp_path / "mkdocs.yml")))
    assert get_build_date() == "1970-01-02"
