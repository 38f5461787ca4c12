"""Build-speed benchmark (a command, not a test: this machine is shared and noisy).

    python -m sitebuild.bench [--skip-cold] [--repeat N] [--snippet NAME]
    python -m sitebuild.bench --new-clone

Times `mkdocs build` in four situations and reports which snippets each one reran: cold (empty
snippet cache), nothing changed, a prose edit, and an edit of one snippet. It also times a plain
`mkdocs build` of the same pages with the snippet hook disabled (a temporary config that INHERITs
mkdocs.yml with `hooks: []`: pages keep their raw `{{ }}`, no figures or notebooks), the baseline
of issue 6's targets, which it checks and prints as PASS/FAIL:

- a rebuild with nothing changed costs at most 1.5x the plain build (medians of --repeat runs of
  each, alternating; judged on the wall clock, with the CPU time, steadier on a loaded machine,
  beside it);
- a prose edit reruns no snippet;
- a snippet edit reruns only that snippet;
- and issue 14's: a cold build takes at most 120 s (wall).

It also prints, from the snippets' manifests, where each run's time went (kernel start, the
section blocks, `results()`, the SVG export and the notebook's PNG figures).

After the cold build it rewrites sitebuild/snippet_seconds.json, each snippet's run time, which a
new clone's first build uses to start the longest snippets first (commit it when it changes).

`--new-clone` instead times what a newcomer waits for: `git clone` of the committed HEAD into a
temporary directory, then `mkdocs serve` there (no snippet, notebook-page, formula or template
cache; a temporary directory of its own, so not even jieba's dictionary cache), until the page is
served; target 120 s (issue 14).

Exits 1 if a target fails. Edits are appended comments, removed afterwards (only the appended
text, so a concurrent edit of the same file survives). Builds go to temporary directories; nothing
else is written to the repository (the cold build empties `.cache/snippets/`, as a new clone has it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

from sitebuild import cache

ROOT = cache.ROOT
TARGET_RATIO = 1.5
TARGET_COLD = 120  # seconds, wall, on 2 cores (issue 14)
TARGET_NEW_CLONE = 120  # seconds from `mkdocs serve` in a new clone to the first page served (issue 14)


def cpu_seconds() -> float:
    """User + system CPU time of the finished child processes (and theirs): unlike the wall
    clock, it hardly depends on what else the shared machine is doing."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(site_dir: str, config: Path | None = None) -> tuple[float, float, list[str]]:
    """Wall and CPU seconds of one `mkdocs build` (not strict, like `mkdocs serve`) and the
    snippets it ran (whose subprocesses count in its CPU time).

    The plain build runs in its config's directory: mkdocs-jupyter keeps its cache in
    `.cache/mkdocs-jupyter/` under the working directory and, after a build, deletes the entries
    that build did not use, so a plain build (no notebooks) run in the repository would empty
    the real build's cache and double the next real build's time."""
    command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", site_dir]
    if config is not None:
        command += ["--config-file", str(config)]
    started, cpu = time.perf_counter(), cpu_seconds()
    proc = subprocess.run(
        command, check=False, cwd=ROOT if config is None else config.parent, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if proc.returncode != 0:
        sys.exit(proc.stderr[-4000:])
    return seconds, cpu, re.findall(r"\[\d+/\d+\] (\w+) ", proc.stderr)


PROFILE_COLUMNS = {  # manifest "profile" key: column (sitebuild/runner.py, profile())
    "kernel": "kernel start",
    "sections": "section blocks",
    "results": "results()",
    "svg_export": "SVG export (2 languages; dark = light recoloured)",
    "notebook_figures": "notebook PNGs (resvg)",
}


def profile_table() -> str:
    """Where each cached snippet run spent its time (Markdown), longest first, with the total."""
    rows = []
    for name in cache.snippet_names():
        manifest = cache.last_manifest(name) or {}
        if "profile" in manifest:
            rows.append((name, manifest["seconds"], [manifest["profile"][key] for key in PROFILE_COLUMNS]))
    rows.sort(key=lambda row: -row[1])
    header = f"| snippet | total s | {' | '.join(PROFILE_COLUMNS.values())} |"
    lines = [header, "|---" * (len(PROFILE_COLUMNS) + 2) + "|"]
    for name, total, parts in rows:
        lines.append(f"| {name} | {total:.1f} | {' | '.join(f'{part:.1f}' for part in parts)} |")
    sums = [sum(parts[i] for _, _, parts in rows) for i in range(len(PROFILE_COLUMNS))]
    lines.append(f"| all | {sum(row[1] for row in rows):.1f} | {' | '.join(f'{part:.1f}' for part in sums)} |")
    return "\n".join(lines)


def markdown_extensions() -> list:
    """mkdocs.yml's Markdown extensions, with pymdownx.snippets' include path made absolute, for
    whatever expands the pages' includes outside the repository's directory (the plain build
    here; tests/test_codeblocks.py)."""
    extensions = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["markdown_extensions"]
    for extension in extensions:
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            settings = extension["pymdownx.snippets"]
            settings["base_path"] = [str(ROOT / path) for path in settings["base_path"]]
    return extensions


def plain_config(directory: Path) -> Path:
    """mkdocs.yml without the snippet hook. The parent's relative paths would resolve against this
    file's directory, so the ones that name a folder are given absolutely (and the Markdown
    extensions, a list, which INHERIT replaces rather than merges, are given whole)."""
    config = directory / "mkdocs-plain.yml"
    overrides = {
        # It is built from its own directory (see `build`): the include path must be absolute too.
        "markdown_extensions": markdown_extensions(),
        "INHERIT": str(ROOT / "mkdocs.yml"),
        "hooks": [],
        "docs_dir": str(ROOT / "docs"),
        "theme": {"custom_dir": str(ROOT / "overrides")},
        "watch": [],
    }
    config.write_text(json.dumps(overrides, indent=2), encoding="utf-8")  # JSON is YAML
    return config


@contextmanager
def appended(path: Path, text: str):
    path.write_bytes(path.read_bytes() + text.encode())
    try:
        yield
    finally:
        current = path.read_bytes()
        if current.endswith(text.encode()):
            path.write_bytes(current[: -len(text.encode())])
        else:
            print(f"warning: {path} changed during the benchmark; remove {text!r} by hand", file=sys.stderr)


def new_clone_serve(timeout: float = 900) -> float:
    """Seconds from starting `mkdocs serve` in a fresh clone of HEAD to its home page served."""
    import socket
    import urllib.request

    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (Path(tmp) / "tmp").mkdir()
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TMPDIR": f"{tmp}/tmp"}
        env.pop("WHY_N01_SNIPPET_CACHE", None)
        start = time.monotonic()
        serve = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                                 cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            while time.monotonic() - start < timeout:
                if serve.poll() is not None:
                    raise RuntimeError(f"mkdocs serve stopped:\n{serve.stderr.read()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                        if response.status == 200:
                            return time.monotonic() - start
                except OSError:
                    time.sleep(0.5)
            raise RuntimeError(f"nothing served after {timeout:.0f} s")
        finally:
            serve.terminate()
            serve.wait()


def medians(runs: list[tuple[float, float, list[str]]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="keep the snippet cache")
    parser.add_argument("--repeat", type=int, default=3,
                        help="builds of 'nothing changed' and of the plain baseline, alternating (median)")
    parser.add_argument("--snippet", default=cache.snippet_names()[0], help="the snippet to edit")
    parser.add_argument("--new-clone", action="store_true",
                        help="only time `mkdocs serve` in a fresh clone of HEAD until it serves")
    args = parser.parse_args()
    if args.new_clone:
        seconds = new_clone_serve()
        ok = seconds <= TARGET_NEW_CLONE
        print(f"{verdict(ok)}  new clone: `mkdocs serve` served after {seconds:.1f} s <= {TARGET_NEW_CLONE} s")
        sys.exit(0 if ok else 1)
    page = ROOT / "docs" / "index.md"
    snippet = cache.SNIPPETS_DIR / f"{args.snippet}.py"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        site, plain_site = f"{tmp}/site", f"{tmp}/plain"
        plain = plain_config(Path(tmp))
        if not args.skip_cold:
            shutil.rmtree(cache.CACHE_DIR, ignore_errors=True)
            cold = build(site)
            rows.append(("cold (no snippet cache)", *cold))
            cache.write_schedule_hints()  # a new clone's first build starts the longest first
        else:
            rows.append(("warm-up (--skip-cold)", *build(site)))  # make sure the cache is warm
        warm, baseline = [], []
        for _ in range(args.repeat):
            warm.append(build(site))
            baseline.append(build(plain_site, plain))
        warm_ran = [name for _, _, ran in warm for name in ran]
        rows.append((f"nothing changed (median of {args.repeat})", *medians(warm), warm_ran))
        rows.append((f"plain build, hook disabled (median of {args.repeat})", *medians(baseline), []))
        with appended(page, "\n<!-- bench -->\n"):
            prose = build(site)
            rows.append((f"prose edit ({page.name})", *prose))
        with appended(snippet, "\n# bench\n"):
            edit = build(site)
            rows.append((f"snippet edit ({snippet.name})", *edit))
        rows.append(("restore (snippet edit undone)", *build(site)))

    print(f"{'situation':48s} {'wall s':>7s} {'CPU s':>7s}  snippets rerun")
    for name, seconds, cpu, ran in rows:
        print(f"{name:48s} {seconds:7.1f} {cpu:7.1f}  {', '.join(ran) or '-'}")
    for name, runs in [("nothing changed", warm), ("plain", baseline)]:
        print(f"{name}: wall {', '.join(f'{r[0]:.1f}' for r in runs)} s; CPU {', '.join(f'{r[1]:.1f}' for r in runs)} s")
    (warm_wall, warm_cpu), (plain_wall, plain_cpu) = medians(warm), medians(baseline)
    ratio = warm_wall / plain_wall
    checks = [
        (f"nothing changed / plain = {ratio:.2f} <= {TARGET_RATIO} (wall; CPU: {warm_cpu / plain_cpu:.2f})",
         ratio <= TARGET_RATIO),
        ("nothing changed reruns no snippet", not warm_ran),
        ("prose edit reruns no snippet", not prose[2]),
        (f"snippet edit reruns only {args.snippet}", edit[2] == [args.snippet]),
    ]
    if not args.skip_cold:
        checks.append((f"cold build {cold[0]:.0f} s <= {TARGET_COLD} s (wall)", cold[0] <= TARGET_COLD))
    print("\nWhere each snippet's run went (seconds; the last run of each, from its manifest):")
    print(profile_table() + "\n")
    for name, ok in checks:
        print(f"{verdict(ok)}  {name}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
