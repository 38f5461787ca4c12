"""The shape every snippet module must have (CONTRIBUTING.md, "A snippet module"), for every
reason: sections, demos, notebook cells, results, figures in both languages."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import importlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from conftest import DOCS, ROOT, built_results
from sitebuild import cache

NAMES = cache.snippet_names()
SECTION = re.compile(r"^# --8<-- \[(start|end):([\w-]+)\]$", re.M)
FINAL_CELL = '''# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")'''


def source(name: str) -> str:
    return (cache.SNIPPETS_DIR / f"{name}.py").read_text(encoding="utf-8")


def sections(name: str) -> dict[str, str]:
    text = source(name)
    marks = SECTION.findall(text)
    starts = [n for kind, n in marks if kind == "start"]
    assert marks == [(kind, n) for n in starts for kind in ("start", "end")], f"{name}: unbalanced sections"
    return {n: text.split(f"# --8<-- [start:{n}]\n")[1].split(f"# --8<-- [end:{n}]")[0] for n in starts}


def test_there_are_snippets():
    assert NAMES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_cells_and_sections(name):
    text = source(name)
    assert text.startswith('# %% [markdown] lang="en"\n# # '), f"{name}: the notebook must open with a title cell"
    last_cell = "# %%" + text.rstrip().rsplit("\n# %%", 1)[1]
    assert last_cell.startswith(FINAL_CELL), f"{name}: the last cell must be:\n{FINAL_CELL}"
    found = sections(name)
    assert found, f"{name}: no section to show"
    for section, body in found.items():
        before = text.split(f"# --8<-- [start:{section}]")[0].rstrip("\n").splitlines()[-1]
        assert before == "# %%", f"{name}:{section} must start its own notebook cell"
        assert "# %%" not in body, f"{name}:{section} spans several cells"
        assert 'if __name__ == "__main__":' in body, f"{name}:{section} has no demo a reader sees"


@pytest.mark.parametrize("name", NAMES)
def test_every_section_is_shown_on_its_page_in_both_languages(name):
    slug = cache.slug(name)
    for page in (DOCS / f"{slug}.md", DOCS / f"{slug}.zh.md"):
        included = set(re.findall(rf'--8<-- "{name}\.py:([\w-]+)"', page.read_text(encoding="utf-8")))
        assert included == set(sections(name)), f"{page.name} shows {sorted(included)}, the module has {sorted(sections(name))}"


# Imports every snippet module in one fresh interpreter (importing torch once, not 14 times) and
# reports, per module, what its import printed or raised.
IMPORT_EACH = """
import contextlib, importlib, io, json, sys, traceback
report = {}
for name in sys.argv[1:]:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            importlib.import_module(f"snippets.{name}")
        report[name] = {"printed": printed.getvalue(), "error": None}
    except BaseException:
        report[name] = {"printed": printed.getvalue(), "error": traceback.format_exc()}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def imports() -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *NAMES], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", NAMES)
def test_import_runs_nothing(imports, name):
    assert imports[name]["error"] is None, imports[name]["error"]
    assert imports[name]["printed"] == "", f"importing snippets.{name} printed output: experiments ran at import"


@pytest.mark.parametrize("name", NAMES)
def test_results_and_figures_in_both_languages(name):
    module = importlib.import_module(f"snippets.{name}")
    assert set(module.LABELS) == {"en", "zh"}
    assert module.LABELS["en"].keys() == module.LABELS["zh"].keys()
    results = cache.ensure([name])[name].results  # the build's cached run (runs it if stale)
    assert json.loads(json.dumps(results)) == results
    drawn = {}
    try:
        for lang in ("en", "zh"):
            drawn[lang] = module.figures(results, lang)
            for fig_name, fig in drawn[lang].items():
                assert re.fullmatch(r"[a-z][a-z0-9_]*", fig_name)
                assert isinstance(fig, matplotlib.figure.Figure)
                assert fig.get_size_inches()[0] <= 6.4 + 1e-9, f"{fig_name} is too wide for a phone"
                for ax in fig.axes:
                    assert ax.get_subplotspec().get_gridspec().ncols <= 2, f"{fig_name}: over 2 panels per row"
        assert drawn["en"].keys() == drawn["zh"].keys()
    finally:
        plt.close("all")


@pytest.mark.parametrize("name", NAMES)
def test_figure_colours_come_from_the_site_palette(name):
    """"C8" and beyond would silently wrap around the palette and repeat a colour."""
    from sitebuild import style

    used = {int(n) for n in re.findall(r"""["']C(\d+)["']""", source(name))}
    for theme, palette in style.PALETTES.items():
        assert all(n < len(palette) for n in used), f"{name}: colour C{max(used)} is not in the {theme} palette"


def artist_colours(fig) -> list[tuple[str, str, str]]:
    """Every colour the figure's artists hold, in drawing order: (artist, property, #rrggbbaa)."""
    import matplotlib.colors
    import matplotlib.image
    import numpy as np

    found = []
    for artist in fig.findobj():
        for prop in ("color", "facecolor", "edgecolor", "markerfacecolor", "markeredgecolor"):
            getter = getattr(artist, f"get_{prop}", None)
            if getter is None or isinstance(artist, matplotlib.image.AxesImage):
                continue  # an image's colours come from its colormap, the same in both themes
            value = getter()
            if isinstance(value, str) and value in ("none", "auto"):
                continue
            for rgba in np.atleast_2d(matplotlib.colors.to_rgba_array(value)):
                found.append((type(artist).__name__, prop, matplotlib.colors.to_hex(rgba, keep_alpha=True)))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_dark_figures_are_the_light_ones_recoloured(name):
    """The build draws each figure once, in the light theme, and makes the dark SVG by swapping
    each theme colour for its dark twin (sitebuild.style.dark_svg). That is right only if drawing in
    the dark theme would change exactly those colours: a colour that a snippet derives from the
    palette (a blend, a lightened "C0") or a theme colour typed by hand would break it. So draw
    both themes and compare every artist's colours."""
    import matplotlib.pyplot as plt

    from sitebuild import style

    module = importlib.import_module(f"snippets.{name}")
    results = built_results(name)
    try:
        drawn = {}
        for theme in style.THEMES:
            with style.theme(theme):
                drawn[theme] = {fig_name: artist_colours(fig) for fig_name, fig in module.figures(results, "en").items()}
            plt.close("all")
        for fig_name, light in drawn["light"].items():
            dark = drawn["dark"][fig_name]
            assert len(light) == len(dark), f"{name}/{fig_name}: the themes draw different artists"
            for (artist, prop, colour), (_, _, dark_colour) in zip(light, dark):
                rgb, alpha = colour[:7], colour[7:]
                expected = style.DARK_OF.get(rgb, rgb) + alpha
                assert dark_colour == expected, (
                    f"{name}/{fig_name}: {artist}.{prop} is {colour} in the light theme and {dark_colour} "
                    f"in the dark one, but recolouring makes it {expected}"
                )
    finally:
        plt.close("all")


def test_recolouring_swaps_every_theme_colour_once():
    """Each light colour becomes its dark twin in one pass: none is swapped twice, and nothing
    else in the SVG changes."""
    from sitebuild import style

    light = "".join(f'<path style="fill: {c}; stroke: {c}"/>' for c in style.DARK_OF) + '<path fill="#123456"/>'
    dark = style.dark_svg(light)
    assert dark == "".join(f'<path style="fill: {c}; stroke: {c}"/>' for c in style.DARK_OF.values()) + '<path fill="#123456"/>'
    assert not set(style.DARK_OF) & set(style.DARK_OF.values()), "a colour is in both themes"
