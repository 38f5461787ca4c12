"""Reading flow (issue 16): a long code block is collapsed behind a one-line summary.

A reason page reads result-first: its prose and figures answer the question, and the code that
produced them is one click away. Every included block longer than COLLAPSE_LINES lines,

    ```python
    --8<-- "initialization.py:depth"
    ```

leaves the page's Markdown (after Jinja, before pymdownx.snippets expands it) as a collapsed
pymdownx.details block, a native <details> element that opens with a click or the keyboard,
whose summary says in the page's language what the code is for, how long it is and how long it
ran when the site was built:

    ??? n01-code "Code · Signal through depth · 98 lines · runs in about 2 s"

        ```python
        --8<-- "initialization.py:depth"
        ```

What it is for is the heading of the notebook cell that introduces the section (the snippet's
`# %% [markdown] lang="en"` / `lang="zh"` cells: one bilingual title per section, already
glossary-checked); the run time is the section cell's, from the snippet's build run
(manifest "section_seconds", sitebuild.runner). Shorter blocks stay open. The page source is
unchanged, so the code-block tests, parity and the include checks see the plain fences.
"""

from __future__ import annotations

import functools
import re

from sitebuild import cache

COLLAPSE_LINES = 25
FENCE = re.compile(
    r'^(?P<indent>[ \t]*)```python[^\n]*\n(?P<includes>(?:(?P=indent)--8<-- "\w+\.py:[\w-]+"\n)+)'
    r"(?P=indent)```[ \t]*$",
    re.M,
)
INCLUDE = re.compile(r'--8<-- "(\w+)\.py:([\w-]+)"')
SUMMARY = {
    "en": "Code · {title} · {lines} lines · runs in {time}",
    "zh": "代码 · {title} · {lines}行 · 运行耗时{time}",
}
_CELL = re.compile(r"^# %%(.*)$", re.M)
_HEADING = re.compile(r"^# #+ (.+)$", re.M)
_START = re.compile(r"^# --8<-- \[start:([\w-]+)\]$", re.M)


class CollapseError(ValueError):
    """A long block whose summary cannot be written: the message names the section."""


def duration(seconds: float, lang: str) -> str:
    """A build's run time as a reader needs it: under a second, or about N seconds."""
    if seconds < 0.5:
        return "under 1 s" if lang == "en" else "不到1秒"
    rounded = round(seconds) if seconds < 10 else 5 * round(seconds / 5)
    return f"about {rounded} s" if lang == "en" else f"约{rounded}秒"


@functools.lru_cache(maxsize=None)
def sections(snippet: str, source: str) -> dict[str, dict]:
    """Per section of a snippet's source: its length in lines (as the page shows it) and the
    heading, per language, of the notebook cell that introduces it."""
    parts = _CELL.split(source)
    titles: dict[str, str] = {}
    out = {}
    for head, body in zip(parts[1::2], parts[2::2]):
        lang = re.search(r'lang="(\w+)"', head)
        if "[markdown]" in head and lang:
            heading = _HEADING.search(body)
            if heading:
                titles[lang[1]] = heading[1].strip()
            continue
        for name in _START.findall(body):
            code = source.split(f"# --8<-- [start:{name}]\n", 1)[1].split(f"# --8<-- [end:{name}]", 1)[0]
            out[name] = {"lines": len(code.rstrip("\n").splitlines()), "title": dict(titles)}
    return out


def _section(snippet: str, section: str) -> dict | None:
    source = (cache.SNIPPETS_DIR / f"{snippet}.py").read_text(encoding="utf-8")
    return sections(snippet, source).get(section)


def summary(parts: list[tuple[str, str]], infos: list[dict], lang: str, seconds: float) -> str:
    """The summary of a block that shows these (snippet, section) parts, described by `infos`
    (sections()), which ran for `seconds`."""
    titles, lines = [], 0
    for (snippet, section), info in zip(parts, infos):
        if lang not in info["title"]:
            raise CollapseError(f"snippet '{snippet}': section '{section}' has no notebook heading in '{lang}' "
                                "before it (a `# %% [markdown] lang=...` cell with a `## ...` line)")
        titles.append(re.sub(r'"([^"]*)"', r"“\1”", info["title"][lang]))  # the summary itself is quoted
        lines += info["lines"]
    return SUMMARY[lang].format(title=" + ".join(titles), lines=lines, time=duration(seconds, lang))


def collapse(markdown: str, lang: str, section_seconds) -> str:
    """The page's Markdown with every long included block collapsed behind its summary.
    `section_seconds(snippet)` gives {section: seconds} from that snippet's build run."""

    def replace(match: re.Match) -> str:
        parts = INCLUDE.findall(match["includes"])
        infos = [_section(snippet, section) for snippet, section in parts]
        if None in infos or sum(info["lines"] for info in infos) <= COLLAPSE_LINES:
            return match[0]  # a missing section fails in pymdownx.snippets (check_paths)
        seconds = 0.0
        for snippet, section in parts:
            if section not in section_seconds(snippet):
                raise CollapseError(f"snippet '{snippet}': no run time for section '{section}'")
            seconds += section_seconds(snippet)[section]
        indent = match["indent"]
        block = "\n".join(indent + "    " + line[len(indent):] for line in match[0].splitlines())
        return f'{indent}??? n01-code "{summary(parts, infos, lang, seconds)}"\n\n{block}'

    return FENCE.sub(replace, markdown)
