"""MkDocs hook: language alternates that search engines and Material's language selector can use.

- mkdocs-static-i18n writes each page's `<link rel="alternate" hreflang>` relative to the page
  ("../../batch-norm/"); search engines want absolute URLs, so they are made absolute from
  `site_url`, plus an `x-default` pointing to the English page.
- Material's JavaScript fetches `sitemap.xml` next to every alternate URL of the page
  (`new URL("sitemap.xml", alternate)`) to map the page between languages. With per-page
  alternates that is `<page>/sitemap.xml`, which does not exist: two 404s on every page view.
  So each page gets, next to it, a sitemap.xml holding only its own entry and alternates. (The
  site's own sitemap.xml, from mkdocs-static-i18n, already lists absolute alternates per page.)
- Every sitemap entry carries a `lastmod`, which MkDocs sets to the build date: the site's bytes
  would change every day, and search engines would be told every page changed. It becomes the
  date of the last commit (SOURCE_DATE_EPOCH, which MkDocs honours; a value already set wins).
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from pathlib import Path
from urllib.parse import urljoin


def last_commit_epoch(repository: Path) -> str | None:
    """Unix time of the checked-out commit, or None outside a git checkout."""
    try:
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=repository, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return proc.stdout.strip() or None


def on_config(config):
    if "SOURCE_DATE_EPOCH" not in os.environ:
        epoch = last_commit_epoch(Path(config.config_file_path).parent)
        if epoch:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    return config


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
