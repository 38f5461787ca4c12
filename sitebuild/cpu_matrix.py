"""Run every snippet's claim tests under several CPU code paths.

    python -m sitebuild.cpu_matrix [--only native,aten-default,...] [--snippets a,b] [--list]

Floating-point results depend on the code path torch and MKL take: AVX-512, AVX2 or plain SSE
kernels sum in different orders, so results differ in the last bits, and a chaotic training run
can end somewhere else. A claim on the site must hold on any x86-64 machine, so its test must pass
whichever path the reader's CPU takes. This command reruns every snippet from scratch under each
setting below (each setting has its own snippet cache in .cache/cpu-matrix/<setting>/, so the
site's cache is untouched) and runs tests/test_<snippet>.py against those results.

Not a test: a full run reruns every snippet once per setting (about 2 to 3 minutes each on two
cores). Run it before resolving a change to an experiment or a claim test; CONTRIBUTING.md says how.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from sitebuild import cache

# name -> environment. ATEN_CPU_CAPABILITY picks torch's own vectorized kernels (default = no
# explicit SIMD); MKL_CBWR pins the code path of MKL's BLAS (matrix products). "native" is whatever
# this machine does by itself (AVX-512 where the CPU has it).
SETTINGS: dict[str, dict[str, str]] = {
    "native": {},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "mkl-avx2": {"MKL_CBWR": "AVX2"},
}


def claim_tests(names: list[str]) -> list[str]:
    return [f"tests/test_{name}.py" for name in names if (cache.ROOT / "tests" / f"test_{name}.py").exists()]


def capability(env: dict[str, str]) -> str:
    """The code path torch reports under `env` (checks that the setting took effect)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        env=env, capture_output=True, text=True, check=True,
    )
    return proc.stdout.strip()


def run_setting(name: str, extra: dict[str, str], snippets: list[str]) -> tuple[bool, str]:
    env = {
        **os.environ,
        **extra,
        "WHY_N01_SNIPPET_CACHE": str(cache.ROOT / ".cache" / "cpu-matrix" / name),
        "NO_MKDOCS_2_WARNING": "1",
    }
    for var in cache.CPU_PATH_VARIABLES:  # a setting names its own variables, nothing inherited
        if var not in extra:
            env.pop(var, None)
    started = time.perf_counter()
    # All stale snippets first, two at a time (the tests would run them one by one).
    subprocess.run(
        [sys.executable, "-c", f"from sitebuild import cache; cache.ensure({snippets!r})"],
        cwd=cache.ROOT, env=env, check=True,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *claim_tests(snippets)],
        cwd=cache.ROOT, env=env, capture_output=True, text=True,
    )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
    failures = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    detail = f"{summary} ({time.perf_counter() - started:.0f} s, torch: {capability(env)})"
    return proc.returncode == 0, "\n    ".join([detail, *failures])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated settings (default: all)")
    parser.add_argument("--snippets", help="comma-separated snippet names (default: all)")
    parser.add_argument("--list", action="store_true", help="print the settings and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, extra in SETTINGS.items():
            print(f"{name:16} {extra or '(this machine as it is)'}")
        return 0
    chosen = args.only.split(",") if args.only else list(SETTINGS)
    unknown = [name for name in chosen if name not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; known: {list(SETTINGS)}")
    snippets = args.snippets.split(",") if args.snippets else cache.snippet_names()
    results = {}
    for name in chosen:
        ok, detail = run_setting(name, SETTINGS[name], snippets)
        results[name] = ok
        print(f"{'PASS' if ok else 'FAIL'} {name:16} {detail}", flush=True)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
