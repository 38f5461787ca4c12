"""Translations that cannot go stale (sitebuild/translations.py): every Chinese page records which
version of its English twin it translates; a stale one says so on the page and is listed here.
A stale page does not fail the suite (the English may run ahead for a while), but it is printed
as a warning in every test run and `python -m sitebuild.translations` lists it."""

from __future__ import annotations

import shutil
import warnings

import pytest

from conftest import DOCS, english_pages, mkdocs_config, twin
from sitebuild import translations

STALE_TITLE = "译文可能已过时"


@pytest.mark.parametrize("page", english_pages(), ids=lambda p: p.name)
def test_every_translation_records_its_english_version(page):
    recorded = translations.recorded_hash(twin(page, "zh").read_text(encoding="utf-8"))
    assert recorded and len(recorded) == 12, f"{twin(page, 'zh').name}: no '{translations.KEY}:' in its front matter"


def test_list_the_stale_translations():
    stale = translations.stale_pages()
    if stale:
        warnings.warn("stale translations (python -m sitebuild.translations): "
                      + ", ".join(p.name for p in stale))
    assert set(stale) <= set(translations.translations())


def test_an_english_edit_makes_the_translation_stale_until_marked(tmp_path):
    for name in ("layer-norm.md", "layer-norm.zh.md"):
        shutil.copy(DOCS / name, tmp_path / name)
    english, chinese = tmp_path / "layer-norm.md", tmp_path / "layer-norm.zh.md"
    translations.mark(chinese)
    assert not translations.is_stale(chinese)
    text = english.read_text(encoding="utf-8")
    english.write_text(text.replace("\n", "  \r\n"), encoding="utf-8")  # line ends and trailing spaces
    assert not translations.is_stale(chinese)
    english.write_text(text.replace("LayerNorm", "Layer normalization", 1), encoding="utf-8")
    assert translations.is_stale(chinese)
    before = chinese.read_text(encoding="utf-8")
    translations.mark(chinese)
    after = chinese.read_text(encoding="utf-8")
    assert not translations.is_stale(chinese)
    assert after.count(f"{translations.KEY}:") == 1  # replaced, not added
    assert after.replace(translations.recorded_hash(after), "") == before.replace(translations.recorded_hash(before), "")


def test_the_notice_goes_under_the_title():
    markdown = "---\ndescription: x\n---\n\n# 标题 { #title }\n\n正文。\n"
    out = translations.with_notice(markdown, "zh", "https://example.org/page/")
    assert out.index("# 标题") < out.index(STALE_TITLE) < out.index("正文")
    assert "(https://example.org/page/)" in out


@pytest.mark.parametrize("page", english_pages(), ids=lambda p: p.name)
def test_the_built_page_shows_the_notice_only_when_stale(site, page):
    slug = page.stem
    html = site.html("zh/" if slug == "index" else f"zh/{slug}/")
    assert (STALE_TITLE in html) == translations.is_stale(twin(page, "zh"))
    assert STALE_TITLE not in site.html("" if slug == "index" else f"{slug}/")


def test_a_stale_page_links_to_its_english_version(site_copy):
    english = site_copy.docs / "layer-norm.md"
    english.write_text(english.read_text(encoding="utf-8") + "\nOne more English sentence.\n", encoding="utf-8")
    proc = site_copy()
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (site_copy.site / "zh" / "layer-norm" / "index.html").read_text(encoding="utf-8")
    assert STALE_TITLE in html and f'href="{mkdocs_config()["site_url"]}layer-norm/"' in html
    fresh = (site_copy.site / "zh" / "batch-norm" / "index.html").read_text(encoding="utf-8")
    assert STALE_TITLE not in fresh
