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

// Material's instant navigation swaps page content without reloading: typeset again.
if (window.document$) {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
