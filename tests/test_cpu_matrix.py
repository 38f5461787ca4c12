"""The CPU-path check (python -m sitebuild.cpu_matrix) really changes the code path and covers
every snippet; the check itself is a command, run before resolving a change to a claim."""

import os

from sitebuild import cache, cpu_matrix


def test_every_snippet_has_claim_tests_the_matrix_runs():
    names = cache.snippet_names()
    assert len(cpu_matrix.claim_tests(names)) == len(names)


def test_settings_change_torchs_code_path():
    base = {k: v for k, v in os.environ.items() if k not in cache.CPU_PATH_VARIABLES}
    assert cpu_matrix.capability({**base, **cpu_matrix.SETTINGS["aten-default"]}) == "DEFAULT"
    assert cpu_matrix.capability({**base, **cpu_matrix.SETTINGS["aten-avx2"]}) in {"AVX2", "DEFAULT"}


def test_cache_is_keyed_by_the_code_path(monkeypatch):
    cache.environment.cache_clear()
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    plain = cache.environment()
    cache.environment.cache_clear()
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    pinned = cache.environment()
    cache.environment.cache_clear()
    assert plain != pinned
