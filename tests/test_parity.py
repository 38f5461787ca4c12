"""English and Chinese pages are equals: same anchors, includes, figures, numbers, code and links."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import DOCS, FIGURE, LANGS, english_pages, twin

ANCHOR = re.compile(r"^#{1,6} .*\{ #([\w-]+)[^}]*\}\s*$", re.M)
HEADING = re.compile(r"^#{1,6} ", re.M)
INCLUDE = re.compile(r"^\s*--8<--.*$", re.M)
NUMBER = re.compile(r"\{\{\s*([a-z_]\w*(?:\.\w+)+)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s#]+\.(?:md|ipynb))(#[\w-]+)?\)")


def structure(text: str) -> dict:
    return {
        "anchors": ANCHOR.findall(text),
        "includes": [line.strip() for line in INCLUDE.findall(text)],
        "figures": FIGURE.findall(text),
        "numbers": sorted(Counter(NUMBER.findall(text)).keys()),
        "code blocks": FENCE.findall(text),
        "links": sorted(set(LINK.findall(text))),
    }


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_page_has_its_translation():
    missing = [
        str(twin(page, lang).relative_to(DOCS))
        for page in english_pages()
        for lang in LANGS
        if not twin(page, lang).exists()
    ]
    orphans = [
        str(p.relative_to(DOCS))
        for p in DOCS.rglob("*.zh.md")
        if not p.with_name(p.name.replace(".zh.md", ".md")).exists()
    ]
    assert not missing, f"pages without their translation: {missing}"
    assert not orphans, f"Chinese pages without an English page: {orphans}"


@pytest.mark.parametrize("page", english_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_translation_has_the_same_structure(page):
    chinese = twin(page, "zh")
    if not chinese.exists():
        pytest.fail(f"{chinese.relative_to(DOCS)} is missing")
    en, zh = structure(read(page)), structure(read(chinese))
    for part in en:
        assert en[part] == zh[part], (
            f"{page.relative_to(DOCS)} and {chinese.relative_to(DOCS)} differ in their {part}:\n"
            f"  en: {en[part]}\n  zh: {zh[part]}"
        )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", english_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_heading_has_an_explicit_anchor(page, lang):
    text = FENCE.sub("", read(twin(page, lang)))
    headings = len(HEADING.findall(text))
    anchors = len(ANCHOR.findall(text))
    assert headings == anchors, f"{twin(page, lang).name}: {headings - anchors} heading(s) lack {{ #anchor }}"
