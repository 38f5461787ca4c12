"""Build-speed benchmark (a command, not a test: this machine is shared and noisy).

    python -m sitebuild.bench [--skip-cold]

Times `mkdocs build` in four situations and reports which snippets each one reran:
cold (empty snippet cache), nothing changed, a prose edit, and an edit of one snippet.
Edits are appended comments, restored afterwards. Writes nothing else to the repository.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sitebuild import cache

ROOT = cache.ROOT


def build(site_dir: str) -> tuple[float, list[str]]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", site_dir],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(proc.stderr[-4000:])
    return seconds, re.findall(r"ran snippet '(\w+)'", proc.stderr)


@contextmanager
def appended(path: Path, text: str):
    original = path.read_bytes()
    path.write_bytes(original + text.encode())
    try:
        yield
    finally:
        path.write_bytes(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="keep the snippet cache")
    args = parser.parse_args()
    page = ROOT / "docs" / "index.md"
    snippet = cache.SNIPPETS_DIR / f"{cache.snippet_names()[0]}.py"
    with tempfile.TemporaryDirectory() as site:
        rows = []
        if not args.skip_cold:
            shutil.rmtree(cache.CACHE_DIR, ignore_errors=True)
            rows.append(("cold (no snippet cache)", *build(site)))
        else:
            build(site)  # make sure the cache is warm
        rows.append(("nothing changed", *build(site)))
        with appended(page, "\n<!-- bench -->\n"):
            rows.append((f"prose edit ({page.name})", *build(site)))
        with appended(snippet, "\n# bench\n"):
            rows.append((f"snippet edit ({snippet.name})", *build(site)))
        build(site)  # restore the cache entry of the unedited snippet
    print(f"{'situation':32s} {'seconds':>8s}  snippets rerun")
    for name, seconds, ran in rows:
        print(f"{name:32s} {seconds:8.1f}  {', '.join(ran) or '-'}")


if __name__ == "__main__":
    main()
