"""Explorers (issue 16): the build machinery (sitebuild/explorers.py), the built pages, and each
explorer in Chromium: moving its controls shows exactly the build's data for that setting.

The explorers' numbers themselves are checked against theory in each snippet's own tests
(tests/test_<snippet>.py, `built_explorer`), like every other result of the snippet."""

from __future__ import annotations

import gzip
import json
import math
import re

import pytest

from conftest import LANGS, ROOT
from sitebuild import explorers, formats, style

# (page, explorer): every explorer the site has; test_every_explorer_is_listed keeps this complete.
EXPLORERS = [
    ("initialization", "depth"),
    ("attention-scaling", "temperature"),
    ("why-gaussian", "clt"),
    ("standardization", "conditioning"),
    ("edge-of-chaos", "edge"),
    ("number-formats", "window"),
]
SCRIPT = ROOT / "docs" / "javascripts" / "explorer.js"
SCRIPT_BUDGET = 30 * 1024  # issue 16: the explorers' JavaScript, compressed


def toy_spec(**changes) -> dict:
    spec = {
        "title": "Toy",
        "controls": [
            {"name": "a", "label": "A", "options": [{"value": "x", "text": "X"}, {"value": "y", "text": "Y"}]},
            {"name": "b", "label": "B", "kind": "range", "value": "2",
             "options": [{"value": str(i), "text": f"b={i}"} for i in range(3)],
             "marks": [{"value": "0", "text": "zero"}]},
        ],
        "charts": [{"title": "C", "x": {"label": "x"}, "y": {"label": "y", "scale": "log"},
                    "series": [{"key": "s", "label": "curve", "color": "C0", "kind": "line"}]}],
        "readouts": [{"key": "v", "label": "value", "format": ["sci", 1]}],
        "states": [
            {"controls": {"a": a, "b": str(b)},
             "series": {"s": [[i, 10.0 ** (i * (b + 1))] for i in range(4)] if a == "x" else [[0, 1.0], [1, 2.0]]},
             "values": {"v": 1234.5 * (b + 1)}}
            for a in "xy" for b in range(3)
        ],
    }
    spec.update(changes)
    return spec


# ---------------------------------------------------------------------------------------------
# The build machinery


def test_finish_keys_states_by_their_settings_and_writes_readouts_as_the_pages_do():
    data = explorers.finish("toy", toy_spec())
    assert set(data["states"]) == {f"{a}|{b}" for a in "xy" for b in range(3)}
    state = data["states"]["x|1"]
    assert state["text"]["v"] == formats.sci(1234.5 * 2, 1)
    assert state["values"]["v"] == pytest.approx(1234.5 * 2, rel=1e-3)
    assert data["controls"][0]["value"] == "x" and data["controls"][1]["value"] == "2"


def test_an_infinite_readout_is_written_as_infinity_and_a_missing_one_as_a_dash():
    spec = toy_spec()
    spec["states"][0]["values"]["v"] = math.inf
    spec["states"][1]["values"]["v"] = None
    data = explorers.finish("toy", spec)
    assert data["states"]["x|0"]["text"]["v"] == "∞" and data["states"]["x|0"]["values"]["v"] is None
    assert data["states"]["x|1"]["text"]["v"] == "–"


def test_finish_fixes_the_axes_over_every_setting():
    data = explorers.finish("toy", toy_spec())
    low, high = data["charts"][0]["domains"]["y"]  # log scale: powers of ten
    values = [p[1] for s in toy_spec()["states"] for p in s["series"]["s"]]
    assert 10**low <= min(values) and 10**high >= max(values)
    assert data["charts"][0]["domains"]["x"][0] <= 0 and data["charts"][0]["domains"]["x"][1] >= 3


def test_a_curve_shared_by_settings_is_sent_once_and_evenly_spaced_x_are_compacted():
    data = explorers.finish("toy", toy_spec())
    shared = {data["states"][f"y|{b}"]["series"]["s"] for b in range(3)}
    assert len(shared) == 1  # the same curve for a = y at every b
    assert len(data["series"]) == 4
    line = data["series"][data["states"]["x|0"]["series"]["s"]][0]
    assert line["x0"] == 0 and line["dx"] == 1 and len(line["y"]) == 4


@pytest.mark.parametrize("change, message", [
    ({"states": toy_spec()["states"][:-1]}, "for a grid of 6 settings"),
    ({"readouts": [{"key": "v", "label": "value", "format": ["money", 2]}]}, "format"),
    ({"charts": [{"title": "C", "x": {"label": "x"}, "y": {"label": "y"},
                  "series": [{"key": "s", "label": "", "color": "C0", "kind": "pie"}]}]}, "kind 'pie'"),
])
def test_a_spec_the_script_could_not_draw_fails_the_build_with_its_name(change, message):
    with pytest.raises(explorers.ExplorerError, match=f"explorer 'toy'.*{re.escape(message)}"):
        explorers.finish("toy", toy_spec(**change))


def test_a_mark_must_sit_on_an_option():
    spec = toy_spec()
    spec["controls"][1]["marks"] = [{"value": "7", "text": "nowhere"}]
    with pytest.raises(explorers.ExplorerError, match="mark 'nowhere'"):
        explorers.finish("toy", spec)


def test_the_html_has_labelled_native_controls_and_the_default_readouts():
    data = explorers.finish("toy", toy_spec())
    html = explorers.html(data, "../explorers/toy/toy_en.json", "../javascripts/explorer.js")
    assert '<label for="explorer-toy-a">A</label><select id="explorer-toy-a" name="a">' in html
    assert 'type="range" id="explorer-toy-b" name="b" min="0" max="2" step="1" value="2" aria-valuetext="b=2"' in html
    assert data["controls"][1]["options"][0]["spoken"] == "b=0, zero"  # a marked option names its mark
    assert f'data-readout="v">{formats.sci(1234.5 * 3, 1)}</dd>' in html  # setting x|2
    assert '<p class="n01-explorer__status" aria-live="polite"></p>' in html and 'data-explorer="../explorers/toy/toy_en.json"' in html
    assert 'data-script="../javascripts/explorer.js"' in html


def test_legend_swatches_are_drawn_like_their_series():
    series = [{"key": "s", "label": "solid", "color": "C0", "kind": "line"},
              {"key": "s", "label": "dots", "color": "C1", "kind": "points"},
              {"key": "s", "label": "bars", "color": "C2", "kind": "bars"}]
    static = [{"label": "dashed", "color": "C7", "kind": "line", "dashed": True, "points": [[0, 1], [1, 1]]}]
    chart = {"title": "C", "x": {"label": "x"}, "y": {"label": "y"}, "series": series, "static": static}
    html = explorers.html(explorers.finish("toy", toy_spec(charts=[chart])), "toy.json", "explorer.js")
    swatches = dict((label, classes.split()) for classes, label in re.findall(
        r'<li[^>]*><span class="([^"]+)"></span>([^<]+)</li>', html))
    assert "n01-explorer__swatch--dashed" in swatches["dashed"] and "n01-c7" in swatches["dashed"]
    assert "n01-explorer__swatch--dashed" not in swatches["solid"]
    assert "n01-explorer__swatch--points" in swatches["dots"] and "n01-explorer__swatch--bars" in swatches["bars"]
    css = (ROOT / "docs" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    for kind in ("dashed", "thin", "points", "bars"):
        assert f".n01-explorer__swatch--{kind} {{" in css, kind


def test_the_script_draws_with_the_site_palette_in_both_schemes():
    css = (ROOT / "docs" / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    light, dark = re.findall(r"\.n01-explorer \{(.*?)\}", css, re.S)[0], re.search(
        r'\[data-md-color-scheme="slate"\] \.n01-explorer \{(.*?)\}', css, re.S)[1]
    for block, theme in ((light, "light"), (dark, "dark")):
        colours = dict(re.findall(r"--n01-(c\d|ink|grid): (#[0-9A-Fa-f]{6})", block))
        assert [colours[f"c{i}"].lower() for i in range(8)] == [c.lower() for c in style.PALETTES[theme]]
        assert colours["ink"].lower() == style.INK[theme] and colours["grid"].lower() == style.GRID[theme]


def test_the_explorer_script_is_within_its_budget():
    assert len(gzip.compress(SCRIPT.read_bytes(), 9)) <= SCRIPT_BUDGET


# ---------------------------------------------------------------------------------------------
# The built site


def test_every_explorer_is_listed(site):
    found = sorted((p.parent.name, p.stem.rsplit("_", 1)[0]) for p in (site.dir / "explorers").glob("*/*_en.json"))
    assert found == sorted((page.replace("-", "_"), name) for page, name in EXPLORERS)


def explorer_data(site, page: str, name: str, lang: str) -> dict:
    path = site.dir / "explorers" / page.replace("-", "_") / f"{name}_{lang}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page, name", EXPLORERS)
def test_the_page_has_its_explorer_and_names_its_script(site, page, name, lang):
    prefix = "" if lang == "en" else f"{lang}/"
    html = site.html(f"{prefix}{page}/")
    assert f'id="explorer-{name}"' in html
    script = re.search(r'data-script="((?:\.\./)+javascripts/explorer\.js)"', html)
    assert script and (site.dir / prefix / page / script[1]).resolve() == (site.dir / "javascripts" / "explorer.js").resolve()
    data = explorer_data(site, page, name, lang)
    for control in data["controls"]:
        assert f'>{control["label"]}</label>' in html.replace("&#x27;", "'")


@pytest.mark.parametrize("lang", LANGS)
def test_pages_without_an_explorer_do_not_name_its_script(site, lang):
    prefix = "" if lang == "en" else f"{lang}/"
    for path in ["", "batch-norm/", "downloads/", "notebooks/initialization/"]:
        assert "explorer.js" not in site.html(prefix + path), prefix + path


@pytest.mark.parametrize("page, name", EXPLORERS)
def test_the_chinese_explorer_has_the_english_numbers_and_chinese_labels(site, page, name):
    en, zh = (explorer_data(site, page, name, lang) for lang in LANGS)
    assert en["states"].keys() == zh["states"].keys()
    assert all(en["states"][k]["values"] == zh["states"][k]["values"] for k in en["states"])
    assert en["series"] == zh["series"]
    assert re.search(r"[\u4e00-\u9fff]", zh["title"]) and not re.search(r"[\u4e00-\u9fff]", json.dumps(en, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------
# In the browser

# Per explorer, a sequence of moves: (control, how, argument). "key" presses a key on a range input
# (ArrowRight, Home, End), "select" picks an option, "check" toggles a checkbox, "mark" clicks the
# mark with that text's option.
MOVES = {
    "depth": [("act", "select", "relu"), ("gain", "mark", 1), ("gain", "key", "ArrowRight"),
              ("layer", "key", "Home"), ("act", "select", "gelu"), ("gain", "key", "End")],
    "temperature": [("d_k", "key", "End"), ("scale", "check", None), ("d_k", "key", "Home"),
                    ("d_k", "key", "ArrowRight")],
    "clt": [("source", "select", "proline"), ("n", "key", "End"), ("source", "select", "coin"),
            ("n", "key", "Home")],
    "conditioning": [("ratio", "key", "End"), ("standardize", "check", None), ("ratio", "key", "Home"),
                     ("standardize", "check", None)],
    "window": [("sigma", "key", "Home"), ("format", "select", "int8"), ("sigma", "mark", 0),
               ("format", "select", "fp32"), ("sigma", "key", "End")],
    "edge": [("sw2", "mark", 1), ("sb2", "key", "Home"), ("sw2", "mark", 0), ("sw2", "key", "Home"),
             ("sb2", "key", "End"), ("sw2", "key", "End")],
}


def expected_after(data: dict, setting: dict, move) -> None:
    """What a move does to the setting, from the data alone (not from the script)."""
    name, how, argument = move
    control = next(c for c in data["controls"] if c["name"] == name)
    values = [o["value"] for o in control["options"]]
    if how == "select":
        setting[name] = argument
    elif how == "check":
        setting[name] = values[1 - values.index(setting[name])]
    elif how == "mark":
        setting[name] = control["marks"][argument]["value"]
    else:
        index = values.index(setting[name])
        index = {"Home": 0, "End": len(values) - 1}.get(argument, min(index + 1, len(values) - 1))
        setting[name] = values[index]


def visible_readouts(page, root) -> dict:
    return {el.get_attribute("data-readout"): el.inner_text() for el in root.query_selector_all("[data-readout]")}


def drawn_counts(root) -> list[int]:
    """Per chart, the bars and points the script drew and the points of each line it drew (a line
    beyond a fixed axis is drawn as two paths, solid and dotted, that name the same line)."""
    return root.evaluate("""root => [...root.querySelectorAll('svg[data-chart]')].map(svg => {
        const lines = {};
        svg.querySelectorAll('path.n01-explorer__line').forEach(p => { lines[p.dataset.line] = Number(p.dataset.points); });
        return svg.querySelectorAll('rect.n01-explorer__bar, circle').length +
            Object.values(lines).reduce((n, count) => n + count, 0); })""")


def expected_counts(data: dict, state: dict) -> list[int]:
    counts = []
    for chart in data["charts"]:
        total = 0
        items = [(s, s["points"]) for s in chart["static"]] + [(s, data["series"][state["series"][s["key"]]]) for s in chart["series"]]
        for item, series in items:
            polylines = series and (isinstance(series[0], dict) or not series[0] or isinstance(series[0][0], list))
            lines = series if polylines else [series]  # an empty polyline: a line this setting lacks
            for line in lines:
                points = [[line["x0"] + i * line["dx"], y] for i, y in enumerate(line["y"])] if isinstance(line, dict) else line
                drawn = [p for p in points
                         if all(v is not None and (chart[axis].get("scale") != "log" or v > 0)
                                for v, axis in zip(p, "xy"))]
                total += len(drawn)
        counts.append(total)
    return counts


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page_name, name", EXPLORERS)
def test_moving_the_controls_shows_the_builds_numbers(site, browser, server, page_name, name, lang):
    data = explorer_data(site, page_name, name, lang)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + ("" if lang == "en" else f"{lang}/") + f"{page_name}/", wait_until="load")
        root = page.locator(f"#explorer-{name}")
        root.scroll_into_view_if_needed()
        page.wait_for_selector(f"#explorer-{name}.n01-explorer--ready", timeout=15000)
        handle = root.element_handle()
        setting = {c["name"]: c["value"] for c in data["controls"]}
        for move in [None, *MOVES[name]]:
            if move:
                control, how, argument = move
                target = page.locator(f"#explorer-{name}-{control}")
                if how == "select":
                    target.select_option(argument)
                elif how == "check":
                    target.press("Space")
                elif how == "mark":
                    page.locator(f'#explorer-{name} .n01-explorer__mark[aria-controls="explorer-{name}-{control}"]').nth(argument).click()
                else:
                    target.press(argument)
                expected_after(data, setting, move)
            key = "|".join(setting[c["name"]] for c in data["controls"])
            state = data["states"][key]
            assert handle.get_attribute("data-state") == key, move
            assert visible_readouts(page, handle) == state["text"], (move, key)
            for control in data["controls"]:
                if control["kind"] == "range":
                    option = next(o for o in control["options"] if o["value"] == setting[control["name"]])
                    assert page.locator(f"#explorer-{name}-{control['name']}").get_attribute("aria-valuetext") == option["spoken"]
                    assert page.locator(f"#explorer-{name}-{control['name']}-value").inner_text() == option["text"]
            assert drawn_counts(handle) == expected_counts(data, state), (move, key)
            hidden = handle.evaluate("""root => Object.fromEntries([...root.querySelectorAll('li[data-series]')]
                .map(li => [li.dataset.series, getComputedStyle(li).display === 'none']))""")
            for chart in data["charts"]:
                for item in chart["series"]:
                    if item["label"]:  # a series drawn nowhere in this setting has no legend entry
                        lines = data["series"][state["series"][item["key"]]]
                        assert hidden[item["key"]] == (not any(line["y"] if isinstance(line, dict) else line for line in lines)), (move, item["key"])
        # once the controls rest, a screen reader hears every readout of the last setting
        status = page.locator(f"#explorer-{name} .n01-explorer__status")
        for readout in data["readouts"]:
            page.wait_for_function("([el, text]) => el.textContent.includes(text)",
                                   arg=[status.element_handle(), f'{readout["label"]} {state["text"][readout["key"]]}'], timeout=3000)
    finally:
        context.close()


# Both schemes on the desktop; the phone in one (its colours are the desktop's: only the layout changes).
@pytest.mark.parametrize("scheme, width", [("light", 1280), ("dark", 1280), ("light", 390)])
@pytest.mark.parametrize("page_name, name", EXPLORERS)
def test_a_drawn_explorer_passes_axe_and_fits_a_phone(browser, server, page_name, name, scheme, width):
    from axe_playwright_python.sync_playwright import Axe

    for lang in LANGS:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        try:
            page = context.new_page()
            page.goto(server + ("" if lang == "en" else f"{lang}/") + f"{page_name}/", wait_until="load")
            page.locator(f"#explorer-{name}").scroll_into_view_if_needed()
            page.wait_for_selector(f"#explorer-{name}.n01-explorer--ready", timeout=15000)
            result = Axe().run(page, context=f"#explorer-{name}")
            blocking = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                        for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
            assert not blocking, (lang, blocking)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, lang
        finally:
            context.close()


def test_pagecheck_renders_a_page_with_an_explorer_as_a_line_of_text():
    """`python -m sitebuild.pagecheck` (for writers) renders explorer pages too."""
    from sitebuild import pagecheck

    text = pagecheck.render(ROOT / "docs" / "attention-scaling.md")
    assert re.search(r"^\[explorer temperature: .+\]$", text, re.M)
