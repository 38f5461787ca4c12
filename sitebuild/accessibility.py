"""MkDocs hook: the few accessibility fixes that CSS cannot make (tests/test_accessibility.py runs
axe-core on every page and says which rule a change would break).

- Material's search overlay has role="dialog" but no accessible name (axe: aria-dialog-name).
- nbconvert's code cells, and code blocks in a notebook's Markdown cells, scroll sideways but
  cannot be reached by keyboard (axe: scrollable-region-focusable): they get tabindex="0", as
  Material gives its own code blocks.
- Figures scroll sideways at phone width (docs/stylesheets/extra.css) inside the wrapper that
  sitebuild/hook.py's figure markup gives them, and wide tables inside Material's scroll wrapper;
  docs/javascripts/figures.js makes either focusable only while it actually scrolls (that needs
  the layout, so it cannot be done here).

Each rewrite checks that the markup it expects is still there, so a Material or nbconvert update
that changes it fails the build instead of silently dropping the fix.
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError

SEARCH_LABEL = {"en": "Search", "zh": "搜索"}
_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
# nbconvert's class "highlight-ipynb", plus Material's "highlight" (sitebuild/hook.py's on_page_content)
_NOTEBOOK_CODE = re.compile(r'<div class="highlight highlight-ipynb hl-python">')
# A code block inside a notebook's Markdown cell (the Chinese notebook's font note).
_NOTEBOOK_MARKDOWN_CODE = '<div class="highlight"><pre>'


def on_post_page(output: str, page, config) -> str:
    lang = getattr(page.file, "locale", None) or "en"
    if output.count(_SEARCH_DIALOG) != 1:
        raise PluginError(f"{page.file.src_uri}: Material's search dialog markup changed")
    label = SEARCH_LABEL.get(lang, SEARCH_LABEL["en"])
    output = output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + f' aria-label="{label}">')
    if page.file.src_uri.endswith(".ipynb"):
        output, count = _NOTEBOOK_CODE.subn('<div class="highlight highlight-ipynb hl-python" tabindex="0">', output)
        if not count:
            raise PluginError(f"{page.file.src_uri}: nbconvert's code cell markup changed")
        output = output.replace(_NOTEBOOK_MARKDOWN_CODE, '<div class="highlight"><pre tabindex="0">')
    return output
