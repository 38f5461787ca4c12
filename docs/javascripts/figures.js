// A figure, a table or a display formula that scrolls sideways (phones: see
// docs/stylesheets/extra.css; Material wraps every table in .md-typeset__scrollwrap, and lets a
// wide formula's div.arithmatex scroll) must be reachable by keyboard (WCAG 2.1.1;
// axe-core's scrollable-region-focusable). Only while it actually scrolls does it get a tab stop.
function markScrolling(element, label) {
  if (element.scrollWidth > element.clientWidth) {
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "group");
    if (label) element.setAttribute("aria-label", label);
  } else {
    element.removeAttribute("tabindex");
    element.removeAttribute("role");
    element.removeAttribute("aria-label");
  }
}
const FORMULA_LABEL = { en: "Formula", zh: "公式" };
function markScrollingRegions() {
  const formulaLabel = FORMULA_LABEL[document.documentElement.lang] || FORMULA_LABEL.en;
  for (const formula of document.querySelectorAll(".md-typeset div.arithmatex")) {
    markScrolling(formula, formulaLabel);
  }
  for (const figure of document.querySelectorAll(".n01-figure")) {
    const image = figure.querySelector("img");
    markScrolling(figure, image ? image.alt : "");
  }
  for (const wrapper of document.querySelectorAll(".md-typeset__scrollwrap")) {
    const heading = wrapper.querySelector("th");
    markScrolling(wrapper, heading ? heading.textContent.trim() : "");
  }
}
// Material's instant navigation replaces the page without a load event: document$ covers both.
// Material wraps tables while it mounts the page, so look once more after that has run.
function markSoon() {
  markScrollingRegions();
  window.setTimeout(markScrollingRegions, 0);
}
if (typeof document$ !== "undefined") document$.subscribe(markSoon);
else window.addEventListener("load", markSoon);
window.addEventListener("resize", markScrollingRegions);

// Explorers (issue 16, sitebuild/explorers.py): their script loads only on a page that has one,
// and only when an explorer comes near the screen, so the page's first view runs none of it.
function loadExplorerScript() {
  const roots = document.querySelectorAll(".n01-explorer[data-script]");
  if (!roots.length) return;
  const load = () => {
    if (document.querySelector("script[data-n01-explorer]")) return;
    const script = document.createElement("script");
    script.src = roots[0].dataset.script;
    script.dataset.n01Explorer = "";
    document.head.append(script);
  };
  if (!("IntersectionObserver" in window)) return load();
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) { observer.disconnect(); load(); }
  }, { rootMargin: "600px 0px" });
  roots.forEach((root) => observer.observe(root));
}
window.addEventListener("load", loadExplorerScript);
