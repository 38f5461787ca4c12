"""One citation style in both languages (GLOSSARY.md, "Citations / 引用格式").

A citation is the same Latin string on the English and the Chinese page: `Ioffe & Szegedy 2015`,
`He et al. 2015, §2.2`, inside the page's parentheses or as the subject of a sentence. These tests
fail on the forms that used to drift in ("Ioffe和Szegedy，2015", "Poole等人2016", "He et al., CVPR
2016", "Glorot & Bengio (2010", a yearless "He等人表明"), and when a Chinese page cites other works,
or the same works in another order, than its English twin.

The Sources list at the end of a page is a bibliography, not a citation: its entries begin with
the authors' initials and names as the paper gives them ("X. Glorot and Y. Bengio, ...",
"M. Dehghani et al., ...") and end with the venue. That author field is exempt; the annotations
after the title are checked like the prose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import DOCS, ROOT

PARTIALS = ROOT / "partials"
PAGES = sorted(DOCS.rglob("*.md")) + sorted(PARTIALS.glob("*.md"))

# A surname: capitalized, possibly hyphenated (Sohl-Dickstein, Loaiza-Ganem) or with a lower-case
# particle (van Laarhoven).
LETTER = r"[A-Za-zÀ-ÖØ-öø-ÿ'’]"
NAME = rf"(?:(?:van|von|de|der|den|du|da|di)\s+)?[A-Z]{LETTER}*(?:-[A-Z]{LETTER}*)*(?!{LETTER}|-)"
YEAR = r"(?:19|20)\d\d[a-z]?(?![A-Za-z0-9])"
# Words that can stand before a year without being an author: sentence openers and venues (venues
# are dropped from citations; they appear only in the Sources list).
NOT_AUTHORS = {"In", "Since", "From", "By", "Until", "Before", "After", "Around", "Circa", "The"}
VENUES = ("CVPR", "ICCV", "ECCV", "ICML", "ICLR", "NeurIPS", "NIPS", "AISTATS", "EMNLP", "ACL",
          "COLT", "UAI", "AAAI", "IJCAI", "JMLR", "TPAMI", "TMLR")

# The one extraction pattern: `Name YEAR`, `Name & Name YEAR`, `Name et al. YEAR`.
CITATION = re.compile(
    rf"(?<![A-Za-z0-9.\-’'])(?P<authors>{NAME}(?:\s+&\s+{NAME}|\s+et\s+al\.)?)\s+(?P<year>{YEAR})")

# A venue before a year is not an author (the Sources list gives venues; their annotations are prose).
NOT_VENUE = rf"(?<![A-Za-z])(?!(?:{'|'.join(VENUES)})\s)"

# Capitalized words of this site's prose that are not authors (a list "BatchNorm, Ioffe & Szegedy
# 2015" is not three authors).
NOT_NAMES = ("BatchNorm", "LayerNorm", "RMSNorm", "GroupNorm", "PyTorch", "ReLU", "GELU", "SiLU", "Adam",
             "AdamW", "SGD", "Transformer", "ResNet", "MNIST", "CIFAR", "Xavier", "Kaiming")
NOT_NAME = rf"(?!(?:{'|'.join(NOT_NAMES)})(?![A-Za-z]))"
FIRST_NAME = rf"(?<![A-Za-z.]){NOT_NAME}{NAME}"

# Forms that drift from the style, with what to write instead. DRIFT applies to the whole page,
# the Sources annotations included; PROSE_DRIFT only before the Sources list, whose entries end
# with "Venue, Year" as a bibliography does.
CHINESE_LOCATION = r"(?:图|式|第|定理|定义|附录|表|算法|脚注|章|节)"
DRIFT: list[tuple[str, re.Pattern]] = [
    ("'等人' (write 'et al.')", re.compile(r"等人")),
    ("'Name等' (write 'Name et al. Year')", re.compile(rf"{NAME}等(?:，|,|\s*(?:19|20)\d\d)")),
    ("'et al.,' (no comma between authors and year)", re.compile(r"et\s+al\.\s*[,，]")),
    ("'et al. (' (no parenthesis between authors and year)", re.compile(r"et\s+al\.\s*[(（]")),
    ("'et al' without its full stop", re.compile(r"\bet\s+al\b(?!\.)")),
    ("'et al.' without a year (every citation carries its year)",
     re.compile(rf"et\s+al\.(?!\s+{YEAR})")),
    ("two authors joined by 'and'/'和'/'与' (write 'A & B Year')",
     re.compile(rf"{FIRST_NAME}\s*(?:\band\b|和|与)\s*{NAME}[^\n。.;；]{{0,12}}?(?<!\d)(?:19|20)\d\d(?!\d)")),
    ("two authors joined by 'and'/'和'/'与' before a parenthesis (write 'A & B Year (§n)')",
     re.compile(rf"{FIRST_NAME}\s*(?:\band\b|和|与)\s*{NAME}\s*[(（]")),
    ("'Name & Name' without a year", re.compile(rf"{NAME}\s+&\s+{NAME}(?!\s+{YEAR})")),
    ("'Name Year年' (the year is part of the citation)", re.compile(rf"{NOT_VENUE}{CITATION.pattern}\s*年")),
]
PROSE_DRIFT: list[tuple[str, re.Pattern]] = [
    ("a Chinese location word after a citation (write §, Fig., Eq., Alg., Table ...)",
     re.compile(rf"{NOT_VENUE}{CITATION.pattern}\s*[,，]\s*{CHINESE_LOCATION}")),
    ("'eq.'/'Algorithm'/'Figure' after a citation (write Eq. (n), Alg. n, Fig. n)",
     re.compile(rf"{NOT_VENUE}{CITATION.pattern}\s*,\s*(?:eq\.|Algorithm|Figure|fig\.)")),
    ("three or more authors listed (write 'First et al. Year')",
     re.compile(rf"{FIRST_NAME}\s*[,、]\s*{NAME}(?:\s*[,、]\s*{NAME})*\s*,?\s*(?:&|\band\b|和|与)\s*{NAME}"
                rf"\s*[(（,，]?\s*{YEAR}")),
    ("'Name (Year' (no parenthesis between authors and year)",
     re.compile(rf"{NAME}\s*[(（]\s*(?:19|20)\d\d(?!\d)")),
    ("'Name, Year' (no comma between authors and year)",
     re.compile(rf"(?<![A-Za-z0-9*.])(?!(?:{'|'.join(NOT_AUTHORS)})\b){NAME}\s*[,，]\s*(?:19|20)\d\d(?!\d)")),
    ("a venue in a citation (venues appear only in the Sources list)",
     re.compile(rf"\b(?:{'|'.join(VENUES)})\s+(?:19|20)\d\d")),
]

SOURCES = re.compile(r"^##\s.*\{ #sources \}\s*$", re.M)
ENTRY_AUTHORS = re.compile(r"^- [^\"“*\n]*", re.M)
QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def split_sources(text: str) -> tuple[str, str]:
    """(the prose, the Sources list) of a page; a partial has no Sources list."""
    found = SOURCES.search(text)
    return (text, "") if not found else (text[:found.start()], text[found.start():])


def checked_text(text: str) -> str:
    """The page with each Sources entry's author field and the quoted titles blanked (the
    bibliography keeps the paper's own author list and title); everything else, the Sources
    annotations included, is checked. Blanking keeps the line numbers."""
    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match[0])

    prose, sources = split_sources(text)
    sources = ENTRY_AUTHORS.sub(lambda m: "- " + blank(m)[2:], sources)
    return prose + QUOTED.sub(blank, sources)


def drift(text: str) -> list[str]:
    """Every drifting citation form in `text`, with its line."""
    text = checked_text(text)
    prose, _ = split_sources(text)
    found = []
    for checked, rules in ((text, DRIFT), (prose, PROSE_DRIFT)):
        for what, pattern in rules:
            for m in pattern.finditer(checked):
                found.append((m.start(), f"line {checked.count(chr(10), 0, m.start()) + 1}: {m[0]!r}: {what}"))
    return [message for _, message in sorted(found)]


def citations(text: str) -> list[str]:
    """The citations of a page's prose, in order, as 'Authors Year' (whitespace normalized)."""
    prose, _ = split_sources(text)
    out = []
    for m in CITATION.finditer(prose):
        authors = " ".join(m["authors"].split())
        if authors in NOT_AUTHORS or authors in VENUES:
            continue
        out.append(f"{authors} {m['year']}")
    return out


# --- the patterns themselves ---------------------------------------------------------------

GOOD = [
    "Batch normalization (Ioffe & Szegedy 2015) standardizes",
    "the variance (He et al. 2015, §2.2).",
    "He et al. 2015 showed that",
    "（He et al. 2015，§2.2）",
    "He et al. 2015表明，",
    "Glorot & Bengio 2010, Fig. 6",
    "（Glorot & Bengio 2010，Fig. 6）",
    "Vaswani et al. 2017, §3.2.1, footnote 4",
    "(He et al. 2015, Eq. (10))",
    "(Kingma & Ba 2015, Alg. 1)",
    "（Poole et al. 2016；Schoenholz et al. 2017）",
    "van Laarhoven 2017 shows",
    "(Loaiza-Ganem & Cunningham 2019)",
    "Sohl-Dickstein et al. 2015, §2.2",
    "Xavier和Kaiming缩放的是同一组N(0, 1)随机数",
    "Xavier and Kaiming runs, 5 seeds",
    "Xiong et al. 2020 (Theorem 1) bound the gradient",
    "Xiong et al. 2020（Theorem 1）给出了",
    "In 2017, the Transformer",
    "(for BatchNorm, Ioffe & Szegedy 2015, §3, chose them)",
    "Xavier and Kaiming (each at its best learning rate)",
    "## Sources { #sources }\n\n- X. Glorot and Y. Bengio, \"Understanding the difficulty\", AISTATS 2010: §3.1.\n"
    "- M. Dehghani et al., \"Scaling Vision Transformers\", ICML 2023.\n",
]
BAD = [
    "Ioffe & Szegedy (2015)",
    "（Ioffe和Szegedy，2015）",
    "Ioffe和Szegedy（2015）",
    "Glorot与Bengio 2010",
    "LeCun et al. (1998, §4.3)",
    "He等人表明",
    "He et al.表明",
    "（Poole等人2016）",
    "Poole等2016",
    "（Sohl-Dickstein等，2015）",
    "He et al., CVPR 2016, §3.4",
    "(He et al., ECCV 2016, Fig. 4(e))",
    "(Kingma and Welling 2014)",
    "Jacot, Gabriel and Hongler 2018",
    "Pennington, Schoenholz & Ganguli (2017)",
    "Rezende、Mohamed和Wierstra 2014年",
    "Ramachandran, Zoph & Le 2017",
    "（Neal，1996）",
    "Neal (1996)",
    "（He et al. 2015，式10）",
    "（Yang et al. 2022，图5）",
    "He et al. 2015, eq. 10",
    "Kingma & Ba 2015, Algorithm 1",
    "LeCun et al. 1998年",
    "Cover & Thomas，Theorem 8.6.5",
    "the model of Xiong et al. ",
    "Ioffe and Szegedy (§3.3) also report",
    "正是Neal，1996",
    "LeCun, Bottou & Orr 1998",
    "Kingma和Welling（§3）直接取",
]


@pytest.mark.parametrize("text", GOOD)
def test_the_style_is_not_drift(text):
    assert not drift(text), drift(text)


@pytest.mark.parametrize("text", BAD)
def test_drift_is_caught(text):
    assert drift(text)


def test_the_extraction_pattern():
    assert citations("(Ioffe & Szegedy 2015, §3.2; He et al. 2016, Fig. 4(e)) and Neal 1996 "
                     "and van Laarhoven 2017；Sohl-Dickstein et al.\n2015，Kingma &\nWelling 2014表明"
                     " In 2017 the CIFAR-10 data, ICML 2015；因此LeCun et al. 1998认为") == [
        "Ioffe & Szegedy 2015", "He et al. 2016", "Neal 1996", "van Laarhoven 2017",
        "Sohl-Dickstein et al. 2015", "Kingma & Welling 2014", "LeCun et al. 1998"]


# --- the pages -----------------------------------------------------------------------------

def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_drifting_citation_form(page):
    bad = drift(read(page))
    assert not bad, f"{page.name} (see GLOSSARY.md, 'Citations'):\n" + "\n".join(bad)


def pairs() -> list[tuple[Path, Path]]:
    """(English, Chinese) for every page and every partial."""
    out = [(p.with_name(p.name.replace(".zh.md", ".md")), p) for p in sorted(DOCS.rglob("*.zh.md"))]
    out += [(p.with_name(p.name.replace(".zh.md", ".en.md")), p) for p in sorted(PARTIALS.glob("*.zh.md"))]
    return out


@pytest.mark.parametrize("english, chinese", pairs(), ids=lambda p: p.name)
def test_both_languages_cite_the_same_works_in_the_same_order(english, chinese):
    en, zh = citations(read(english)), citations(read(chinese))
    assert en == zh, (f"{english.name} and {chinese.name} cite differently:\n"
                      f"  en: {en}\n  zh: {zh}")


# Checked by hand: citations that each reason page's prose contains (a page where the pattern
# finds none would mean the pattern broke, not that the page cites nothing).
KNOWN = {
    "activations": ["Glorot & Bengio 2010", "LeCun et al. 1998", "Hendrycks & Gimpel 2016"],
    "attention-scaling": ["Vaswani et al. 2017", "Yang et al. 2022"],
    "batch-norm": ["Ioffe & Szegedy 2015", "Santurkar et al. 2018", "Wu & He 2018"],
    "edge-of-chaos": ["Poole et al. 2016", "Schoenholz et al. 2017", "He et al. 2015", "Saxe et al. 2014"],
    "generative-models": ["Kingma & Welling 2014", "Loaiza-Ganem & Cunningham 2019",
                          "Sohl-Dickstein et al. 2015", "Feller 1949"],
    "initialization": ["LeCun et al. 1998", "He et al. 2015", "Glorot & Bengio 2010"],
    "layer-norm": ["Zhang & Sennrich 2019", "Xiong et al. 2020"],
    "losses-and-priors": ["Goodfellow et al. 2016", "van Laarhoven 2017", "Huber 1964"],
    "misconceptions": ["Santurkar et al. 2018", "Neal 1996"],
    "number-formats": ["Micikevicius et al. 2018", "Micikevicius et al. 2022", "Kalamkar et al. 2019",
                       "Blake et al. 2023"],
    "normal-vs-normalized": ["Ioffe & Szegedy 2015", "LeCun et al. 1998", "Gorishniy et al. 2021"],
    "putting-it-together": ["Ioffe & Szegedy 2015", "van Laarhoven 2017"],
    "residual-scaling": ["Radford et al. 2019", "Radford et al. 2018"],
    "standardization": ["LeCun et al. 1998", "Kingma & Ba 2015"],
    "why-gaussian": ["Neal 1996", "Shevtsova 2011", "Kingma & Welling 2014"],
    "normalization-free": ["De & Smith 2020", "Bachlechner et al. 2021", "Zhang et al. 2019",
                           "Brock et al. 2021a", "Brock et al. 2021b"],
    "width-scaling": ["Neal 1996", "Lee et al. 2018", "Matthews et al. 2018", "Jacot et al. 2018",
                      "Yang & Hu 2021", "Yang et al. 2022", "Hanin & Nica 2020",
                      "Hanin & Rolnick 2018", "Yang & Littwin 2023"],
}


def test_every_reason_page_is_in_the_known_list():
    reasons = {p.stem.replace("_", "-") for p in (ROOT / "snippets").glob("*.py") if p.stem != "__init__"}
    assert reasons == set(KNOWN)


@pytest.mark.parametrize("lang", ["md", "zh.md"])
@pytest.mark.parametrize("slug", sorted(KNOWN))
def test_the_pattern_finds_the_citations_of_each_reason_page(slug, lang):
    found = citations(read(DOCS / f"{slug}.{lang}"))
    missing = [c for c in KNOWN[slug] if c not in found]
    assert found and not missing, f"{slug}.{lang}: not found {missing}; found {found}"
