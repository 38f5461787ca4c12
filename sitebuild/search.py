"""MkDocs hook: one search index per language.

mkdocs-static-i18n (1.3) stacks the search entries of every language build into the one
`search/search_index.json` that Material's search worker fetches from `config.base`, the site's
root. An English search then lists Chinese pages and the other way round, and every first visit
downloads both languages. This hook

- splits that index after the plugin has written it: English entries stay in
  `search/search_index.json`, Chinese ones go to `zh/search/search_index.json` with their
  locations made relative to `zh/`;
- leaves out each page's Sources section (`#sources`): a bibliography of titles and addresses, 13 %
  of the compressed index, whose authors the prose cites by name anyway; the index is the largest
  download of every page (CONTRIBUTING, "Page weight");
- points each Chinese page's Material config (`<script id="__config">`, key "base") at `zh/`, so
  its search worker fetches the Chinese index and its result links resolve under `zh/`.

Material uses "base" only for the search index and result links here (no instant navigation, no
version selector). Each rewrite checks that the markup it expects is there, so a Material or
mkdocs-static-i18n update that changes it fails the build instead of mixing the languages again.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

DEFAULT = "en"
INDEX = Path("search") / "search_index.json"
SOURCES = "sources"  # the anchor of every page's bibliography
_CONFIG_BASE = re.compile(r'(<script id="__config" type="application/json">\{"annotate": null, "base": ")([./]+)(")')


def language_base(base: str) -> str:
    """The root of the page's language: one level below the site's root ("../.." -> "..")."""
    parts = base.split("/")
    if any(part != ".." for part in parts):
        raise PluginError(f"unexpected Material base {base!r}")
    return "/".join(parts[:-1]) or "."


@event_priority(-110)  # after mkdocs-static-i18n (-100), which writes the pages of every language
def on_post_page(output: str, page, config) -> str:
    lang = getattr(page.file, "locale", None) or DEFAULT
    if lang == DEFAULT:
        return output
    output, count = _CONFIG_BASE.subn(lambda m: m[1] + language_base(m[2]) + m[3], output)
    if count != 1:
        raise PluginError(f"{page.file.src_uri}: Material's __config markup changed")
    return output


def split_index(site_dir: Path, langs: list[str]) -> dict[str, int]:
    """Write one index per language from the stacked one; returns the number of entries of each.
    Does nothing to an index that holds one language only (an inner build, or already split)."""
    path = site_dir / INDEX
    if not path.exists():
        return {}
    index = json.loads(path.read_text(encoding="utf-8"))
    prefixes = {lang: f"{lang}/" for lang in langs if lang != DEFAULT}
    by_lang = {lang: [] for lang in langs}
    for doc in index["docs"]:
        if doc["location"].endswith("#" + SOURCES):
            continue
        lang = next((l for l, p in prefixes.items() if doc["location"].startswith(p)), DEFAULT)
        if lang != DEFAULT:
            doc = {**doc, "location": doc["location"][len(prefixes[lang]):]}
        by_lang[lang].append(doc)
    if sum(bool(docs) for docs in by_lang.values()) < 2:
        return {}
    for lang, docs in by_lang.items():
        target = site_dir / (INDEX if lang == DEFAULT else Path(lang) / INDEX)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Material's compact separators; UTF-8 rather than \u escapes (the Chinese index is a
        # third smaller, 9 % smaller compressed)
        text = json.dumps({"config": index["config"], "docs": docs}, separators=(",", ":"),
                          ensure_ascii=False)
        target.write_text(text, encoding="utf-8")
    return {lang: len(docs) for lang, docs in by_lang.items()}


@event_priority(-110)  # after mkdocs-static-i18n's on_post_build, which writes the stacked index
def on_post_build(config) -> None:
    i18n = config.plugins.get("i18n")
    langs = [lang.locale for lang in i18n.config.languages if lang.build] if i18n else [DEFAULT]
    split_index(Path(config.site_dir), langs)
