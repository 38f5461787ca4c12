"""Chinese pages follow GLOSSARY.md: a term's other common names appear only where the term is introduced."""

from __future__ import annotations

import importlib
import re

import pytest

from conftest import DOCS, ROOT
from sitebuild import cache

PARTIALS = ROOT / "partials"


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


# The one parenthesis that introduces a term may give the names readers know from elsewhere.
INTRODUCTION = re.compile(r"（[^（）]*(?:也译作|也称)[^（）]*）")


def avoided_uses(text: str) -> list[str]:
    """The avoided names in `text`, outside an introducing parenthesis."""
    text = INTRODUCTION.sub("", text)
    return [f"'{name}' (the glossary says '{preferred}')"
            for name, preferred in avoided_terms().items() if name in text]


def test_an_introduction_may_name_the_avoided_terms():
    assert not avoided_uses("批归一化（BatchNorm，也译作批量归一化）")
    assert avoided_uses("我们用批量归一化。")


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.zh.md")) + sorted(PARTIALS.glob("*.zh.md")),
                         ids=lambda p: p.name)
def test_chinese_page_follows_the_glossary(page):
    bad = avoided_uses(page.read_text(encoding="utf-8"))
    assert not bad, f"{page.name} uses " + ", ".join(bad)


@pytest.mark.parametrize("name", cache.snippet_names())
def test_chinese_figure_labels_follow_the_glossary(name):
    labels = importlib.import_module(f"snippets.{name}").LABELS["zh"]
    bad = avoided_uses(" ".join(str(v) for v in labels.values()))
    assert not bad, f"snippets/{name}.py LABELS['zh'] uses " + ", ".join(bad)


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


CJK_CHAR = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’…—]")
BLOCK_START = re.compile(r"(\||#|!!!|\?\?\?|[-*+] |\d+\. |<|\{\{ figure|\{%|--8<--|```|\$\$)")


def broken_chinese_lines(text: str):
    """Consecutive lines of one paragraph where a Chinese character meets the line break: the
    browser renders the break as a space inside the sentence."""
    def blank(match):  # keep the line numbers
        return "\n" * match[0].count("\n")

    text = re.sub(r"\A---\n.*?\n---\n", blank, text, flags=re.S)
    text = re.sub(r"^```.*?^```", blank, text, flags=re.M | re.S)
    lines = text.splitlines()
    for number, (a, b) in enumerate(zip(lines, lines[1:]), 1):
        first, second = a.strip(), b.strip()
        if not first or not second or BLOCK_START.match(first) or BLOCK_START.match(second):
            continue
        if CJK_CHAR.match(first[-1]) or CJK_CHAR.match(second[0]):
            yield number, first[-12:] + " ⏎ " + second[:12]


def test_line_break_check_sees_a_broken_sentence():
    assert list(broken_chinese_lines("第一行的句子\n继续写下去。\n"))
    assert not list(broken_chinese_lines("第一段。\n\n第二段。\n- 列表\n- 列表\n"))


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.zh.md")) + sorted(PARTIALS.glob("*.zh.md")),
                         ids=lambda p: p.name)
def test_no_line_break_inside_a_chinese_sentence(page):
    bad = [f"{page.name}:{n}: {s}" for n, s in broken_chinese_lines(page.read_text(encoding="utf-8"))]
    assert not bad, "a line break inside a Chinese paragraph renders as a space:\n" + "\n".join(bad[:15])


@pytest.mark.parametrize("name", cache.snippet_names())
def test_chinese_labels_do_not_mix_chinese_and_mathtext(name):
    """A label with $...$ is drawn entirely by matplotlib's mathtext, whose fonts have no Chinese
    glyphs: the Chinese characters and full-width punctuation come out as empty boxes."""
    labels = importlib.import_module(f"snippets.{name}").LABELS["zh"]
    bad = [f"{key}: {value!r}" for key, value in labels.items()
           if "$" in str(value) and re.search(CJK, str(value))]
    assert not bad, f"snippets/{name}.py LABELS['zh']:\n" + "\n".join(bad)
