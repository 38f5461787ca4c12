// A figure that scrolls sideways (phones: see docs/stylesheets/extra.css) must be reachable by
// keyboard (WCAG 2.1.1; axe-core's scrollable-region-focusable). Only then does it get a tab stop.
function markScrollingFigures() {
  for (const figure of document.querySelectorAll(".n01-figure")) {
    if (figure.scrollWidth > figure.clientWidth) {
      figure.setAttribute("tabindex", "0");
      figure.setAttribute("role", "group");
      const image = figure.querySelector("img");
      if (image) figure.setAttribute("aria-label", image.alt);
    } else {
      figure.removeAttribute("tabindex");
      figure.removeAttribute("role");
      figure.removeAttribute("aria-label");
    }
  }
}
// Material's instant navigation replaces the page without a load event: document$ covers both.
if (typeof document$ !== "undefined") document$.subscribe(markScrollingFigures);
else window.addEventListener("load", markScrollingFigures);
window.addEventListener("resize", markScrollingFigures);
