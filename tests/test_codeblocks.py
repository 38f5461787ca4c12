"""Every Python block a reader can copy, on every page in both languages, runs as shown, alone,
in a fresh interpreter. pytest-codeblocks reads raw Markdown, so the pymdownx.snippets includes
are expanded first, with the same extension and settings the site uses."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import markdown
import pytest
import yaml
from pytest_codeblocks import extract_from_buffer

from conftest import DOCS, LANGS, ROOT, english_pages, twin


def snippet_settings() -> dict:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for extension in config["markdown_extensions"]:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            settings = dict(extension["pymdownx.snippets"])
            settings["base_path"] = [str(ROOT / p) for p in settings["base_path"]]
            return settings
    raise AssertionError("mkdocs.yml does not configure pymdownx.snippets")


def expand_includes(text: str) -> str:
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": snippet_settings()})
    return "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def python_blocks() -> list:
    """(code, where) for each distinct Python block; `where` lists every page showing it."""
    seen: dict[str, list[str]] = {}
    for page in english_pages():
        for lang in LANGS:
            path = twin(page, lang)
            if not path.exists():
                continue  # test_parity names the missing page
            text = expand_includes(path.read_text(encoding="utf-8"))
            for block in extract_from_buffer(io.StringIO(text)):
                if block.syntax in ("python", "py"):
                    seen.setdefault(block.code, []).append(f"{path.relative_to(DOCS)}:{block.lineno}")
    return [pytest.param(code, where, id=where[0]) for code, where in seen.items()]


def test_blocks_were_found():
    assert python_blocks(), "no Python code block on any page"


@pytest.mark.parametrize(("code", "where"), python_blocks())
def test_block_runs_alone(code, where, tmp_path):
    assert "--8<--" not in code, f"{where}: an include was not expanded"
    for private in ("snippets", "sitebuild"):
        assert f"import {private}" not in code and f"from {private}" not in code, (
            f"{where}: a reader's copy cannot import the site's own package '{private}'"
        )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{where} fails when run alone:\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{where} prints nothing: a reader copying it sees no result"
