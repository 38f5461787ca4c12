"""One archive of every executed notebook, for readers who cannot reach Colab (or prefer offline).

    downloads/why-n01-notebooks.zip           (zh/downloads/ for the Chinese notebooks)
        why-n01-notebooks/README.txt          what the notebooks are and how to run them
        why-n01-notebooks/<slug>.ipynb        the same bytes the site serves at downloads/<slug>.ipynb

The zip's bytes depend only on its entries: fixed timestamps, permissions and compression, sorted
names. One archive per language, each with that language's notebooks and README. It lives in
`.cache/archive/LANG/KEY/`, where KEY hashes the notebooks and everything the README
says, so a build makes it once per set of notebooks and then only hashes (~5 MB, a few ms).
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import shutil
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sitebuild import cache, notebooks

NAME = "why-n01-notebooks"
ARCHIVE = f"{NAME}.zip"  # served as downloads/ARCHIVE
CACHE_DIR = cache.ROOT / ".cache" / "archive"
PYPROJECT = cache.ROOT / "pyproject.toml"
PYPI_MIRROR = "https://pypi.tuna.tsinghua.edu.cn/simple"

# Fixed entry metadata: the earliest date a zip can hold, Unix rw-r--r--, one compression.
DATE_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESSION = zipfile.ZIP_DEFLATED
COMPRESS_LEVEL = 9


class ArchiveError(RuntimeError):
    """The README would be wrong: a snippet imports a package that pyproject.toml does not pin."""


@dataclass(frozen=True)
class Archive:
    path: Path
    requirements: list[str]  # the pins a reader installs, e.g. "torch==2.13.0"
    python: str  # "3.11": the Python that executed the notebooks

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _dist(requirement: str) -> str:
    """'scikit-learn==1.9.1' -> 'scikit-learn' (normalized: lower case, '-' for '_' and '.')."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]).lower()


def _pins() -> list[str]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]


def requirements(names: list[str]) -> list[str]:
    """pyproject.toml's pinned dependencies that the snippets import, in pyproject's order.

    Costs ~0.7 s (metadata.packages_distributions scans every installed package): only called
    when the archive is rebuilt.
    """
    imported = set()
    for name in names:
        tree = ast.parse((cache.SNIPPETS_DIR / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - set(sys.stdlib_module_names))
    pinned = {_dist(pin): pin for pin in _pins()}
    providers = metadata.packages_distributions()
    needed = set()
    for module in third_party:
        dists = {_dist(d) for d in providers.get(module, [])} & pinned.keys()
        if not dists:
            raise ArchiveError(f"the snippets import '{module}', which pyproject.toml's dependencies do not pin")
        needed |= dists
    return [pin for dist, pin in pinned.items() if dist in needed]


def pip_packages(requirements: list[str]) -> str:
    """What a reader installs to run the notebooks: Jupyter and the pinned packages."""
    return " ".join(["jupyterlab", *requirements])


def readme(requirements: list[str], python: str, site_url: str, lang: str) -> str:
    """README.txt of the archive, in the language of its notebooks."""
    packages = pip_packages(requirements)
    site = site_url.rstrip("/") + "/"
    if lang == "zh":
        return f"""\
为什么是N(0, 1)？——笔记本
========================

这里的每个.ipynb文件对应{site}zh/上的一个原因页面：
包含该页面的全部实验，均已运行，带有打印结果和图。每个笔记本都能在笔记本电脑的
CPU上几秒到一分钟内跑完：不需要GPU，也不需要Colab。

这些笔记本是用Python {python}和以下包运行的：

    {" ".join(requirements)}

在本地用Jupyter运行：

    python -m pip install {packages}
    jupyter lab

如果PyPI访问缓慢或无法访问，可以使用国内的PyPI镜像，例如清华大学的镜像：

    python -m pip install -i {PYPI_MIRROR} {packages}

图中的中文标签需要一种中文字体。如果重新运行后中文显示为方框，在第一个代码单元之前
运行一行，例如（按系统换成已安装的字体）：

    import matplotlib; {notebooks.FONT_SETTING}
"""
    return f"""\
Why N(0, 1)? - the notebooks
============================

Each .ipynb file here is the notebook of one reason page of {site}: every
experiment of the page, executed, with its printed results and figures. Every
notebook runs on a laptop CPU in seconds to a minute: no GPU, no Colab needed.

They were executed with Python {python} and these packages:

    {" ".join(requirements)}

To run them locally with Jupyter:

    python -m pip install {packages}
    jupyter lab

If PyPI is slow or unreachable, any PyPI mirror serves the same packages, e.g.

    python -m pip install -i {PYPI_MIRROR} {packages}
"""


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A zip of `entries` ({name inside the archive: content}) whose bytes depend only on them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=DATE_TIME)
            info.compress_type = COMPRESSION
            info.create_system = 3  # Unix, on every platform (the default depends on the OS)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(info, entries[name], compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def entries(notebooks: dict[str, Path], readme_text: str) -> dict[str, bytes]:
    """{name inside the archive: bytes} for {snippet: its notebook} and the README."""
    files = {f"{NAME}/README.txt": readme_text.encode("utf-8")}
    for name, notebook in notebooks.items():
        files[f"{NAME}/{cache.slug(name)}.ipynb"] = notebook.read_bytes()
    return files


def _key(notebooks: dict[str, Path], site_url: str, lang: str) -> str:
    """Everything the archive's bytes depend on: the notebooks, pyproject.toml's dependencies, this
    module (the README's text), the Python version, the site's address and the language."""
    digest = hashlib.sha256()
    for name in sorted(notebooks):
        digest.update(name.encode() + b"\0" + notebooks[name].read_bytes() + b"\0")
    digest.update(json.dumps(_pins()).encode() + b"\0" + Path(__file__).read_bytes() + b"\0")
    digest.update(f"{python_version()}\0{site_url}\0{lang}".encode())
    return digest.hexdigest()[:16]


def ensure(notebooks: dict[str, Path], site_url: str, lang: str) -> Archive:
    """The archive of these notebooks ({snippet: its notebook in `lang`}), built only if no cached
    one has the same key."""
    target = CACHE_DIR / lang / _key(notebooks, site_url, lang)
    manifest = target / "manifest.json"
    if not manifest.exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        pins = requirements(sorted(notebooks))
        text = readme(pins, python_version(), site_url, lang)
        (partial / ARCHIVE).write_bytes(zip_bytes(entries(notebooks, text)))
        (partial / "manifest.json").write_text(json.dumps({"requirements": pins}, indent=1) + "\n")
        for stale in target.parent.iterdir():  # older archives of this language
            if stale != partial:
                shutil.rmtree(stale, ignore_errors=True)
        partial.rename(target)
    pins = json.loads(manifest.read_text(encoding="utf-8"))["requirements"]
    return Archive(target / ARCHIVE, pins, python_version())
