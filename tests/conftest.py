"""Shared fixtures: the built site (one strict build per test session), a local HTTP server for it,
and a headless Chromium for the browser tests."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitebuild import chromium

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGS = ("en", "zh")


# `{{ figure("snippet", "name", "alt") }}` in a page: (snippet, name)
FIGURE = re.compile(r"""figure\(\s*["'](\w+)["']\s*,\s*["']([\w-]+)["']""")
HAN = re.compile(r"[\u4e00-\u9fff]")  # Chinese characters (not CJK punctuation)
# Code is shared by both editions (a snippet's LABELS hold the Chinese figure labels), so a test of
# a page's language reads its text without <pre> blocks and without the plain copy of each code cell
# that mkdocs-jupyter keeps for its copy button.
_CODE_AND_TAGS = re.compile(r'<pre.*?</pre>|<div class="clipboard-copy-txt".*?</div>|<[^>]+>', re.S)


def prose_text(html: str) -> str:
    return _CODE_AND_TAGS.sub(" ", html)


def mkdocs_config() -> dict:
    """mkdocs.yml as plain strings and lists (BaseLoader: its `!!python` tags stay unresolved)."""
    import yaml

    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def english_pages() -> list[Path]:
    """Every English Markdown page (`page.md`; its Chinese twin is `page.zh.md`)."""
    return sorted(p for p in DOCS.rglob("*.md") if not p.name.endswith(".zh.md"))


def twin(page: Path, lang: str) -> Path:
    return page if lang == "en" else page.with_name(page.stem + f".{lang}.md")


@dataclass
class BuiltSite:
    dir: Path
    log: str

    def html(self, url_path: str) -> str:
        """Text of the page at `url_path` (e.g. "zh/initialization/")."""
        return (self.dir / url_path / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> BuiltSite:
    """`mkdocs build --strict` of the repository, as a reader would run it."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    return BuiltSite(out, proc.stderr)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def server(site):
    """The built site on http://127.0.0.1:PORT/ (the site's own root, like GitHub Pages)."""
    handler = functools.partial(_QuietHandler, directory=str(site.dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    executable = chromium.find()
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=chromium.ARGS)
        except Exception as error:  # no browser at all on this machine
            if os.environ.get("CI"):
                raise
            pytest.skip(
                "no Chromium found: install Debian's `chromium` (apt-get install chromium) "
                f"or run `playwright install chromium` ({error.__class__.__name__})"
            )
        yield browser
        browser.close()


def built_results(name: str) -> dict:
    """The numbers the site shows: the build's cached run of snippets/<name>.py (run now if stale).

    The snippet tests check these rather than a second run in the test process: they then check
    exactly the page's numbers, and CI does not run every experiment twice."""
    from sitebuild import cache

    return cache.ensure([name])[name].results


def built_explorer(name: str, explorer: str, lang: str = "en") -> dict:
    """Explorer EXPLORER of snippets/<name>.py as the build's run returned it (sitebuild.explorers):
    the values an explorer shows, for the snippet's tests to check against theory."""
    from sitebuild import cache

    return cache.ensure([name])[name].explorer(explorer, lang)


def explorer_states(spec: dict) -> dict[str, dict]:
    """The explorer's states by their settings, "tanh|3" (sitebuild.explorers.state_key)."""
    from sitebuild import explorers

    return {explorers.state_key(spec, state["controls"]): state for state in spec["states"]}


@pytest.fixture
def site_copy(tmp_path):
    """A copy of the site whose docs/ a test may edit (code and config are linked, not copied), and
    a function that builds it strictly into tmp_path/site and returns the finished process."""
    for name in ("sitebuild", "snippets", "partials", "overrides", "mkdocs.yml"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    # mkdocs-jupyter keeps its converted notebook pages under the working directory: a copy of
    # them spares each build 28 conversions (its notebooks are the checkout's, from the same
    # snippet cache), and a copy, not a link, since each build evicts the entries it did not use.
    converted = ROOT / ".cache" / "mkdocs-jupyter"
    if converted.is_dir():
        shutil.copytree(converted, tmp_path / ".cache" / "mkdocs-jupyter")

    def build() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )

    build.docs = tmp_path / "docs"
    build.site = tmp_path / "site"
    return build
