"""Every Python block a reader can copy, on every page in both languages, runs as shown, alone,
in a fresh interpreter. pytest-codeblocks reads raw Markdown, so the pymdownx.snippets includes
are expanded first, with the same extension and settings the site uses. The blocks run once, up
front, two at a time, each in a fork of one interpreter that has imported torch, scikit-learn,
SciPy and matplotlib and nothing else (sitebuild.zygote: the imports were most of this module's
time); the tests at the end show that a forked block sees what `python -c` sees."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import markdown
import pytest
from pytest_codeblocks import extract_from_buffer

from conftest import DOCS, LANGS, english_pages, twin
from sitebuild import bench, zygote


def snippet_settings() -> dict:
    for extension in bench.markdown_extensions():
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            return extension["pymdownx.snippets"]
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


BLOCKS = python_blocks()
PARALLEL_BLOCKS = 2  # this machine, and CI's, has two cores


def block_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    # Two blocks run side by side: one math-library thread each. (Two torch processes with two
    # threads each on two cores run several times slower than this, and no faster than in turn.)
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
    return env


def run_fresh(code: str, directory: Path) -> subprocess.CompletedProcess:
    """`python -c code` in a new interpreter, as a reader runs a copied block."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=directory, env=block_env(), capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def forks():
    with zygote.running(block_env()) as started:
        yield started


@pytest.fixture(scope="module")
def block_runs(forks, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """{code: its run}, for every block: all run once, up front, two at a time."""
    codes = [param.values[0] for param in BLOCKS]
    directories = [tmp_path_factory.mktemp("block") for _ in codes]
    env = block_env()
    with ThreadPoolExecutor(max_workers=PARALLEL_BLOCKS) as pool:
        return dict(zip(codes, pool.map(
            lambda code, directory: forks.run_code(code, str(directory), env, timeout=600),
            codes, directories)))


def test_blocks_were_found():
    assert BLOCKS, "no Python code block on any page"


@pytest.mark.parametrize(("code", "where"), BLOCKS)
def test_block_runs_alone(block_runs, code, where):
    assert "--8<--" not in code, f"{where}: an include was not expanded"
    for private in ("snippets", "sitebuild"):
        assert f"import {private}" not in code and f"from {private}" not in code, (
            f"{where}: a reader's copy cannot import the site's own package '{private}'"
        )
    proc = block_runs[code]
    assert proc.returncode == 0, f"{where} fails when run alone:\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{where} prints nothing: a reader copying it sees no result"


# A forked block must see what `python -c` sees: checked against a fresh interpreter.
ISOLATION_PROBES = {
    "namespace": "print(sorted(name for name in globals() if not name.startswith('__')), __name__)",
    "a name the zygote imported is not defined": "print(torch.zeros(1))",
    "argv, path and directory": "import os, sys\nprint(sys.argv, sys.path[0], os.listdir('.'))",
    "exit status": "import sys\nprint('bye')\nsys.exit(3)",
    "an error": "raise ValueError('no')",
    "fresh modules state": "import numpy, matplotlib\nprint(hasattr(numpy, 'LEFT_BEHIND'), matplotlib.rcParams['lines.linewidth'])",
}


@pytest.mark.parametrize("probe", ISOLATION_PROBES)
def test_a_forked_block_sees_what_python_c_sees(forks, tmp_path, probe):
    code = ISOLATION_PROBES[probe]
    # another block changes module state in a fork first: no later fork may see it
    forks.run_code("import numpy, matplotlib\nnumpy.LEFT_BEHIND = 1\nmatplotlib.rcParams['lines.linewidth'] = 9",
                   str(tmp_path), block_env(), timeout=60)
    fresh, forked = tmp_path / "fresh", tmp_path / "forked"
    fresh.mkdir()
    forked.mkdir()
    expected = run_fresh(code, fresh)
    got = forks.run_code(code, str(forked), block_env(), timeout=60)
    assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout)
    assert got.stderr.splitlines()[-1:] == expected.stderr.splitlines()[-1:]  # the error's last line
