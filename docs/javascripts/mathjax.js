// MathJax 3 configuration for pymdownx.arithmatex (generic mode) and for the notebook pages.
// MathJax itself is served from this site (assets/mathjax/), installed by pip.
window.MathJax = {
  tex: {
    // arithmatex emits \( \) and \[ \]; notebook Markdown cells keep $ and $$.
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    // Typeset only arithmatex output and notebook Markdown cells, never other page text.
    ignoreHtmlClass: "md-typeset|md-header|md-nav|md-footer|md-search|md-banner",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};

// MathJax typesets the page once at start-up. The site does not use Material's instant
// navigation, so no re-typesetting on page swaps is needed (calling it at start-up races
// MathJax's own first typeset and drops the glyph styles).
