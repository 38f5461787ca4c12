"""MkDocs hook: language alternates that search engines and Material's language selector can use.

- mkdocs-static-i18n writes each page's `<link rel="alternate" hreflang>` relative to the page
  ("../../batch-norm/"); search engines want absolute URLs, so they are made absolute from
  `site_url`, plus an `x-default` pointing to the English page.
- Material's JavaScript fetches `sitemap.xml` next to every alternate URL of the page
  (`new URL("sitemap.xml", alternate)`) to map the page between languages. With per-page
  alternates that is `<page>/sitemap.xml`, which does not exist: two 404s on every page view.
  So each page gets, next to it, a sitemap.xml holding only its own entry and alternates. (The
  site's own sitemap.xml, from mkdocs-static-i18n, already lists absolute alternates per page.)
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import urljoin

_ALTERNATE = re.compile(r'<link rel="alternate" href="([^"]+)" hreflang="([\w-]+)">')


def on_post_page(output: str, page, config) -> str:
    if not config.site_url:
        return output
    here = urljoin(config.site_url, page.url)
    links = list(_ALTERNATE.finditer(output))
    if not links:
        return output
    alternates = [(m.group(2), urljoin(here, m.group(1))) for m in links]
    alternates += [("x-default", href) for lang, href in alternates if lang == "en"]
    tags = [f'<link rel="alternate" href="{href}" hreflang="{lang}">' for lang, href in alternates]
    _write_page_sitemap(Path(config.site_dir), page.file.dest_uri, here, alternates)
    start, end = links[0].start(), links[-1].end()
    return output[:start] + "\n    ".join(tags) + output[end:]


def _write_page_sitemap(site_dir: Path, dest_uri: str, url: str, alternates) -> None:
    """`<page>/sitemap.xml` with this page's entry, which is all Material's selector reads."""
    folder = posixpath.dirname(dest_uri)
    if not folder:
        return  # the site's root: mkdocs-static-i18n's own sitemap.xml is there
    links = "".join(
        f'\n    <xhtml:link rel="alternate" hreflang="{lang}" href="{href}"/>' for lang, href in alternates
    )
    target = site_dir / folder / "sitemap.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
        f"  <url>\n    <loc>{url}</loc>{links}\n  </url>\n</urlset>\n",
        encoding="utf-8",
    )
