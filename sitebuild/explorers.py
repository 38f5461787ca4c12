"""Explorers: interactive figures whose every value comes from the snippet's own run (issue 16).

A snippet with explorers defines two functions beside `results()` and `figures()`:

    explorer_data() -> dict             every number of every explorer, over its whole grid
                                        (run once per build, in the snippet's kernel)
    explorers(data, lang) -> {name: spec}   what each explorer shows, with its text in `lang`

A spec is plain data (no code), so that one small script draws every explorer
(docs/javascripts/explorer.js):

    {"title": "...",
     "controls": [{"name": "act", "label": "Activation", "kind": "select" | "range" | "checkbox",
                   "options": [{"value": "tanh", "text": "tanh"}, ...], "value": "tanh",
                   "marks": [{"value": "1", "text": "Xavier"}]}],            # range only, optional
     "charts": [{"title": "...", "x": {"label": "layer", "scale": "linear" | "log"},
                 "y": {..., "range": [1e-6, 1e6]},  # optional: fixed axis (else over all states)
                 "square": False,                                             # same units on both axes
                 "series": [{"key": "std", "label": "...", "color": "C0",
                             "kind": "line" | "bars" | "points"}],
                 "static": [{"label": "...", "color": "C7", "kind": "line", "points": [[x, y], ...]}]}],
     "readouts": [{"key": "last_std", "label": "...", "format": ["sci", 1]}],  # a value may be
                                                  # [median, low, high]: written "m (low–high)"
     "states": [{"controls": {"act": "tanh", ...},
                 "series": {"std": [[x, y], ...]},     # a series may be a list of polylines too
                 "values": {"last_std": 0.63}}]}

`finish` turns it into what the page fetches (explorers/<snippet>/<name>_<lang>.json): states keyed
by their control values ("tanh|1"), every readout written by sitebuild.formats as on the pages
("text"), numbers cut to 3 significant digits, each distinct curve sent once ("series": a state
names its curves by their index there), and each chart's axis ranges fixed over all states
(moving a control moves the curves, not the axes) unless the chart says `"domain": "state"`.
`html` writes the explorer's HTML at build time: its controls with their labels and the readouts of
the default setting, so nothing shifts when the script arrives, and a reader without JavaScript
(for whom the explorer stays hidden) still has the page's static figure. The script itself
(`data-script`) is loaded by docs/javascripts/figures.js only when an explorer comes near the
screen: a page's first view runs no explorer code at all.
"""

from __future__ import annotations

import html as html_lib
import json
import math

from sitebuild import formats

KINDS = ("select", "range", "checkbox")
SERIES_KINDS = ("line", "bars", "points")
SIGNIFICANT = 3  # what a 360-unit-wide chart can show; readouts are written from the full values
FORMATS = {"fixed": formats.fixed, "pct": formats.pct, "sci": formats.sci, "share": formats.share}
# Chart size in SVG units (the script draws in these; CSS scales the SVG to the column).
# A square chart's plot area is square (margins as in the script: left 54, right 10, top 10, bottom 42).
SIZE, SQUARE_SIZE = (360, 240), (300, 288)


class ExplorerError(ValueError):
    """A spec the script could not draw: the message names the explorer and what is wrong."""


def state_key(spec: dict, settings: dict) -> str:
    return "|".join(str(settings[control["name"]]) for control in spec["controls"])


def _round(value):
    if isinstance(value, float):
        if not math.isfinite(value):
            return None  # JSON has no inf or nan; the script leaves a gap
        return float(f"{value:.{SIGNIFICANT}g}")
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    return value


def _points(series) -> list[list[list[float]]]:
    """A series as a list of polylines (one polyline is the common case)."""
    if series and isinstance(series[0][0], (int, float)) or not series:
        return [series]
    return series


def _compact(line: list[list[float]]):
    """A polyline whose x are evenly spaced as {"x0", "dx", "y"} (the script expands it)."""
    if len(line) < 3:
        return line
    x0, dx = line[0][0], line[1][0] - line[0][0]
    if dx == 0 or any(abs(p[0] - (x0 + i * dx)) > 1e-9 * max(1.0, abs(dx) * len(line)) for i, p in enumerate(line)):
        return line
    return {"x0": _round(float(x0)), "dx": _round(float(dx)), "y": [p[1] for p in line]}


def _extent(values: list[float], scale: str) -> list[float] | None:
    values = [v for v in values if v is not None and math.isfinite(v) and (scale != "log" or v > 0)]
    if not values:
        return None
    low, high = min(values), max(values)
    if scale == "log":
        return [math.floor(math.log10(low) * 4) / 4, math.ceil(math.log10(high) * 4) / 4 or 0.25]
    if low == high:
        low, high = low - 1, high + 1
    pad = 0.04 * (high - low)
    if 0 <= low < 0.1 * (high - low):
        return [0.0, high + pad]  # near zero: start at zero
    return [low - pad, high + pad]


def _domains(chart: dict, series_of_states: list[dict]) -> dict:
    xs, ys = [], []
    for series in series_of_states:
        for item in chart["series"]:
            for line in _points(series.get(item["key"], [])):
                xs += [p[0] for p in line]
                ys += [p[1] for p in line]
    for item in chart.get("static", []):
        for line in _points(item["points"]):
            xs += [p[0] for p in line]
            ys += [p[1] for p in line]
    x, y = (_extent(values, chart[axis].get("scale", "linear")) if "range" not in chart[axis]
            else [math.log10(v) if chart[axis].get("scale") == "log" else v for v in chart[axis]["range"]]
            for axis, values in (("x", xs), ("y", ys)))
    if chart.get("bars_from_zero", any(s["kind"] == "bars" for s in chart["series"])) and y:
        y[0] = 0.0 if chart["y"].get("scale", "linear") == "linear" else y[0]
    if chart.get("square") and x and y:  # same units on both axes: the larger span, each centred
        span = max(x[1] - x[0], y[1] - y[0])
        x, y = ([(a + b - span) / 2, (a + b + span) / 2] for a, b in (x, y))
    return {"x": _round(x), "y": _round(y)}


def check(name: str, spec: dict) -> None:
    """Fail the build with the explorer's name when the script could not draw its spec."""
    def fail(message: str):
        raise ExplorerError(f"explorer '{name}': {message}")

    for key in ("title", "controls", "charts", "readouts", "states"):
        if key not in spec:
            fail(f"no '{key}'")
    names = [c["name"] for c in spec["controls"]]
    for control in spec["controls"]:
        if control.get("kind", "select") not in KINDS:
            fail(f"control '{control['name']}' has kind '{control.get('kind')}', not one of {KINDS}")
        values = [o["value"] for o in control["options"]]
        if control.get("kind") == "checkbox" and len(values) != 2:
            fail(f"checkbox '{control['name']}' needs two options (off, on)")
        if control.get("value", values[0]) not in values:
            fail(f"control '{control['name']}' starts at {control['value']!r}, not an option")
        for mark in control.get("marks", []):
            if mark["value"] not in values:
                fail(f"mark {mark['text']!r} of '{control['name']}' is at {mark['value']!r}, not an option")
    grid = 1
    for control in spec["controls"]:
        grid *= len(control["options"])
    keys = {state_key(spec, s["controls"]) for s in spec["states"]}
    if len(keys) != len(spec["states"]) or len(keys) != grid:
        fail(f"{len(spec['states'])} states ({len(keys)} distinct) for a grid of {grid} settings of {names}")
    series_keys = {s["key"] for chart in spec["charts"] for s in chart["series"]}
    for chart in spec["charts"]:
        for item in chart["series"]:
            if item["kind"] not in SERIES_KINDS:
                fail(f"series '{item['key']}' has kind '{item['kind']}'")
    for state in spec["states"]:
        missing = series_keys - set(state["series"]) | {r["key"] for r in spec["readouts"]} - set(state["values"])
        if missing:
            fail(f"state {state['controls']} lacks {sorted(missing)}")
    for readout in spec["readouts"]:
        if readout["format"][0] not in FORMATS:
            fail(f"readout '{readout['key']}' has format {readout['format']}, not one of {list(FORMATS)}")


def finish(name: str, spec: dict) -> dict:
    """The JSON the page fetches: states keyed by their settings, readouts as text, axes fixed."""
    check(name, spec)
    states, pool, index_of = {}, [], {}

    def pooled(series) -> int:
        """Index of a series in the pool: a curve shared by many settings is sent once."""
        series = [_compact(line) for line in _points(series)]
        key = json.dumps(series, separators=(",", ":"))
        if key not in index_of:
            index_of[key] = len(pool)
            pool.append(series)
        return index_of[key]

    for state in spec["states"]:
        text = {}
        for readout in spec["readouts"]:
            value = state["values"][readout["key"]]
            kind, *args = readout["format"]
            write = FORMATS[kind]
            if value is None:
                text[readout["key"]] = "–"
            elif isinstance(value, float) and math.isinf(value):
                text[readout["key"]] = "∞" if value > 0 else "−∞"
            elif isinstance(value, list):  # [median, low, high]
                text[readout["key"]] = f"{write(value[0], *args)} ({write(value[1], *args)}–{write(value[2], *args)})"
            else:
                text[readout["key"]] = write(value, *args)
        states[state_key(spec, state["controls"])] = {
            "series": {k: _round(v) for k, v in state["series"].items()},  # pooled below
            "values": {k: _round(v) for k, v in state["values"].items()},
            "text": text,
        }
    charts = []
    for number, chart in enumerate(spec["charts"]):
        chart = dict(chart)
        if chart.get("domain") == "state":  # this chart's axes follow the setting
            for state in states.values():
                state.setdefault("domains", {})[str(number)] = _domains(chart, [state["series"]])
        else:
            chart["domains"] = _domains(chart, [s["series"] for s in states.values()])
        chart["static"] = [dict(item, points=_round(item["points"])) for item in chart.get("static", [])]
        charts.append(chart)
    for state in states.values():
        state["series"] = {k: pooled(v) for k, v in state["series"].items()}
    controls = [dict(c, kind=c.get("kind", "select"), value=c.get("value", c["options"][0]["value"]))
                for c in spec["controls"]]
    for control in controls:  # a marked option is announced with its marks: "1.41, Kaiming"
        named = {}
        for mark in control.get("marks", []):
            named.setdefault(mark["value"], []).append(mark["text"])
        control["options"] = [dict(o, spoken=", ".join([o["text"], *named.get(o["value"], [])]))
                              for o in control["options"]]
    return {"name": name, "title": spec["title"], "controls": controls, "charts": charts,
            "readouts": spec["readouts"], "states": states, "series": pool}


def to_json(data: dict) -> str:
    """A finished explorer as the file the page fetches."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def _attrs(**attributes) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{html_lib.escape(str(v), quote=True)}"'
                   for k, v in attributes.items() if v is not None)


def _swatch_classes(item: dict) -> str:
    """A legend swatch drawn like its series: a line (dashed or thin as the curve), a dot, a bar."""
    kind = item.get("kind", "line")
    classes = ["n01-explorer__swatch", f"n01-explorer__swatch--{kind}", f"n01-{item['color'].lower()}"]
    classes += [f"n01-explorer__swatch--{style}" for style in ("dashed", "thin") if kind == "line" and item.get(style)]
    return " ".join(classes)


def html(data: dict, url: str, script: str) -> str:
    """The explorer's HTML: controls, empty charts of a fixed size and the default readouts."""
    e = html_lib.escape
    name = data["name"]
    ident = f"explorer-{name}".replace("_", "-")
    default = {c["name"]: c["value"] for c in data["controls"]}
    state = data["states"][state_key(data, default)]
    out = [f'<div class="n01-explorer"{_attrs(id=ident, data_explorer=url, data_script=script, role="group", aria_labelledby=ident + "-title")}>',
           f'<p class="n01-explorer__title" id="{ident}-title">{e(data["title"])}</p>',
           '<div class="n01-explorer__controls">']
    for control in data["controls"]:
        cid = f"{ident}-{control['name']}"
        values = [o["value"] for o in control["options"]]
        index = values.index(control["value"])
        text, spoken = control["options"][index]["text"], control["options"][index].get("spoken")
        if control["kind"] == "select":
            options = "".join(f'<option{_attrs(value=o["value"])}{" selected" if o["value"] == control["value"] else ""}>'
                              f'{e(o["text"])}</option>' for o in control["options"])
            out.append(f'<div class="n01-explorer__control"><label for="{cid}">{e(control["label"])}</label>'
                       f'<select{_attrs(id=cid, name=control["name"])}>{options}</select></div>')
        elif control["kind"] == "checkbox":
            checked = " checked" if index == 1 else ""
            out.append(f'<div class="n01-explorer__control n01-explorer__control--checkbox">'
                       f'<input type="checkbox"{_attrs(id=cid, name=control["name"])}{checked}>'
                       f'<label for="{cid}">{e(control["label"])}</label></div>')
        else:
            marks = "".join(f'<button type="button" class="n01-explorer__mark"{_attrs(data_value=m["value"], aria_controls=cid)}>'
                            f'{e(m["text"])}</button>' for m in control.get("marks", []))
            out.append(f'<div class="n01-explorer__control n01-explorer__control--range">'
                       f'<label for="{cid}">{e(control["label"])}</label>'
                       f'<input type="range"{_attrs(id=cid, name=control["name"], min=0, max=len(values) - 1, step=1, value=index, aria_valuetext=spoken or text)}>'
                       f'<output{_attrs(for_=cid, id=cid + "-value")}>{e(text)}</output>'
                       + (f'<span class="n01-explorer__marks">{marks}</span>' if marks else "") + '</div>')
    out.append("</div>")
    out.append('<div class="n01-explorer__charts">')
    for number, chart in enumerate(data["charts"]):
        width, height = SQUARE_SIZE if chart.get("square") else SIZE
        legend = "".join(f'<li{_attrs(data_series=item.get("key"))}><span class="{_swatch_classes(item)}"></span>{e(item["label"])}</li>'
                         for item in [*chart.get("static", []), *chart["series"]] if item.get("label"))
        out.append(f'<figure class="n01-explorer__chart"><figcaption>{e(chart["title"])}</figcaption>'
                   f'<svg{_attrs(viewBox=f"0 0 {width} {height}", data_chart=number, aria_hidden="true", focusable="false")}></svg>'
                   + (f'<ul class="n01-explorer__legend">{legend}</ul>' if legend else "") + '</figure>')
    out.append("</div>")
    # Screen readers hear the readouts once a control comes to rest (the status line below is
    # written by the script half a second after the last change), not at every step of a drag.
    out.append('<dl class="n01-explorer__readouts">')
    for readout in data["readouts"]:
        out.append(f'<div><dt>{e(readout["label"])}</dt><dd{_attrs(data_readout=readout["key"])}>'
                   f'{e(state["text"][readout["key"]])}</dd></div>')
    out.append('</dl><p class="n01-explorer__status" aria-live="polite"></p></div>')
    return "\n" + "".join(out) + "\n"
