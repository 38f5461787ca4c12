"""Run one snippet module as a notebook and export everything the site needs from it.

    python -m sitebuild.runner snippets/NAME.py OUTDIR

The module `snippets/NAME.py` (jupytext percent format) is executed once, as a notebook, by
nbclient. After its last cell, one extra cell (never saved in the notebook) writes:

    OUTDIR/results.json            the dict `results()` returned (the final cell's `RESULTS`)
    OUTDIR/figures/F_LANG_THEME.svg  every figure of `figures(RESULTS, lang)`, per language and theme
                                   (drawn once per language; the dark one is the light one
                                   recoloured, sitebuild.style.dark_svg)
    OUTDIR/explorers/E_LANG.json   each explorer of `explorers(explorer_data(), lang)`, as the snippet
                                   returns it, if it has any (the hook finishes it: sitebuild.explorers)
    OUTDIR/NAME.ipynb              the executed notebook, both languages' Markdown cells in it
                                   (sitebuild.notebooks makes the English and the Chinese notebook)
    OUTDIR/manifest.json           the figures in the order `figures()` draws them (their numbers on
                                   the page), warnings for the build log, the run time and each page
                                   section's run time

The kernel runs with matplotlib's Agg backend, so no cell draws a figure inline: drawing every
figure as a PNG for the notebook costs as much as drawing it as an SVG. The notebook's figures are
the light SVGs rasterized on white instead (resvg, about 0.1 s a figure), at matplotlib's 100 dpi,
attached to the last cell, which calls `figures(RESULTS, "en")`, as the inline backend would have
attached them. The Chinese ones go to one more cell, kept in NAME.ipynb and marked
`{"n01": "zh-figures"}`, for sitebuild.notebooks to move into the Chinese notebook's last cell.
They show the site's light look (its palette); a reader who reruns the notebook gets matplotlib's
default colours, with the same curves and labels.

A cell that raises makes this process exit with status 1 after printing the cell's traceback;
the hook turns that into a failed build naming the snippet.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from sitebuild import style

ROOT = Path(__file__).resolve().parent.parent

EXPORT_CELL = """\
from sitebuild.runner import export as _export
_export(RESULTS, figures, {outdir!r}, globals().get("explorer_data"), globals().get("explorers"))
"""
ZH_FIGURES = "zh-figures"  # the cell that carries the Chinese figures (sitebuild.notebooks)
NOTEBOOK_DPI = 100  # what matplotlib's inline backend draws at


def export(results: dict, figures, outdir: str, explorer_data=None, explorers=None) -> None:
    """Called inside the notebook's kernel: write results, every figure variant and the data of
    the page's explorers, if the snippet has any (sitebuild.explorers)."""
    import matplotlib.pyplot as plt

    from sitebuild import style

    out = Path(outdir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    warnings = []
    cjk = style.has_cjk_font()
    if not cjk:
        warnings.append(
            f"No CJK font: Chinese figures fall back to English labels. "
            f"Install the Debian package '{style.CJK_PACKAGE}' ({style.CJK_FAMILY})."
        )
    order, described = [], {}
    for lang in style.LANGS:
        drawn_lang = lang if (lang == "en" or cjk) else "en"
        with style.theme("light"):
            figs = figures(results, drawn_lang)
            if order and list(figs) != order:
                raise ValueError(f"figures() draws {list(figs)} in {lang}, but {order} in English")
            order = list(figs)
            for name, fig in figs.items():
                described[name] = repr(fig)  # "<Figure size 640x360 with 2 Axes>", as Jupyter shows it
                light = io.StringIO()
                style.save_svg(fig, light)
                plt.close(fig)
                for theme, svg in (("light", light.getvalue()), ("dark", style.dark_svg(light.getvalue()))):
                    (out / "figures" / f"{name}_{lang}_{theme}.svg").write_text(svg, encoding="utf-8")
    if explorers is not None:
        (out / "explorers").mkdir(exist_ok=True)
        data = explorer_data()
        for lang in style.LANGS:
            for name, spec in explorers(data, lang).items():
                (out / "explorers" / f"{name}_{lang}.json").write_text(
                    json.dumps(spec, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    (out / "warnings.json").write_text(json.dumps(warnings), encoding="utf-8")
    (out / "figures.json").write_text(json.dumps([[name, described[name]] for name in order]), encoding="utf-8")


def profile(seconds_of: dict[int, float], first_cell_at: float, notebook_figures: float) -> dict[str, float]:
    """Where a run's time went, in seconds: starting the kernel (and reading the snippet), the
    section blocks (each page section's example), the last cell (`results()`, the page's
    experiments), the export (every figure as SVG in both languages, the dark theme recoloured
    from the light; the export cell, still last) and the notebook's PNG figures."""
    export = max(seconds_of)
    snippet = [i for i in seconds_of if i != export]
    last = max(snippet)
    return {
        "kernel": round(first_cell_at, 2),
        "sections": round(sum(seconds_of[i] for i in snippet if i != last), 2),
        "results": round(seconds_of[last], 2),
        "svg_export": round(seconds_of[export], 2),
        "notebook_figures": round(notebook_figures, 2),
    }


def figure_outputs(outdir: Path, lang: str, described: list[list[str]]) -> list:
    """The notebook's display outputs for one language: each light SVG rasterized on white."""
    import base64

    import resvg_py

    outputs = []
    for name, text in described:
        png = resvg_py.svg_to_bytes(svg_path=str(outdir / "figures" / f"{name}_{lang}_light.svg"),
                                    background="#ffffff", dpi=float(NOTEBOOK_DPI), skip_system_fonts=True)
        outputs.append(nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(png).decode(), "text/plain": text}))
    return outputs


SECTION_MARKER = re.compile(r"^\s*# --8<-- \[(start|end):[\w-]+\]\s*$")
SECTION_START = re.compile(r"^\s*# --8<-- \[start:([\w-]+)\]\s*$", re.M)


def strip_section_markers(nb) -> None:
    """The pymdownx.snippets markers serve the pages; the notebook reader needs none of them."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if not SECTION_MARKER.match(line)]
            cell.source = "\n".join(lines).strip("\n")


def run(source: Path, outdir: Path) -> None:
    started = time.perf_counter()
    name = source.stem
    outdir.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(source)
    # the page sections each code cell holds, for their run times (sitebuild.collapse)
    sections_in = {i: SECTION_START.findall(cell.source) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    strip_section_markers(nb)
    nb.cells.append(nbformat.v4.new_code_cell(EXPORT_CELL.format(outdir=str(outdir))))
    started_at: dict[int, float] = {}
    seconds_of: dict[int, float] = {}
    client = NotebookClient(
        nb,
        # Time per cell, for the build profile (manifest "profile"; python -m sitebuild.bench)
        on_cell_execute=lambda cell, cell_index: started_at.__setitem__(cell_index, time.perf_counter()),
        on_cell_executed=lambda cell, cell_index, execute_reply: seconds_of.__setitem__(
            cell_index, time.perf_counter() - started_at[cell_index]),
        timeout=900,
        # sitebuild.cache starts the kernels by forking one that has the heavy imports done
        # (sitebuild.zygote); run by hand, this is a plain Python 3 kernel.
        kernel_name=os.environ.get("N01_KERNEL", "python3"),
        extra_arguments=["--matplotlib=agg"],  # no inline figures: see figure_outputs
        record_timing=False,  # no timestamps: the notebook is the same bytes on every run
        # A cell's prints reach the notebook in as many pieces as the kernel happened to flush
        # (more pieces on a busy machine): merged, the notebook is the same bytes on every run.
        coalesce_streams=True,
        resources={"metadata": {"path": str(ROOT)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        print(f"snippet '{name}' failed:\n{error}", file=sys.stderr)
        sys.exit(1)
    nb.cells.pop()  # the export cell is build machinery, not part of the reader's notebook
    described = json.loads((outdir / "figures.json").read_text(encoding="utf-8"))
    drawing = time.perf_counter()
    nb.cells[-1].outputs += figure_outputs(outdir, "en", described)
    if style.has_cjk_font():  # without it, the Chinese notebook keeps the English figures
        nb.cells.append(nbformat.v4.new_code_cell('figures(RESULTS, "zh")', metadata={"n01": ZH_FIGURES},
                                                  outputs=figure_outputs(outdir, "zh", described)))
    timing = profile(seconds_of, first_cell_at=min(started_at.values()) - started,
                     notebook_figures=time.perf_counter() - drawing)
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"  # jupytext draws random ids; the notebook must not change
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, outdir / f"{name}.ipynb")
    manifest = {
        "snippet": name,
        "seconds": round(time.perf_counter() - started, 2),
        "profile": timing,
        # each page section's cell (its example), in seconds: a folded block's summary says it
        "section_seconds": {name: round(seconds_of[i], 2) for i, names in sections_in.items() for name in names},
        "figures": [figure for figure, _ in described],
        "warnings": json.loads((outdir / "warnings.json").read_text(encoding="utf-8")),
    }
    (outdir / "warnings.json").unlink()
    (outdir / "figures.json").unlink()
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    run(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
