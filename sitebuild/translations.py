"""Translations that cannot go stale: each Chinese page records which version of its English twin
it translates, and says so on the page when the English has changed since.

A Chinese page's front matter holds `translates:`, a hash of its English twin's source (line ends
and trailing spaces normalised). Numbers, figures and code come from the build and never go stale;
the hash covers the prose, the description, the Jinja expressions and the includes, so any edit of
the English page makes its translation stale until a translator has brought it up to date and
recorded the new hash.

    python -m sitebuild.translations                 # list the stale Chinese pages
    python -m sitebuild.translations --mark docs/initialization.zh.md   # record: it is up to date

As an MkDocs hook, it puts a notice under the title of every stale Chinese page, linking to the
English page. tests/test_translations.py checks the notice and prints the stale pages.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
KEY = "translates"
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_RECORDED = re.compile(rf"^{KEY}: *([0-9a-f]+) *$", re.M)
NOTICE = {
    "zh": (
        '!!! warning "译文可能已过时"\n\n'
        "    这一页的英文版在本译文写成之后有过修改，译文还没有跟上。"
        "数字、图和代码都来自构建，始终是最新的；文字以[英文版]({url}){{ hreflang=en }}为准。\n"
    ),
}


def english_hash(text: str) -> str:
    """Hash of an English page's source (12 hex digits)."""
    body = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().splitlines())
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def recorded_hash(translation: str) -> str | None:
    front = _FRONT_MATTER.match(translation.replace("\r\n", "\n"))
    found = _RECORDED.search(front[1]) if front else None
    return found[1] if found else None


def english_twin(translation: Path) -> Path:
    return translation.with_name(translation.name.split(".")[0] + ".md")


def is_stale(translation: Path) -> bool:
    english = english_twin(translation).read_text(encoding="utf-8")
    return recorded_hash(translation.read_text(encoding="utf-8")) != english_hash(english)


def translations(docs: Path = DOCS) -> list[Path]:
    return sorted(docs.rglob("*.zh.md"))


def stale_pages(docs: Path = DOCS) -> list[Path]:
    return [page for page in translations(docs) if is_stale(page)]


def mark(translation: Path) -> None:
    """Record that `translation` is up to date with its English twin."""
    text = translation.read_text(encoding="utf-8")
    line = f"{KEY}: {english_hash(english_twin(translation).read_text(encoding='utf-8'))}"
    front = _FRONT_MATTER.match(text)
    if not front:
        text = f"---\n{line}\n---\n\n{text}"
    elif _RECORDED.search(front[1]):
        text = text[: front.start(1)] + _RECORDED.sub(line, front[1]) + text[front.end(1):]
    else:
        text = text[: front.end(1)] + f"\n{line}" + text[front.end(1):]
    translation.write_text(text, encoding="utf-8")


def with_notice(markdown: str, lang: str, url: str) -> str:
    """The page's Markdown with the stale-translation notice under its title."""
    notice = NOTICE[lang].format(url=url)
    title = re.search(r"^# .*\n", markdown, re.M)
    at = title.end() if title else 0
    return markdown[:at] + "\n" + notice + "\n" + markdown[at:]


def on_page_markdown(markdown: str, page, config, files) -> str:
    lang = getattr(page.file, "locale", None)
    source = Path(page.file.abs_src_path or "")
    if lang not in NOTICE or not source.name.endswith(f".{lang}.md") or not is_stale(source):
        return markdown
    slug = source.name.split(".")[0]
    url = config.site_url + ("" if slug == "index" else f"{slug}/")
    return with_notice(markdown, lang, url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mark", nargs="+", type=Path, metavar="PAGE.zh.md",
                        help="record that these translations are up to date with their English pages")
    args = parser.parse_args(argv)
    for page in args.mark or []:
        mark(page.resolve())
        print(f"{page}: translates {english_hash(english_twin(page).read_text(encoding='utf-8'))}")
    stale = stale_pages()
    for page in stale:
        print(f"stale: {page.relative_to(ROOT)} (English twin changed since it was translated)")
    if not stale:
        print(f"all {len(translations())} translations are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
