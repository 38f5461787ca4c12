"""The archive of every notebook (sitebuild/archive.py) and the Downloads page that offers it."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

import nbformat
import pytest

from conftest import LANGS, mkdocs_config
from sitebuild import archive, cache, formats, notebooks

ZIP = f"downloads/{archive.ARCHIVE}"
README = f"{archive.NAME}/README.txt"


def prefix(lang: str) -> str:
    return "" if lang == "en" else f"{lang}/"


def served_zip(site, lang: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(site.dir / f"{prefix(lang)}{ZIP}")


@pytest.mark.parametrize("lang", LANGS)
def test_archive_holds_every_served_notebook(site, lang):
    expected = {f"{archive.NAME}/{cache.slug(name)}.ipynb" for name in cache.snippet_names()}
    with served_zip(site, lang) as zf:
        assert zf.testzip() is None, "a member of the archive is corrupt"
        names = zf.namelist()
        assert len(names) == len(set(names)), "an entry appears twice"
        assert set(names) == expected | {README}, "one notebook per snippet and the README, nothing else"
        for member in sorted(expected):
            data = zf.read(member)
            served = site.dir / f"{prefix(lang)}downloads" / posixpath.basename(member)
            assert data == served.read_bytes(), f"{member} differs from the served {served.name}"
            notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
            nbformat.validate(notebook)
            assert any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
                f"{member} is not executed"
            )


@pytest.mark.parametrize("lang", LANGS)
def test_readme_says_how_to_run_in_its_language(site, lang):
    with served_zip(site, lang) as zf:
        text = zf.read(README).decode("utf-8")
    pins = archive.requirements(cache.snippet_names())
    assert archive.pip_packages(pins) in text
    assert f"Python {archive.python_version()}" in text
    assert archive.PYPI_MIRROR in text
    assert "jupyter lab" in text
    assert ("笔记本" in text) == (lang == "zh"), f"the {lang} README is in the wrong language"


def test_requirements_are_the_pinned_packages_the_snippets_import():
    pins = archive.requirements(cache.snippet_names())
    assert pins and all("==" in pin for pin in pins), pins
    assert {"torch", "numpy"} <= {archive._dist(pin) for pin in pins}
    assert not any(archive._dist(pin).startswith("mkdocs") for pin in pins), "build tools are not for readers"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Two fake snippets with fake notebooks, and an archive cache of their own."""
    monkeypatch.setattr(cache, "SNIPPETS_DIR", tmp_path / "snippets")
    monkeypatch.setattr(archive, "CACHE_DIR", tmp_path / "archive")
    cache.SNIPPETS_DIR.mkdir()
    outputs = {}
    for name, source in {"alpha": "import math\n", "beta_gamma": "from sklearn.datasets import load_digits\n"}.items():
        (cache.SNIPPETS_DIR / f"{name}.py").write_text(source, encoding="utf-8")
        out = tmp_path / "outputs" / name
        out.mkdir(parents=True)
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), out / f"{name}.ipynb")
        outputs[name] = out / f"{name}.ipynb"
    return outputs


def test_requirements_map_imports_to_pins_and_refuse_unpinned(sandbox):
    assert archive.requirements(["alpha"]) == []  # the standard library needs no install
    assert [archive._dist(pin) for pin in archive.requirements(["beta_gamma"])] == ["scikit-learn"]
    (cache.SNIPPETS_DIR / "alpha.py").write_text("import yaml\n", encoding="utf-8")  # installed, not pinned
    with pytest.raises(archive.ArchiveError, match="'yaml'"):
        archive.requirements(["alpha"])


def test_zip_bytes_are_deterministic():
    entries = {"d/b.ipynb": b"{}", "d/README.txt": "说明\n".encode(), "d/a.ipynb": b'{"x": 1}'}
    first = archive.zip_bytes(entries)
    assert archive.zip_bytes(dict(reversed(entries.items()))) == first, "entry order must not matter"
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.namelist() == sorted(entries)
        for info in zf.infolist():
            assert info.date_time == archive.DATE_TIME and info.compress_type == archive.COMPRESSION
            assert zf.read(info) == entries[info.filename]


@pytest.mark.parametrize("lang", LANGS)
def test_served_archive_is_rebuilt_byte_identical(site, tmp_path, monkeypatch, lang):
    """The same notebooks give the same zip: rebuilt from scratch, and from its own entries."""
    monkeypatch.setattr(archive, "CACHE_DIR", tmp_path / "archive")
    served = (site.dir / f"{prefix(lang)}{ZIP}").read_bytes()
    site_url = mkdocs_config()["site_url"]
    books = notebooks.ensure(cache.ensure(), site_url)
    rebuilt = archive.ensure({name: paths[lang] for name, paths in books.items()}, site_url, lang)
    assert rebuilt.path.read_bytes() == served
    with served_zip(site, lang) as zf:
        assert archive.zip_bytes({name: zf.read(name) for name in zf.namelist()}) == served


def test_archive_is_built_once_per_set_of_notebooks(sandbox, monkeypatch):
    builds = []
    real = archive.zip_bytes
    monkeypatch.setattr(archive, "zip_bytes", lambda entries: builds.append(1) or real(entries))
    first = archive.ensure(sandbox, "https://example.org/", "en")
    built = first.path.read_bytes()
    assert archive.ensure(sandbox, "https://example.org/", "en").path == first.path
    assert len(builds) == 1, "an unchanged set of notebooks must not rebuild the archive"
    chinese = archive.ensure(sandbox, "https://example.org/", "zh")
    assert len(builds) == 2 and chinese.path != first.path and first.path.exists(), "one archive per language"
    nbformat.write(nbformat.v4.new_notebook(), sandbox["alpha"])  # a snippet changed
    second = archive.ensure(sandbox, "https://example.org/", "en")
    assert len(builds) == 3 and second.path != first.path and second.path.read_bytes() != built
    assert not first.path.parent.exists(), "the stale archive is removed"
    assert chinese.path.exists(), "the other language's archive stays"


def test_no_snippet_downloads_data():
    """The page says the notebooks download no data (their datasets ship with scikit-learn)."""
    fetching = re.compile(r"\bfetch_\w+|urlopen|urlretrieve|\brequests\b|download=True")
    offenders = [
        f"{name}.py: {match.group(0)}"
        for name in cache.snippet_names()
        for match in fetching.finditer((cache.SNIPPETS_DIR / f"{name}.py").read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def links(html: str, page_dir: str) -> set[str]:
    """Every href of the page's article, resolved to a path from the site root."""
    article = html.split("<article", 1)[1].split("</article>", 1)[0]
    return {
        posixpath.normpath(posixpath.join(page_dir, href)) + ("/" if href.endswith("/") else "")
        for href in re.findall(r'href="([^"#:]+)"', article)
    }


@pytest.mark.parametrize("lang", LANGS)
def test_downloads_page_offers_the_archive_and_every_notebook(site, lang):
    prefix = "" if lang == "en" else f"{lang}/"
    html = site.html(f"{prefix}downloads/")
    found = links(html, f"{prefix}downloads")
    assert f"{prefix}{ZIP}" in found, f"{prefix}downloads/ does not link its language's {ZIP}"
    assert formats.filesize((site.dir / f"{prefix}{ZIP}").stat().st_size) in html, "the archive's size is not shown"
    for name in cache.snippet_names():
        slug = cache.slug(name)
        assert f"{prefix}downloads/{slug}.ipynb" in found, f"{prefix}downloads/ does not link its {slug}.ipynb"
        assert f"{prefix}{slug}/" in found, f"{prefix}downloads/ does not link the page {slug}"
        assert f"{prefix}notebooks/{slug}/" in found, f"{prefix}downloads/ does not link notebook {slug}"
    if lang == "zh":
        assert "镜像" in html and archive.PYPI_MIRROR in html


@pytest.mark.parametrize(("lang", "title"), [("en", "Downloads"), ("zh", "下载")])
def test_downloads_page_is_in_the_nav_in_both_languages(site, lang, title):
    home = site.html("" if lang == "en" else f"{lang}/")
    nav = re.compile(rf'<a href="(\./)?downloads/" class="md-nav__link">\s*<span class="md-ellipsis">\s*{title}\s*</span>')
    assert nav.search(home), f"the {lang} navigation has no '{title}' entry"
