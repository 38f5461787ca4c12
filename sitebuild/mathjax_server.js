// TeX to HTML with MathJax 3 (CommonHTML output), for sitebuild/math.py, which starts one of
// these per build and talks to it over stdin/stdout, one JSON object per line:
//   in:  {"tex": "x^2", "display": false}       out: {"html": "<mjx-container ...>"}
//                                                  or {"error": "Undefined control sequence \\foo"}
//   in:  {"stylesheet": true}                    out: {"css": "..."} (every glyph of every font)
// Usage: node mathjax_server.js MATHJAX_ES5_DIR FONT_URL
"use strict";

const [mathjaxDir, fontURL] = process.argv.slice(2);

global.MathJax = {
  loader: {
    paths: { mathjax: mathjaxDir },
    load: ["adaptors/liteDOM", "input/tex-full", "output/chtml", "a11y/assistive-mml"],
    require: require,
  },
  tex: {
    // An unknown macro is an error (not red text on the page), and so is any other TeX error.
    packages: { "[-]": ["noundefined"] },
    formatError: (jax, error) => {
      throw error;
    },
  },
  // adaptiveCSS off: the stylesheet covers every glyph, and sitebuild/math.py keeps those in use.
  chtml: { fontURL: fontURL, adaptiveCSS: false },
  startup: { typeset: false },
};
require(mathjaxDir + "/startup.js");

MathJax.startup.promise.then(() => {
  const adaptor = MathJax.startup.adaptor;
  const answer = (object) => process.stdout.write(JSON.stringify(object) + "\n");
  const lines = require("readline").createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const request = JSON.parse(line);
    if (request.stylesheet) {
      answer({ css: adaptor.textContent(MathJax.chtmlStylesheet()) });
      return;
    }
    try {
      const node = MathJax.tex2chtml(request.tex, { display: request.display });
      answer({ html: adaptor.outerHTML(node) });
    } catch (error) {
      answer({ error: String(error.message || error) });
    }
  });
});
