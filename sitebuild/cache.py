"""Which snippet outputs are up to date, and running the ones that are not.

A snippet's outputs live in `.cache/snippets/NAME-HASH/`, where HASH covers the snippet's source,
the shared build modules (style and runner), the versions of the libraries that could change a
number or a figure, and whether the CJK font is installed. A build reruns a snippet only when its
HASH has no directory yet; each run happens in a fresh subprocess, so `mkdocs serve` always sees
the current source.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sitebuild import style, zygote

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS_DIR = ROOT / "snippets"
# The CPU-path check (python -m sitebuild.cpu_matrix) keeps one cache per setting elsewhere.
CACHE_DIR = Path(os.environ.get("WHY_N01_SNIPPET_CACHE") or ROOT / ".cache" / "snippets")
# Settings that choose torch's and MKL's code paths, so they can change the last bits of a result.
CPU_PATH_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_CBWR")
SHARED_SOURCES = [ROOT / "sitebuild" / "style.py", ROOT / "sitebuild" / "runner.py"]
MATH_THREADS = "1"  # torch's threads in a snippet kernel, however many snippets run (see ensure)
VERSIONED = [
    "torch", "numpy", "matplotlib", "scikit-learn", "jupytext", "nbclient", "nbformat", "ipykernel", "resvg-py",
]


class SnippetError(RuntimeError):
    """A snippet raised: the message names it and carries its traceback."""


@dataclass(frozen=True)
class Outputs:
    name: str
    dir: Path
    ran: bool  # False when the cache already held these outputs

    # Read once per Outputs (one build): every page's figures ask for the manifest's order.
    @functools.cached_property
    def results(self) -> dict:
        return json.loads((self.dir / "results.json").read_text(encoding="utf-8"))

    @functools.cached_property
    def manifest(self) -> dict:
        return json.loads((self.dir / "manifest.json").read_text(encoding="utf-8"))

    @property
    def notebook(self) -> Path:
        return self.dir / f"{self.name}.ipynb"

    def figures(self) -> list[Path]:
        return sorted((self.dir / "figures").glob("*.svg"))

    def explorer(self, name: str, lang: str) -> dict:
        """Explorer NAME as the snippet's explorers(data, lang) returned it (sitebuild.explorers)."""
        return json.loads((self.dir / "explorers" / f"{name}_{lang}.json").read_text(encoding="utf-8"))


def snippet_names() -> list[str]:
    """Every reason module: `snippets/*.py` except private (`_*`) modules."""
    return sorted(p.stem for p in SNIPPETS_DIR.glob("*.py") if not p.name.startswith("_"))


def slug(name: str) -> str:
    """URL name of a reason: module `normal_vs_normalized` <-> page `normal-vs-normalized.md`."""
    return name.replace("_", "-")


@functools.cache
def environment() -> bytes:
    """What, besides the sources, could change an output. Looked up once per process: package
    metadata and the font list are slow to read, and cannot change under a running build."""
    lines = [sys.version, *(f"{package}=={metadata.version(package)}" for package in VERSIONED)]
    # A font installed or removed changes the Chinese figures (they fall back to English labels).
    lines.append(f"cjk-font={style.has_cjk_font()}")
    lines += [f"{var}={os.environ[var]}" for var in CPU_PATH_VARIABLES if os.environ.get(var)]
    lines.append(f"math-threads={MATH_THREADS}")  # a sum over more threads rounds differently
    return "\n".join(lines).encode()


def source_hash(name: str) -> str:
    digest = hashlib.sha256()
    for path in [SNIPPETS_DIR / f"{name}.py", *SHARED_SOURCES]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(environment())
    return digest.hexdigest()[:16]


def _run(name: str, target: Path, env: dict[str, str]) -> None:
    # A name of its own per process: two builds of one checkout (a test run beside `mkdocs serve`)
    # may run the same stale snippet at once; each writes its own directory, the first rename wins.
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-m", "sitebuild.runner", str(SNIPPETS_DIR / f"{name}.py"), str(partial)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SnippetError(f"snippet '{name}' ({SNIPPETS_DIR / name}.py) failed:\n{proc.stderr[-8000:]}")
    if (target / "manifest.json").exists():  # another process finished the same run first
        shutil.rmtree(partial, ignore_errors=True)
        return
    for stale in CACHE_DIR.glob(f"{name}-*"):
        if stale != partial and stale != target and ".partial-" not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    try:
        partial.rename(target)
    except OSError:  # lost the race to a concurrent process between the check and the rename
        shutil.rmtree(partial, ignore_errors=True)


def last_manifest(name: str) -> dict | None:
    """The manifest of the snippet's newest run here (any hash), or None if it never ran here."""
    manifests = sorted(
        (path for path in CACHE_DIR.glob(f"{name}-*/manifest.json") if ".partial-" not in path.parent.name),
        key=lambda path: path.stat().st_mtime,
    )
    return json.loads(manifests[-1].read_text(encoding="utf-8")) if manifests else None


# Each snippet's run time on the build machine, for ordering a new clone's first build (it has no
# manifests yet): written by `python -m sitebuild.bench` after its cold build. Only the order
# matters; a snippet missing here is estimated from its source size.
SCHEDULE_HINTS = Path(__file__).with_name("snippet_seconds.json")


def expected_seconds(name: str) -> float:
    """How long a run of the snippet should take, to start the longest first: its last run here,
    else the bench's last cold build (SCHEDULE_HINTS), else its source size in kB (a rough proxy:
    0.2-0.5 s per kB on the 2-core build machine)."""
    manifest = last_manifest(name)
    if manifest is not None:
        return float(manifest["seconds"])
    hints = json.loads(SCHEDULE_HINTS.read_text(encoding="utf-8")) if SCHEDULE_HINTS.exists() else {}
    if name in hints:
        return float(hints[name])
    return (SNIPPETS_DIR / f"{name}.py").stat().st_size / 1000 * 0.3


def write_schedule_hints() -> None:
    """Record every snippet's last run time here as SCHEDULE_HINTS."""
    seconds = {name: (last_manifest(name) or {}).get("seconds") for name in snippet_names()}
    SCHEDULE_HINTS.write_text(json.dumps({k: v for k, v in seconds.items() if v}, indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")


def ensure(names: list[str] | None = None, jobs: int = 2,
           progress: Callable[[str], None] | None = None) -> dict[str, Outputs]:
    """Outputs of every snippet, running (in parallel, longest first) only those whose hash
    changed. `progress` receives a line when the runs start and one as each finishes."""
    names = snippet_names() if names is None else names
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    targets = {name: CACHE_DIR / f"{name}-{source_hash(name)}" for name in names}
    stale = [name for name, target in targets.items() if not (target / "manifest.json").exists()]
    stale.sort(key=expected_seconds, reverse=True)  # longest first: the workers finish close together
    jobs = max(1, min(jobs, len(stale)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        # One math-library thread, always: a sum split over two threads rounds differently, so a
        # snippet rerun alone (two threads free) would write other last digits than the cold build
        # did. It also keeps snippets run side by side from fighting over the cores.
        "OMP_NUM_THREADS": MATH_THREADS,
        "MKL_NUM_THREADS": MATH_THREADS,
    }
    outputs = {name: Outputs(name, target, ran=False) for name, target in targets.items()}
    if not stale:
        return outputs
    say = progress or (lambda line: None)
    say(f"running {len(stale)} of {len(names)} snippets, {jobs} at a time (the rest are cached)")
    with zygote.running(env) as forks, ThreadPoolExecutor(max_workers=jobs) as pool:
        env = {**env, **forks.kernel_env}
        started = {pool.submit(_run, name, targets[name], env): name for name in stale}
        for done, future in enumerate(as_completed(started), 1):
            future.result()
            name = started[future]
            outputs[name] = Outputs(name, targets[name], ran=True)
            say(f"[{done}/{len(stale)}] {name} {outputs[name].manifest['seconds']:.1f} s")
    return outputs
