"""The one plotting style of the site: a light and a dark theme, and the CJK font check.

Snippet modules never set colours or fonts. `figures(results, lang)` draws with matplotlib's
defaults and the colour cycle ("C0", "C1", ...); the build wraps that call in `theme("light")`,
so one drawing function yields the figure of both languages. The two themes differ only in the
colours below, so the dark figure is the light SVG with each colour swapped for its dark twin
(`dark_svg`): drawing and exporting a figure a second time cost half the export
(tests/test_snippet_contract.py checks, artist by artist, that drawing in the dark theme gives the same
colours).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import matplotlib
from matplotlib import font_manager

CJK_FAMILY = "Noto Sans CJK SC"
CJK_PACKAGE = "fonts-noto-cjk"  # Debian/Ubuntu package that provides CJK_FAMILY

# Okabe-Ito based palettes, chosen for colour-blind readers and for >= 3:1 contrast of lines
# against the page background of each Material scheme (white, and slate #1e2129). As in
# matplotlib's default cycle, "C7" is a neutral grey (reference lines, theory curves). Snippets
# use "C0" to "C7" only: matplotlib would wrap "C8" back to "C0" (tests/test_snippet_contract.py).
# "C4" is near-black, not #000000: matplotlib's SVG leaves out a black fill (black is SVG's
# default), and a colour that is not written cannot be recoloured for the dark theme.
PALETTES = {
    "light": ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#111111", "#8C6D00", "#6F4E9C", "#6E7781"],
    "dark": ["#56B4E9", "#E69F00", "#2FD1A0", "#F0A3D0", "#F0E442", "#FF8A5C", "#B79CED", "#9BA3AD"],
}
INK = {"light": "#1f2328", "dark": "#e3e6ea"}  # text, axes and ticks
GRID = {"light": "#d0d7de", "dark": "#444c56"}

THEMES = tuple(PALETTES)
# Each light colour and its dark twin, as matplotlib writes them into an SVG (lower-case hex).
DARK_OF = {
    light.lower(): dark.lower()
    for light, dark in [*zip(PALETTES["light"], PALETTES["dark"]), (INK["light"], INK["dark"]),
                        (GRID["light"], GRID["dark"])]
}
_LIGHT_COLOUR = re.compile("|".join(DARK_OF))
LANGS = ("en", "zh")


def has_cjk_font() -> bool:
    """True when matplotlib can find the font that the Chinese figures need."""
    try:
        font_manager.findfont(CJK_FAMILY, fallback_to_default=False)
    except ValueError:
        return False
    return True


def rc(theme: str) -> dict:
    """matplotlib rcParams for one theme. Text becomes paths: readers need no CJK font."""
    ink, palette = INK[theme], PALETTES[theme]
    return {
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "figure.facecolor": "none",  # transparent: the page's background shows through
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.transparent": True,
        "font.family": ["DejaVu Sans", CJK_FAMILY],
        "font.size": 12,
        "axes.titlesize": 12,
        "axes.labelsize": 12,
        "legend.fontsize": 10.5,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "axes.grid": True,
        "grid.color": GRID[theme],
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=palette),
        "lines.linewidth": 1.8,
        "patch.edgecolor": ink,
        "legend.frameon": False,
        "legend.labelcolor": ink,
        "hatch.color": ink,
        # Byte-identical SVGs on every rebuild: text as paths, fixed ids, no date.
        "svg.fonttype": "path",
        "svg.hashsalt": "why-n01",
        "axes.unicode_minus": True,
    }


@contextlib.contextmanager
def theme(name: str) -> Iterator[None]:
    """Draw inside this context to get the site's look for `name` ("light" or "dark")."""
    with matplotlib.rc_context(rc(name)):
        yield


def save_svg(fig, path) -> None:
    """Save `fig` as a reproducible SVG (no creation date, fixed element ids)."""
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")


def dark_svg(light: str) -> str:
    """The dark figure: the light theme's SVG with every theme colour replaced by its dark twin,
    in one pass (so no colour is swapped twice). Colours that are not the theme's (a colormap,
    an embedded image) stay as they are, as they would when drawn in the dark theme."""
    return _LIGHT_COLOUR.sub(lambda match: DARK_OF[match.group(0)], light)
