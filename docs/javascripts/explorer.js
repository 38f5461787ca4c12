// Explorers (issue 16): interactive figures whose every value was computed by the page's snippet
// at build time (sitebuild/explorers.py writes the HTML and explorers/<snippet>/<name>_<lang>.json).
// This script only looks values up and draws them: it computes nothing that the page states.
// Loaded by figures.js only on pages that have an explorer, once one comes near the screen; each
// explorer then fetches its data when it comes near the screen.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const MARGIN = { left: 54, right: 10, top: 10, bottom: 42 };
  const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

  function node(parent, tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const key in attributes) element.setAttribute(key, attributes[key]);
    if (text !== undefined) element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  function scale(axis, domain, low, high) {
    const log = axis.scale === "log";
    const [d0, d1] = domain;
    return function (value) {
      if (value === null || !isFinite(value) || (log && value <= 0)) return null;
      const v = log ? Math.log10(value) : value;
      return low + ((v - d0) / (d1 - d0)) * (high - low);
    };
  }

  function ticks(axis, domain) {
    const [d0, d1] = domain;
    if (axis.scale === "log") {
      const every = Math.max(1, Math.ceil((Math.floor(d1) - Math.ceil(d0) + 1) / 6));
      const first = Math.ceil(d0 / every) * every, last = Math.floor(d1);  // 10⁻⁶, 10⁰, 10⁶: multiples
      const out = [];
      for (let k = first; k <= last; k += every) {
        out.push([Math.pow(10, k), "10" + String(k).split("").map((c) => SUPERSCRIPT[c]).join("")]);
      }
      return out;
    }
    const raw = (d1 - d0) / 5;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = magnitude * [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw);
    const out = [];
    for (let v = Math.ceil(d0 / step - 1e-9) * step; v <= d1 + 1e-9 * step; v += step) {
      const rounded = Math.abs(v) < step * 1e-9 ? 0 : v;
      out.push([rounded, String(Number(rounded.toPrecision(6)))]);
    }
    return out;
  }

  function lines(series) {
    // one polyline [[x, y], ...] or several; evenly spaced x come as {x0, dx, y}
    if (!series.length) return [];
    const list = Array.isArray(series[0]) && Array.isArray(series[0][0]) || !Array.isArray(series[0]) ? series : [series];
    return list.map((line) => Array.isArray(line) ? line : line.y.map((y, i) => [line.x0 + i * line.dx, y]));
  }

  function draw(svg, chart, series, pool, domains) {
    const box = svg.viewBox.baseVal;
    const x = scale(chart.x, domains.x, MARGIN.left, box.width - MARGIN.right);
    const y = scale(chart.y, domains.y, box.height - MARGIN.bottom, MARGIN.top);
    svg.replaceChildren();
    const grid = node(svg, "g", { class: "n01-explorer__grid" });
    const labels = node(svg, "g", { class: "n01-explorer__ticks" });
    for (const [value, text] of ticks(chart.x, domains.x)) {
      const px = x(value);
      node(grid, "line", { x1: px, x2: px, y1: MARGIN.top, y2: box.height - MARGIN.bottom });
      // a label at the right edge ends there instead of running off the chart
      const edge = px > box.width - MARGIN.right - 12;
      node(labels, "text", { x: edge ? box.width - 1 : px, y: box.height - MARGIN.bottom + 14,
                             "text-anchor": edge ? "end" : "middle" }, text);
    }
    for (const [value, text] of ticks(chart.y, domains.y)) {
      const py = y(value);
      node(grid, "line", { x1: MARGIN.left, x2: box.width - MARGIN.right, y1: py, y2: py });
      node(labels, "text", { x: MARGIN.left - 4, y: py + 4, "text-anchor": "end" }, text);
    }
    node(labels, "text", { x: (MARGIN.left + box.width - MARGIN.right) / 2, y: box.height - 6,
                            "text-anchor": "middle", class: "n01-explorer__axis" }, chart.x.label);
    node(labels, "text", { x: 0, y: 0, "text-anchor": "middle", class: "n01-explorer__axis",
                            transform: `translate(12 ${(MARGIN.top + box.height - MARGIN.bottom) / 2}) rotate(-90)` },
         chart.y.label);
    const clip = "clip-" + svg.closest(".n01-explorer").id + "-" + svg.dataset.chart;
    const defs = node(svg, "defs", {});
    node(node(defs, "clipPath", { id: clip }), "rect", {
      x: MARGIN.left, y: MARGIN.top, width: box.width - MARGIN.left - MARGIN.right,
      height: box.height - MARGIN.top - MARGIN.bottom });
    const plot = node(svg, "g", { "clip-path": `url(#${clip})` });
    const items = chart.static.map((item) => [item, item.points])
      .concat(chart.series.map((item) => [item, pool[series[item.key]]]));
    for (const [index, [item, data]] of items.entries()) {
      const colour = "n01-" + item.color.toLowerCase();
      for (const [number, line] of lines(data || []).entries()) {
        const id = `${index}:${number}`;
        if (item.kind === "bars") {
          const xs = line.map((p) => x(p[0]));
          const width = xs.length > 1 ? Math.abs(xs[1] - xs[0]) : 8;
          const base = y(chart.y.scale === "log" ? Math.pow(10, domains.y[0]) : Math.max(0, domains.y[0]));
          for (const [i, point] of line.entries()) {
            const top = y(point[1]);
            if (top === null || xs[i] === null) continue;
            node(plot, "rect", { class: colour + " n01-explorer__bar", x: xs[i] - width * 0.42,
                                 width: width * 0.84, y: Math.min(top, base), height: Math.abs(base - top) });
          }
        } else if (item.kind === "points") {
          for (const point of line) {
            const px = x(point[0]), py = y(point[1]);
            if (px !== null && py !== null) node(plot, "circle", { class: colour + " n01-explorer__point", cx: px, cy: py, r: 2.5 });
          }
        } else {
          // On a fixed axis (a chart's x or y "range") a point beyond it is drawn on the edge, and every
          // segment that touches such a point is dotted: the curve leaves the chart visibly.
          const top = MARGIN.top, bottom = box.height - MARGIN.bottom, left = MARGIN.left, right = box.width - MARGIN.right;
          const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
          const points = line.map((p) => [x(p[0]), y(p[1])]).filter((p) => p[0] !== null && p[1] !== null)
            .map(([px, py]) => [clamp(px, left, right), clamp(py, top, bottom), py < top || py > bottom || px < left || px > right]);
          let inside = "", outside = "";
          points.forEach(([px, py, off], i) => {
            const at = `${px.toFixed(1)} ${py.toFixed(1)}`;
            if (i === 0) { inside += `M${at}`; return; }
            const [qx, qy, prevOff] = points[i - 1];
            const from = `${qx.toFixed(1)} ${qy.toFixed(1)}`;
            if (off || prevOff) outside += `M${from}L${at}`;
            else inside += (inside.endsWith(from) ? "" : `M${from}`) + `L${at}`;
          });
          const style = colour + " n01-explorer__line" + (item.dashed ? " n01-explorer__line--dashed" : "") +
            (item.thin ? " n01-explorer__line--thin" : "");
          if (points.length) node(plot, "path", { class: style, d: inside || `M${points[0][0]} ${points[0][1]}`, "data-line": id, "data-points": points.length });
          if (outside) node(plot, "path", { class: style + " n01-explorer__line--off", d: outside, "data-line": id, "data-points": points.length });
        }
      }
    }
  }

  function setting(root, data) {
    return data.controls.map((control) => {
      const input = root.querySelector(`[name="${control.name}"]`);
      if (control.kind === "checkbox") return control.options[input.checked ? 1 : 0].value;
      if (control.kind === "range") return control.options[Number(input.value)].value;
      return input.value;
    });
  }

  function update(root, data) {
    const state = data.states[setting(root, data).join("|")];
    for (const control of data.controls) {
      if (control.kind !== "range") continue;
      const input = root.querySelector(`[name="${control.name}"]`);
      const option = control.options[Number(input.value)];
      input.setAttribute("aria-valuetext", option.spoken || option.text);
      root.querySelector(`output[for="${input.id}"]`).textContent = option.text;
      for (const mark of root.querySelectorAll(`.n01-explorer__mark[aria-controls="${input.id}"]`)) {
        mark.setAttribute("aria-pressed", String(mark.dataset.value === option.value));
      }
    }
    root.querySelectorAll("svg[data-chart]").forEach((svg) => {
      const number = Number(svg.dataset.chart);
      const chart = data.charts[number];
      draw(svg, chart, state.series, data.series, chart.domains || state.domains[number]);
    });
    // a legend entry whose series this setting lacks (an empty line) is hidden with it
    for (const item of root.querySelectorAll("li[data-series]")) {
      const lines = data.series[state.series[item.dataset.series]];
      item.hidden = !lines.some((line) => (Array.isArray(line) ? line.length : line.y.length));
    }
    for (const readout of root.querySelectorAll("[data-readout]")) {
      const text = state.text[readout.dataset.readout];
      if (readout.textContent !== text) readout.textContent = text;
    }
    root.dataset.state = setting(root, data).join("|");
    // Announced once the controls rest, not at every step of a slider drag.
    window.clearTimeout(root.n01Announce);
    root.n01Announce = window.setTimeout(() => {
      root.querySelector(".n01-explorer__status").textContent = [...root.querySelectorAll(".n01-explorer__readouts > div")]
        .map((row) => `${row.querySelector("dt").textContent} ${row.querySelector("dd").textContent}`).join("; ");
    }, 500);
  }

  function wire(root, data) {
    for (const control of data.controls) {
      const input = root.querySelector(`[name="${control.name}"]`);
      input.addEventListener(control.kind === "range" ? "input" : "change", () => update(root, data));
      for (const mark of root.querySelectorAll(`.n01-explorer__mark[aria-controls="${input.id}"]`)) {
        mark.addEventListener("click", () => {
          input.value = control.options.findIndex((o) => o.value === mark.dataset.value);
          update(root, data);
        });
      }
    }
    update(root, data);
    root.classList.add("n01-explorer--ready");
  }

  function load(root) {
    fetch(root.dataset.explorer)
      .then((response) => response.json())
      .then((data) => wire(root, data));
  }

  const roots = document.querySelectorAll(".n01-explorer[data-explorer]");
  if ("IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          load(entry.target);
        }
      }
    }, { rootMargin: "400px 0px" });
    roots.forEach((root) => observer.observe(root));
  } else {
    roots.forEach(load);
  }
})();
