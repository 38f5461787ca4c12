"""Reading flow (issue 16): long code blocks fold behind a one-line summary in the page's language
(sitebuild/collapse.py); short ones stay open; a folded block opens by click or keyboard and keeps
its copy button."""

from __future__ import annotations

import re

import pytest

from conftest import LANGS, english_pages
from sitebuild import collapse
from test_site import page_url

TOY = '''\
# %% [markdown] lang="en"
# ## Long part
#
# Text.

# %% [markdown] lang="zh"
# ## 长的部分
#
# 正文。

# %%
# --8<-- [start:long]
{long}
# --8<-- [end:long]

# %% [markdown] lang="en"
# ## Short part

# %% [markdown] lang="zh"
# ## 短的部分

# %%
# --8<-- [start:short]
x = 1
# --8<-- [end:short]
'''


@pytest.fixture
def toy_snippet(tmp_path, monkeypatch):
    monkeypatch.setattr(collapse.cache, "SNIPPETS_DIR", tmp_path)
    (tmp_path / "toy.py").write_text(TOY.format(long="\n".join(f"a{i} = {i}" for i in range(30))), encoding="utf-8")
    collapse.sections.cache_clear()
    yield
    collapse.sections.cache_clear()


PAGE = '''Intro.

```python
--8<-- "toy.py:long"
```

- In a list:

    ```python
    --8<-- "toy.py:short"
    ```
'''


@pytest.mark.parametrize("lang, summary", [
    ("en", "Code · Long part · 30 lines · runs in about 3 s"),
    ("zh", "代码 · 长的部分 · 30行 · 运行耗时约3秒"),
])
def test_a_long_block_folds_behind_its_summary_and_a_short_one_stays_open(toy_snippet, lang, summary):
    out = collapse.collapse(PAGE, lang, lambda name: {"long": 2.6, "short": 0.1})
    assert f'??? n01-code "{summary}"\n\n    ```python\n    --8<-- "toy.py:long"\n    ```' in out
    assert '    ```python\n    --8<-- "toy.py:short"\n    ```' in out and out.count("???") == 1


def test_a_long_block_without_its_run_time_fails_the_build(toy_snippet):
    with pytest.raises(collapse.CollapseError, match="no run time for section 'long'"):
        collapse.collapse(PAGE, "en", lambda name: {})


@pytest.mark.parametrize("seconds, en, zh", [(0.2, "under 1 s", "不到1秒"), (1.4, "about 1 s", "约1秒"),
                                             (9.6, "about 10 s", "约10秒"), (22.0, "about 20 s", "约20秒")])
def test_run_times_are_written_as_a_reader_needs_them(seconds, en, zh):
    assert collapse.duration(seconds, "en") == en and collapse.duration(seconds, "zh") == zh


# ---------------------------------------------------------------------------------------------
# The built site

CODE_BLOCK = re.compile(r'<div class="highlight"><pre><span></span><code>(.*?)</code></pre></div>', re.S)
FOLDED = re.compile(r'<details class="n01-code">\s*<summary>(.*?)</summary>\s*' + CODE_BLOCK.pattern, re.S)


def code_lines(code: str) -> int:
    return code.rstrip("\n").count("\n") + 1


@pytest.mark.parametrize("lang", LANGS)
def test_every_long_block_is_folded_with_its_true_length_and_every_short_one_is_open(site, lang):
    folded = shown = 0
    for md in english_pages():
        html = site.html(page_url(md, lang))
        for summary, block in FOLDED.findall(html):
            lines = code_lines(block)
            number = int(re.search(r"(\d+) lines" if lang == "en" else r"(\d+)行", summary)[1])
            assert number == lines > collapse.COLLAPSE_LINES, (md.name, summary)
            assert summary.startswith("Code · " if lang == "en" else "代码 · "), summary
            folded += 1
        open_blocks = CODE_BLOCK.findall(FOLDED.sub("", html))
        for block in open_blocks:
            assert code_lines(block) <= collapse.COLLAPSE_LINES, md.name
            shown += 1
    assert folded >= 80, (folded, shown)  # 90 of the site's 91 included blocks are long


@pytest.mark.parametrize("lang", LANGS)
def test_a_folded_block_opens_from_the_keyboard_and_keeps_its_copy_button(browser, server, lang):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(server + ("" if lang == "en" else f"{lang}/") + "initialization/", wait_until="load")
        details = page.locator("details.n01-code").first
        assert details.get_attribute("open") is None
        code = details.locator("pre code")
        assert not code.is_visible()
        details.locator("summary").focus()
        page.keyboard.press("Enter")
        assert details.get_attribute("open") is not None and code.is_visible()
        copy = details.locator('button[data-md-type="copy"]')  # Material's copy button
        assert copy.count() == 1 and copy.is_visible()
        # result-first: the folded code is a small part of the page's height on a phone
        share = page.evaluate("""() => {
            const article = document.querySelector('article').getBoundingClientRect().height;
            let code = 0;
            document.querySelectorAll('article .highlight').forEach(h => {
                if (h.checkVisibility()) code += h.getBoundingClientRect().height; });
            return code / article; }""")
        assert share < 0.15, share
    finally:
        context.close()
