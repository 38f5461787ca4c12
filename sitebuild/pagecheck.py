"""Render one or more pages' Markdown with their snippets' numbers, without building the site.

    python -m sitebuild.pagecheck docs/initialization.md docs/initialization.zh.md [--out DIR]

For writers: runs only the snippets a page refers to (through the build's cache), renders the
page's Jinja exactly as the hook does (strict: an unknown key fails with the page's name), checks
that every `--8<-- "module.py:section"` include exists, and writes the rendered Markdown to DIR
(default `.cache/pagecheck/`) so the prose can be read with its numbers. A full `mkdocs build`
remains the real check; this one takes seconds when the snippets are cached.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sitebuild import cache, formats

INCLUDE = re.compile(r'--8<-- "(\w+)\.py:([\w-]+)"')


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
PARTIAL = re.compile(r'\{%\s*include\s+"([\w-]+)\."')


def referenced_snippets(markdown: str) -> list[str]:
    """Snippets whose results the page's Jinja (and the partials it includes) uses."""
    code = " ".join(JINJA.findall(markdown))
    for partial in PARTIAL.findall(markdown):
        for path in sorted((cache.ROOT / "partials").glob(f"{partial}.*.md")):
            code += " " + " ".join(JINJA.findall(path.read_text(encoding="utf-8")))
    return [name for name in cache.snippet_names() if re.search(rf"\b{name}\b", code)]


def check_includes(page: Path, markdown: str) -> list[str]:
    problems = []
    for module, section in INCLUDE.findall(markdown):
        source = cache.SNIPPETS_DIR / f"{module}.py"
        if not source.exists() or f"# --8<-- [start:{section}]" not in source.read_text(encoding="utf-8"):
            problems.append(f"{page}: include {module}.py:{section} not found")
    return problems


def render(page: Path) -> str:
    from sitebuild import hook

    markdown = page.read_text(encoding="utf-8")
    outputs = cache.ensure(referenced_snippets(markdown))
    hook._outputs.update(outputs)
    hook._results.update({name: out.results for name, out in outputs.items()})
    lang = "zh" if page.name.endswith(".zh.md") else "en"
    src_uri = page.relative_to(cache.ROOT / "docs").as_posix()

    class TextFigures(hook.PageFigures):
        def draw(self, snippet, name, alt, number, caption):
            return f"\n[{formats.figure_label(lang, number)} ({snippet}/{name}): {alt}]\n\n{caption.strip()}\n"

    def explorer(name: str) -> str:  # the explorer as one line of text: its name and title
        for out in outputs.values():
            path = out.dir / "explorers" / f"{name}_{lang}.json"
            if path.exists():
                return f"\n[explorer {name}: {out.explorer(name, lang)['title']}]\n"
        raise hook.PluginError(f"{src_uri}: no snippet of the page has an explorer '{name}'")

    figures = TextFigures(src_uri, lang)
    template = hook._template(src_uri, markdown)
    try:
        text = template.render(**hook._results, figure=figures.figure, fig=figures.fig, lang=lang, downloads=None,
                               explorer=explorer)
        figures.check_all_shown()
    except hook.PluginError as error:
        raise SystemExit(str(error)) from None
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=cache.ROOT / ".cache" / "pagecheck")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    problems = []
    for page in args.pages:
        page = page.resolve()
        problems += check_includes(page, page.read_text(encoding="utf-8"))
        text = render(page)
        target = args.out / page.name
        target.write_text(text, encoding="utf-8")
        print(f"{page.name}: rendered -> {target}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
