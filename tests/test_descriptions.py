"""Every page has its own description, in its language, and the built page's <meta> carries it."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from conftest import DOCS, LANGS, english_pages, twin
from test_site import page_url

# MkDocs' own front matter rule: '---' on the first line, YAML, then '---' (or '...').
FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:-{3}|\.{3})[ \t]*\n", re.S)
HAN = re.compile(r"[\u4e00-\u9fff]")
META = re.compile(r'<meta\s+name="description"\s+content="([^"]*)"\s*/?>')
LENGTHS = {"en": (80, 170), "zh": (30, 100)}
PAGE_IDS = {"ids": lambda p: str(p.relative_to(DOCS))}


def description(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    assert match, f"{page.name}: no front matter block at the very top"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{page.name}: the front matter is not a mapping"
    value = meta.get("description")
    assert isinstance(value, str) and value.strip(), f"{page.name}: no `description:` string"
    return value


@pytest.mark.parametrize("page", english_pages(), **PAGE_IDS)
def test_page_has_a_description_in_its_language(page):
    en, zh = description(page), description(twin(page, "zh"))
    for lang, value in (("en", en), ("zh", zh)):
        low, high = LENGTHS[lang]
        assert low <= len(value) <= high, (
            f"{twin(page, lang).name}: description has {len(value)} characters, not {low}–{high}"
        )
        # Material writes page.meta.description into content="..." without escaping.
        assert not set(value) & set('"<>&'), f"{twin(page, lang).name}: description needs HTML escaping"
    assert HAN.search(zh), f"{twin(page, 'zh').name}: the description is not in Chinese"
    assert not HAN.search(en), f"{page.name}: the English description contains Chinese"
    assert en != zh, f"{page.name}: the two languages share one description"


def test_descriptions_are_unique():
    seen: dict[str, str] = {}
    for page in english_pages():
        for lang in LANGS:
            path = twin(page, lang)
            value = description(path)
            assert value not in seen, f"{path.name} repeats the description of {seen[value]}"
            seen[value] = path.name


@pytest.mark.parametrize("lang", LANGS)
def test_built_pages_carry_their_description(site, lang):
    for page in english_pages():
        url = page_url(page, lang)
        found = META.findall(site.html(url))
        assert len(found) == 1, f"/{url}: {len(found)} <meta name=\"description\"> tags"
        assert html.unescape(found[0]) == description(twin(page, lang)), (
            f"/{url}: <meta name=\"description\"> is {found[0]!r}, not the page's front matter"
        )
