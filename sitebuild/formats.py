"""How numbers and figure references are written, on the pages and in the notebooks alike.

Jinja filters (`{{ x | fixed(2) }}`, `pct`, `sci`, `share`, `filesize`) and the figure label of each
language ("Figure 3" / "图3"). The hook renders pages with them, sitebuild.notebooks renders the
notebooks' Markdown cells with them: one way of writing a number for the whole site.
"""

from __future__ import annotations

import math

import jinja2


def fixed(value: float, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]  # a small negative number rounds to 0, not to "-0.00"
    return text


def pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(value: float, digits: int = 1) -> str:
    """3.2×10⁻⁵ (plain text, so it reads the same in prose, tables and search)."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    exponent = math.floor(math.log10(abs(value)))
    mantissa = value / 10**exponent
    if round(abs(mantissa), digits) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits}f}×10{str(exponent).translate(_SUPERSCRIPT)}"


def share(value: float, digits: int = 1) -> str:
    """A share that may be tiny: 12.3% down to 0.1%, then 3.2×10⁻⁵; 0 when it is 0 in float64."""
    if value == 0:
        return "0"
    return pct(value, digits) if value >= 0.001 else sci(value, digits)


def filesize(size: int) -> str:
    """A byte count as readers see it in a file manager: 436 kB, 4.6 MB (SI units)."""
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(1, round(size / 1e3))} kB"


FILTERS = {"fixed": fixed, "pct": pct, "sci": sci, "share": share, "filesize": filesize}

# GLOSSARY.md: "Figure 3" in English, "图3" in Chinese (no space between Chinese and a number).
FIGURE_WORD = {"en": "Figure {}", "zh": "图{}"}


def figure_label(lang: str, number: int) -> str:
    return FIGURE_WORD[lang].format(number)


def figure_range(lang: str, count: int) -> str:
    """All of a page's figures: "Figures 1–5" / "图1至图5" ("Figures 1 and 2" / "图1和图2" for
    two, "Figure 1" / "图1" for one)."""
    if count == 1:
        return figure_label(lang, 1)
    if count == 2:
        return {"en": "Figures 1 and 2", "zh": "图1和图2"}[lang]
    return {"en": f"Figures 1–{count}", "zh": f"图1至图{count}"}[lang]


def figure_anchor(name: str) -> str:
    """The id of a figure on its page: `{{ fig("depth_std") }}` links here."""
    return "fig-" + name.replace("_", "-")


def environment(**options) -> jinja2.Environment:
    """A strict Jinja environment (an unknown key is an error) with the site's filters."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False, **options)
    env.filters.update(FILTERS)
    return env
