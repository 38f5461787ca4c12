"""The build machinery on tiny throwaway snippets: caching, failures, reproducibility, fonts."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import matplotlib
import nbformat

matplotlib.use("Agg")

import pytest
from mkdocs.exceptions import PluginError

from sitebuild import cache, formats, hook, runner, style

TINY = textwrap.dedent(
    '''\
    # %% [markdown]
    # # Tiny

    # %%
    # --8<-- [start:show]
    import math

    if __name__ == "__main__":
        print(math.sqrt(VALUE))
    # --8<-- [end:show]

    # %%
    import json

    LABELS = {"en": {"x": "layer"}, "zh": {"x": "层"}}


    def results():
        return {"root": math.sqrt(VALUE)}


    def figures(res, lang):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, res["root"], 0], label="a")
        ax.set_xlabel(LABELS[lang]["x"])
        ax.legend()
        return {"tiny": fig}

    # %%
    if __name__ == "__main__":
        RESULTS = results()
        print(json.dumps(RESULTS))
    '''
)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A snippets/ folder and a cache of their own, so the real cache is never touched."""
    snippets = tmp_path / "snippets"
    snippets.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    for source in cache.SHARED_SOURCES:
        shutil.copy(source, shared / source.name)
    monkeypatch.setattr(cache, "SNIPPETS_DIR", snippets)
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(cache, "SHARED_SOURCES", sorted(shared.iterdir()))
    return SimpleNamespace(snippets=snippets, shared=shared, tmp=tmp_path)


def write(sandbox, name: str, value: float) -> None:
    (sandbox.snippets / f"{name}.py").write_text(TINY.replace("VALUE", repr(value)), encoding="utf-8")


def test_outputs_and_cache_reuse(sandbox):
    write(sandbox, "alpha", 784.0)
    write(sandbox, "beta", 9.0)
    first = cache.ensure()
    assert {name: out.ran for name, out in first.items()} == {"alpha": True, "beta": True}
    assert first["alpha"].results == {"root": 28.0}
    names = {p.name for p in first["alpha"].figures()}
    assert names == {f"tiny_{lang}_{theme}.svg" for lang in style.LANGS for theme in style.THEMES}
    notebook = json.loads(first["alpha"].notebook.read_text(encoding="utf-8"))
    sources = "".join("".join(cell["source"]) for cell in notebook["cells"])
    assert "--8<--" not in sources, "section markers must not reach the reader's notebook"
    assert "_export" not in sources, "the export cell must not reach the reader's notebook"
    outputs = [o for cell in notebook["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
    assert any("28.0" in "".join(o.get("text", "")) for o in outputs), "the notebook is executed"

    again = cache.ensure()
    assert not any(out.ran for out in again.values()), "nothing changed: nothing may rerun"

    write(sandbox, "beta", 16.0)
    edited = cache.ensure()
    assert {name: out.ran for name, out in edited.items()} == {"alpha": False, "beta": True}
    assert edited["beta"].results == {"root": 4.0}
    assert len(list((sandbox.tmp / "cache").glob("beta-*"))) == 1, "stale outputs are removed"


def test_progress_says_what_runs_and_names_each_snippet_as_it_finishes(sandbox):
    for name in ("alpha", "beta", "gamma"):
        write(sandbox, name, 4.0)
    # earlier runs of alpha and beta (other hashes) took 1 s and 100 s; gamma never ran here, and
    # its source (under 1 kB) says it is short
    for name, seconds in (("alpha", 1.0), ("beta", 100.0)):
        old = sandbox.tmp / "cache" / f"{name}-0000000000000000"
        old.mkdir(parents=True)
        (old / "manifest.json").write_text(json.dumps({"seconds": seconds}), encoding="utf-8")
    assert cache.expected_seconds("gamma") < 1.0
    lines = []
    cache.ensure(jobs=1, progress=lines.append)
    assert lines[0] == "running 3 of 3 snippets, 1 at a time (the rest are cached)"
    # one at a time, they finish in the order they start: the longest first
    assert [line.split()[1] for line in lines[1:]] == ["beta", "alpha", "gamma"]
    assert [line.split()[0] for line in lines[1:]] == ["[1/3]", "[2/3]", "[3/3]"]
    assert all(line.endswith(" s") and float(line.split()[2]) > 0 for line in lines[1:])
    silent = []
    cache.ensure(progress=silent.append)
    assert silent == [], "nothing to run: nothing to say"


def test_a_new_clone_starts_the_snippets_the_bench_found_longest(sandbox, monkeypatch):
    """No manifest yet: the bench's recorded run times order the runs, then the source size."""
    hints = sandbox.tmp / "snippet_seconds.json"
    monkeypatch.setattr(cache, "SCHEDULE_HINTS", hints)
    for name in ("alpha", "beta"):
        write(sandbox, name, 4.0)
    hints.write_text(json.dumps({"alpha": 30.0}), encoding="utf-8")
    assert cache.expected_seconds("alpha") == 30.0
    assert cache.expected_seconds("beta") < 1.0  # not in the hints: its source is under 1 kB
    cache.ensure()
    cache.write_schedule_hints()  # what the bench does after its cold build
    recorded = json.loads(hints.read_text(encoding="utf-8"))
    assert set(recorded) == {"alpha", "beta"} and all(seconds > 0 for seconds in recorded.values())
    assert recorded["alpha"] == cache.last_manifest("alpha")["seconds"]


# Two builds of one checkout at once (`mkdocs serve` beside a test run): each process runs the stale
# snippet into a directory of its own and renames it into place; the loser discards its copy.
TWO_BUILDS = """
import sys
from pathlib import Path
from sitebuild import cache
tmp = Path(sys.argv[1])
cache.SNIPPETS_DIR, cache.CACHE_DIR = tmp / "snippets", tmp / "cache"
cache.SHARED_SOURCES = sorted((tmp / "shared").iterdir())
outputs = cache.ensure()["slow"]
print(outputs.dir, outputs.ran)
"""


def test_two_builds_at_once_leave_one_complete_output(sandbox):
    slow = TINY.replace("def results():\n", "def results():\n    import time; time.sleep(3)\n")
    assert slow != TINY
    (sandbox.snippets / "slow.py").write_text(slow.replace("VALUE", "9.0"), encoding="utf-8")
    command = [sys.executable, "-c", TWO_BUILDS, str(sandbox.tmp)]
    builds = [subprocess.Popen(command, cwd=cache.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    finished = [build.communicate(timeout=300) for build in builds]
    assert [build.returncode for build in builds] == [0, 0], [err[-2000:] for _, err in finished]
    printed = [out.split() for out, _ in finished]
    assert [ran for _, ran in printed] == ["True", "True"], "the two runs did not overlap: no race tested"
    dirs = {out_dir for out_dir, _ in printed}
    assert len(dirs) == 1, f"the two builds disagree on the outputs: {dirs}"
    left = sorted(p.name for p in (sandbox.tmp / "cache").iterdir())
    assert len(left) == 1 and ".partial-" not in left[0], f"cache holds {left}"
    outputs = cache.ensure()["slow"]
    assert not outputs.ran and outputs.results == {"root": 3.0}
    assert len(outputs.figures()) == len(style.LANGS) * len(style.THEMES)


def test_a_snippet_alone_runs_on_one_thread_as_in_a_cold_build(sandbox):
    """Two threads round a sum differently from one: a snippet rerun alone must use the one
    thread it had beside the others, or its numbers change in the last digits."""
    threads = '"root": 2.0, "threads": __import__("torch").get_num_threads()'
    source = TINY.replace('"root": math.sqrt(VALUE)', threads).replace("VALUE", "4.0")
    (sandbox.snippets / "alone.py").write_text(source, encoding="utf-8")
    assert cache.ensure(jobs=2)["alone"].results["threads"] == 1


def test_shared_module_or_library_change_invalidates(sandbox, monkeypatch):
    write(sandbox, "alpha", 4.0)
    before = cache.source_hash("alpha")
    (sandbox.shared / "style.py").write_text("# changed\n", encoding="utf-8")
    assert cache.source_hash("alpha") != before
    after_style = cache.source_hash("alpha")
    # The environment is read once per process (cache.environment); a new process sees changes.
    real_version = cache.metadata.version
    monkeypatch.setattr(cache.metadata, "version", lambda p: "0.0" if p == "torch" else real_version(p))
    assert cache.source_hash("alpha") == after_style, "read once per process"
    cache.environment.cache_clear()
    assert cache.source_hash("alpha") != after_style
    after_version = cache.source_hash("alpha")
    flipped = not style.has_cjk_font()
    monkeypatch.setattr(style, "has_cjk_font", lambda: flipped)
    cache.environment.cache_clear()
    assert cache.source_hash("alpha") != after_version
    monkeypatch.undo()
    cache.environment.cache_clear()


def test_failing_snippet_names_itself_with_traceback(sandbox):
    (sandbox.snippets / "broken.py").write_text(
        "# %%\ndef results():\n    return {}\n\n# %%\nraise ValueError('bad input 42')\n",
        encoding="utf-8",
    )
    with pytest.raises(cache.SnippetError) as error:
        cache.ensure()
    message = str(error.value)
    assert "broken" in message and "ValueError" in message and "bad input 42" in message
    assert not list((sandbox.tmp / "cache").glob("broken-*")), "a failed run leaves no cache entry"


def test_hook_turns_snippet_failure_into_build_error(monkeypatch):
    def fail(*args, **kwargs):
        raise cache.SnippetError("snippet 'x' failed: Traceback ...")

    monkeypatch.setattr(cache, "ensure", fail)
    with pytest.raises(PluginError, match="snippet 'x' failed"):
        hook.on_pre_build(config=None)


def test_rebuild_is_byte_identical(sandbox, tmp_path):
    write(sandbox, "alpha", 2.0)
    source = sandbox.snippets / "alpha.py"
    runner.run(source, tmp_path / "one")
    runner.run(source, tmp_path / "two")
    for first in sorted((tmp_path / "one").rglob("*")):
        if first.is_file() and first.name != "manifest.json":  # the manifest records run time
            second = tmp_path / "two" / first.relative_to(tmp_path / "one")
            assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between runs"


def test_a_forked_kernel_writes_what_a_fresh_kernel_writes(sandbox, tmp_path, monkeypatch):
    """sitebuild.cache starts kernels by forking a zygote that has imported torch and friends
    (sitebuild.zygote). The outputs must be the bytes a fresh kernel writes, even after another
    snippet, run from the same zygote, changed module state and matplotlib's settings."""
    from sitebuild import zygote

    polluter = sandbox.snippets / "polluter.py"
    polluter.write_text(TINY.replace("import math\n", "import math\nimport numpy\nimport matplotlib\n"
                                     "numpy.LEFT_BEHIND = 1\nmatplotlib.rcParams['lines.linewidth'] = 9\n"
                                     ).replace("VALUE", "9.0"), encoding="utf-8")
    probe = tmp_path / "probe"
    checked = sandbox.snippets / "checked.py"
    checked.write_text(TINY.replace("print(math.sqrt(VALUE))", (
        "import numpy\n    import matplotlib\n"
        "    print(hasattr(numpy, 'LEFT_BEHIND'), matplotlib.rcParams['lines.linewidth'])\n"
        "    import os, sys\n"
        "    if 'N01_PROBE' in os.environ:  # not an output: the two runs must print the same\n"
        "        open(os.environ['N01_PROBE'], 'w').write(str('torch' in sys.modules))"
    )).replace("VALUE", "2.0"), encoding="utf-8")
    runner.run(checked, tmp_path / "fresh")
    monkeypatch.setenv("N01_PROBE", str(probe))
    with zygote.running(dict(os.environ)) as forks:
        for name, value in forks.kernel_env.items():
            monkeypatch.setenv(name, value)
        runner.run(polluter, tmp_path / "polluter")
        runner.run(checked, tmp_path / "forked")
    assert probe.read_text() == "True", "the kernel was not forked from the zygote (torch not imported yet)"
    fresh = sorted(path for path in (tmp_path / "fresh").rglob("*") if path.is_file())
    assert len(fresh) > 3
    for first in fresh:
        if first.name != "manifest.json":  # the manifest records run time
            second = tmp_path / "forked" / first.relative_to(tmp_path / "fresh")
            assert first.read_bytes() == second.read_bytes(), f"{first.name} differs in a forked kernel"
    printed = nbformat.read(tmp_path / "forked" / "checked.ipynb", as_version=4).cells[1].outputs[0]["text"]
    assert printed.startswith("False ") and not printed.startswith("False 9"), f"the other snippet's state: {printed}"


def test_prints_of_a_cell_are_one_output_however_the_kernel_flushed_them(sandbox, tmp_path):
    """Without merging, a pause between two prints splits them into two outputs, and how often
    that happens depends on the machine's load: the notebook's bytes would change between runs."""
    source = sandbox.snippets / "paused.py"
    source.write_text(
        TINY.replace(
            "print(math.sqrt(VALUE))", "print('a', flush=True)\n    import time\n    time.sleep(0.3)\n    print('b')"
        ).replace("VALUE", "4.0"),
        encoding="utf-8",
    )
    runner.run(source, tmp_path / "out")
    notebook = nbformat.read(tmp_path / "out" / "paused.ipynb", as_version=4)
    outputs = [cell.outputs for cell in notebook.cells if "time.sleep" in cell.source]
    assert outputs == [[{"name": "stdout", "output_type": "stream", "text": "a\nb\n"}]]


def _draw(res, lang):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title({"en": "layer", "zh": "层"}[lang])
    return {"t": fig}


def test_without_cjk_font_chinese_figures_fall_back_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(style, "has_cjk_font", lambda: False)
    runner.export({}, _draw, str(tmp_path))
    warnings = json.loads((tmp_path / "warnings.json").read_text(encoding="utf-8"))
    assert len(warnings) == 1 and style.CJK_PACKAGE in warnings[0]
    figures = tmp_path / "figures"
    for theme in style.THEMES:
        assert (figures / f"t_zh_{theme}.svg").read_bytes() == (figures / f"t_en_{theme}.svg").read_bytes()


def test_with_cjk_font_chinese_figures_carry_chinese(tmp_path):
    if not style.has_cjk_font():
        pytest.skip(f"no CJK font here: install the Debian package {style.CJK_PACKAGE}")
    runner.export({}, _draw, str(tmp_path))
    assert json.loads((tmp_path / "warnings.json").read_text(encoding="utf-8")) == []
    figures = tmp_path / "figures"
    assert (figures / "t_zh_light.svg").read_bytes() != (figures / "t_en_light.svg").read_bytes()
    svg = (figures / "t_zh_light.svg").read_text(encoding="utf-8")
    assert "<text" not in svg, "text must be paths, so readers need no CJK font"
    assert (figures / "t_en_light.svg").read_bytes() != (figures / "t_en_dark.svg").read_bytes()


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(3.2e-5, 1, "3.2×10⁻⁵"), (12345.0, 2, "1.23×10⁴"), (9.96, 1, "1.0×10¹"), (-0.5, 0, "-5×10⁻¹")],
)
def test_sci_filter(value, digits, expected):
    assert formats.sci(value, digits) == expected


def test_pct_and_fixed_filters():
    assert formats.pct(0.98765, 1) == "98.8%"
    assert formats.fixed(1234.5678, 2) == "1,234.57"
    assert formats.fixed(-0.001, 2) == "0.00"  # no "-0.00" for a slope that rounds to zero
    assert formats.fixed(-0.01, 2) == "-0.01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, "50.0%"), (0.001, "0.1%"), (0.000999, "1.0×10⁻³"), (5.6e-36, "5.6×10⁻³⁶"), (0.0, "0")],
)
def test_share_filter_writes_tiny_shares_in_powers_of_ten(value, expected):
    assert formats.share(value) == expected


def _page(src_uri: str, locale: str):
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, locale=locale))


def test_markdown_numbers_and_missing_keys(monkeypatch, tmp_path):
    monkeypatch.setattr(hook, "_results", {"alpha": {"root": 28.0}})
    rendered = hook.on_page_markdown("r = {{ alpha.root | fixed(1) }}", _page("p.md", "en"), None, None)
    assert rendered == "r = 28.0"
    with pytest.raises(PluginError, match=r"p\.zh\.md.*missing"):
        hook.on_page_markdown("{{ alpha.missing }}", _page("p.zh.md", "zh"), None, None)


def test_figure_markup_per_language_and_theme(monkeypatch, tmp_path):
    alpha = SimpleNamespace(results={}, dir=tmp_path, manifest={"figures": ["depth", "width"]})
    monkeypatch.setattr(hook, "_outputs", {"alpha": alpha})
    (tmp_path / "figures").mkdir()
    for name in ("depth", "width"):  # matplotlib writes points; the tag gets CSS pixels (4/3 pt)
        for lang in ("en", "zh"):
            for theme in ("light", "dark"):
                svg = f'<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="345.6pt" height="172.8pt" viewBox="0 0 345.6 172.8">'
                (tmp_path / "figures" / f"{name}_{lang}_{theme}.svg").write_text(svg, encoding="utf-8")
    page = '{% call figure("alpha", "depth", "图") %}\n说明。\n{% endcall %}\n见{{ fig("width") }}。'
    with pytest.raises(PluginError, match="shows figures"):  # a page shows all of its figures
        hook.on_page_markdown(page, _page("sub/alpha.zh.md", "zh"), None, None)
    page += '\n{% call figure("alpha", "width", "宽") %}第二幅。{% endcall %}'
    md = hook.on_page_markdown(page, _page("sub/alpha.zh.md", "zh"), None, None)
    assert md.splitlines()[:16] == [  # a block of its own: the caption is inside the <figure>
        "",
        "",
        '<figure class="n01-numbered" id="fig-depth" markdown>',
        "",
        '<div class="n01-figure" markdown>',
        "",
        "![图](../figures/alpha/depth_zh_light.svg#only-light){ loading=lazy width=461 height=230 }",
        "![图](../figures/alpha/depth_zh_dark.svg#only-dark){ loading=lazy width=461 height=230 }",
        "",
        "</div>",
        "",
        "<figcaption markdown>",
        "",
        "**图1：**说明。",
        "",
        "</figcaption>",
    ]
    assert "见[图2](#fig-width)。" in md and "**图2：**第二幅。" in md
    english = hook.on_page_markdown(page.replace("图", "x"), _page("alpha.md", "en"), None, None)
    assert "**Figure 1.** 说明。" in english and "[Figure 2](#fig-width)" in english
    with pytest.raises(PluginError, match="no figure 'nope'"):
        hook.on_page_markdown('{% call figure("alpha", "nope", "x") %}c{% endcall %}', _page("alpha.md", "en"), None, None)
    with pytest.raises(PluginError, match="no caption"):
        hook.on_page_markdown('{{ figure("alpha", "depth", "x") }}', _page("alpha.md", "en"), None, None)
    with pytest.raises(PluginError, match="in the order"):
        hook.on_page_markdown('{% call figure("alpha", "width", "x") %}c{% endcall %}', _page("alpha.md", "en"), None, None)



@pytest.mark.parametrize("mkdocs_level, expected", [(logging.INFO, logging.WARNING), (logging.DEBUG, logging.DEBUG)])
def test_libraries_are_quiet_unless_mkdocs_is_verbose(monkeypatch, mkdocs_level, expected):
    mkdocs_logger = logging.getLogger("mkdocs")
    monkeypatch.setattr(mkdocs_logger, "level", mkdocs_level)
    hook.quiet_libraries()
    assert all(logging.getLogger(name).level == expected for name in hook.CHATTY_LOGGERS)
