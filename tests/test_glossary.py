"""Chinese pages follow GLOSSARY.md: a term's other common names appear at most once per page."""

from __future__ import annotations

import re

import pytest

from conftest import DOCS, ROOT


def avoided_terms() -> dict[str, str]:
    """{avoided name: the glossary's translation} from the table's third column."""
    terms = {}
    for line in (ROOT / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2] and not set(cells[2]) <= {"-"} and cells[2] != "avoid":
            for name in re.split(r"\s*,\s*", cells[2]):
                terms[name] = cells[1]
    return terms


def test_glossary_lists_avoided_names():
    assert "批量归一化" in avoided_terms()


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.zh.md")), ids=lambda p: p.name)
def test_chinese_page_follows_the_glossary(page):
    text = page.read_text(encoding="utf-8")
    for name, preferred in avoided_terms().items():
        count = text.count(name)
        assert count <= 1, f"{page.name} uses '{name}' {count} times: the glossary says '{preferred}'"


CJK = r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
LATIN = r"[A-Za-z0-9`$*]"
SPACED = re.compile(rf"{CJK} +{LATIN}|{LATIN} +{CJK}")


def prose_lines(text: str):
    """Lines of prose: no fenced code, no template expressions, no heading anchors."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    for number, line in enumerate(text.splitlines(), 1):
        line = re.sub(r"\{\{.*?\}\}|\{ #[\w-]+ \}", "", line)
        yield number, line


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.zh.md")), ids=lambda p: p.name)
def test_no_space_between_chinese_and_latin(page):
    bad = [f"{page.name}:{n}: {m.group(0)!r}" for n, line in prose_lines(page.read_text(encoding="utf-8"))
           for m in SPACED.finditer(line)]
    assert not bad, "d2l-zh style: no space between Chinese and Latin/code/math:\n" + "\n".join(bad[:15])
