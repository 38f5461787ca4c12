"""Advice that several pages give is stated once, and no page states another.

Two pages once gave opposite advice on the tanh gain (one recommended PyTorch's 5/3, the other
showed that 5/3 makes a deep tanh stack chaotic). A recommendation that appears on several pages
now lives in one partial per language (`partials/NAME.<lang>.md`, rendered by Jinja from the
snippets' results), every page that gives it includes that partial, and these tests fail when a
page types the advice, or a value it rests on, in its own words.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import DOCS, LANGS, ROOT, english_pages, twin

PARTIALS = ROOT / "partials"


def include_line(name: str) -> str:
    return '{% include "' + name + '." ~ lang ~ ".md" %}'


# name -> (pages that give this advice and must include the partial,
#          patterns that state the advice or its numbers by hand, which no page may contain)
RULES: dict[str, tuple[list[str], list[tuple[str, re.Pattern]]]] = {
    # Which gain for which activation, by depth and goal (numbers from snippets/initialization.py).
    "gains": (
        ["initialization.md", "edge-of-chaos.md"],
        [
            ("a typed tanh gain (5/3)", re.compile(r"(?<![\d.])5\s*/\s*3(?![\d])|\\t?frac\s*\{?5\}?\s*\{?3\}?")),
            ("a typed tanh gain squared (25/9)", re.compile(r"(?<![\d.])25\s*/\s*9(?![\d])")),
            ("a typed value of calculate_gain", re.compile(
                r"calculate_gain\([^)]*\)`?\s*(?:=|is|returns|gives|为|是|返回|等于)\s*(?:\$|\d|√|\\sqrt)")),
            ("a Kaiming/ReLU gain recommended for GELU or SiLU", re.compile(
                r"(?i)(?:GELU|SiLU)[^.\n。]{0,40}(?:kaiming_\w+\(|nonlinearity=\"relu\")")),
        ],
    ),
    # Where to put a normalization layer relative to the activation.
    "placement": (
        ["batch-norm.md", "putting-it-together.md"],
        [
            ("a hand-written rule that BatchNorm must go before/after the activation", re.compile(
                r"(?i)(?:always|must)\s+(?:put|place|go|come)\w*\s+(?:BatchNorm|BN|normalization)"
                r"[^.\n]{0,20}(?:before|after)|(?:BatchNorm|BN)\s*(?:必须|一定要|总是)(?:放在|位于)")),
        ],
    ),
}

JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def prose(path: Path) -> str:
    """A page's own words: Jinja expressions (numbers computed at build time) removed."""
    return JINJA_EXPRESSION.sub(" ", path.read_text(encoding="utf-8"))


def all_pages() -> list[Path]:
    return [twin(page, lang) for page in english_pages() for lang in LANGS]


@pytest.mark.parametrize("name", RULES)
def test_partial_exists_in_every_language_with_the_same_numbers(name):
    texts = {lang: (PARTIALS / f"{name}.{lang}.md").read_text(encoding="utf-8") for lang in LANGS}
    expressions = {lang: sorted(re.findall(r"\{\{\s*(.*?)\s*\}\}", text)) for lang, text in texts.items()}
    assert expressions["en"], f"partials/{name}.en.md computes nothing: its numbers must come from results"
    assert expressions["en"] == expressions["zh"], f"partials/{name}: the languages show different numbers"


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("lang", LANGS)
def test_pages_that_give_the_advice_include_it(name, lang):
    missing = [
        twin(DOCS / page, lang).name
        for page in RULES[name][0]
        if include_line(name) not in twin(DOCS / page, lang).read_text(encoding="utf-8")
    ]
    assert not missing, f"{missing} give the '{name}' advice but do not include partials/{name}.{lang}.md"


@pytest.mark.parametrize("name", RULES)
def test_no_page_states_the_advice_in_its_own_words(name):
    found = [
        f"{page.name}: {label}: {match.group(0)!r}"
        for page in all_pages()
        for label, pattern in RULES[name][1]
        for match in pattern.finditer(prose(page))
    ]
    assert not found, (
        f"state this through partials/{name}.<lang>.md or numbers from the snippets' results:\n  "
        + "\n  ".join(found)
    )


@pytest.mark.parametrize("name", RULES)
def test_patterns_catch_what_they_are_for(name):
    """Each pattern fires on the kind of sentence it exists to forbid (so none is dead)."""
    examples = {
        "a typed tanh gain (5/3)": "use the tanh gain $5/3$",
        "a typed tanh gain squared (25/9)": "which gives $\\sigma_w^2 = 25/9$",
        "a typed value of calculate_gain": '`calculate_gain("tanh")` = $5/3$',
        "a Kaiming/ReLU gain recommended for GELU or SiLU": 'GELU and SiLU: `kaiming_normal_(w)`',
        "a hand-written rule that BatchNorm must go before/after the activation":
            "you must place BatchNorm before the activation",
    }
    for label, pattern in RULES[name][1]:
        assert pattern.search(examples[label]), f"pattern for {label!r} matches nothing it should"


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_the_same_advice(site, name, lang):
    """In the built site, the advice reads the same on every page that gives it (a link is
    compared by where it points: `./#depth` on one page is `../initialization/#depth` on another)."""
    marker = re.compile(rf'<div class="n01-advice n01-advice-{name}">(.*?)</div>\s*<!-- /n01-advice -->', re.S)
    rendered = {}
    for page in RULES[name][0]:
        url = ("" if lang == "en" else f"{lang}/") + page.removesuffix(".md") + "/"
        blocks = marker.findall(site.html(url))
        assert len(blocks) == 1, f"{url}: expected the '{name}' advice once, found {len(blocks)}"
        rendered[url] = re.sub(
            r'href="([^"]*)"', lambda m: f'href="{urljoin("/" + url, m[1])}"', blocks[0]
        )
    assert len(set(rendered.values())) == 1, f"the '{name}' advice differs between {list(rendered)}"
