"""mkdocs-jupyter's HTML of the notebook pages, kept across builds and made ahead, two at a time.

mkdocs-jupyter (0.26.3) converts each notebook page with nbconvert as the page is built, one after
another, 0.45 s a page, and keeps the result in `.cache/mkdocs-jupyter/KEY.json` (KEY: the
notebook's bytes and the plugin's options); after every build it deletes the entries that build did
not use. `keep_and_convert` does two things, through the plugin's own key function and cache
format:

- it marks every current notebook of every language as used, so that mkdocs-static-i18n's two
  builds (one per language) no longer delete each other's entries (each build converted all 28
  pages again: 13 s of a 19 s no-op build);
- it converts the pages whose entry is missing (a new clone, a changed snippet) before the pages
  are built, on both cores (the page build itself runs on one); the plugin then finds them as
  cache hits.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# The plugin's options that reach nbconvert, as its on_pre_page passes them (execute is separate).
NB2HTML_OPTIONS = (
    "kernel_name", "theme", "allow_errors", "show_input", "no_input", "no_prompt",
    "remove_tag_config", "highlight_extra_classes", "include_requirejs", "custom_mathjax_url",
)


def convert(path: str, execute: bool, options: dict, toc_depth: int) -> str:
    """One cache entry, as mkdocs-jupyter writes it on a cache miss (in a worker process)."""
    from mkdocs_jupyter import convert as nbconvert
    from mkdocs_jupyter.plugin import _get_nb_toc_tokens

    body = nbconvert.nb2html(path, execute=execute, **options)
    toc_tokens, title = _get_nb_toc_tokens(path, toc_depth)
    return json.dumps({"content": body, "toc_tokens": toc_tokens, "title": title})


def keep_and_convert(converter, notebooks: list[Path], jobs: int = 2) -> int:
    """Mark every notebook's entry as used and write the missing ones; returns how many."""
    from mkdocs_jupyter import plugin as jupyter

    config = converter.config
    missing = {}
    for path in notebooks:
        key = jupyter._compute_cache_key(str(path), config, config["execute"])
        entry = jupyter._get_cache_path(config["cache_dir"], key)
        converter._used_cache_paths.add(entry)
        if not entry.exists():
            missing[entry] = str(path)
    if not missing:
        return 0
    options = {name: config[name] for name in NB2HTML_OPTIONS}
    with ProcessPoolExecutor(max_workers=min(jobs, len(missing))) as pool:
        texts = pool.map(convert, missing.values(), [config["execute"]] * len(missing),
                         [options] * len(missing), [config["toc_depth"]] * len(missing))
        for entry, text in zip(missing, texts):
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_text(text, encoding="utf-8")
    return len(missing)
