"""The GitHub workflows cannot run here: check that they say what CONTRIBUTING.md and README.md say.

tests.yml must run README's test command on the same Debian packages as .ci/run; pages.yml must
build strictly and publish with GitHub's official Pages actions.
"""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from conftest import ROOT, mkdocs_config

WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(job: dict) -> list[dict]:
    return job["steps"]


def uses(job: dict) -> list[str]:
    return [step["uses"] for step in steps(job) if "uses" in step]


def step_index(job: dict, predicate) -> int:
    matches = [i for i, step in enumerate(steps(job)) if predicate(step)]
    assert matches, "no such step"
    return matches[0]


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def readme_test_command() -> str:
    section = README.split("## Test it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "README's 'Test it' section has one bash block"
    return blocks[0].strip()


def apt_packages(script: str) -> set[str]:
    packages = set()
    for line in script.splitlines():
        if "apt-get install" in line:
            words = shlex.split(line.split("apt-get install", 1)[1])
            packages |= {w for w in words if not w.startswith("-")}
    return packages


@pytest.fixture(scope="module")
def pages() -> dict:
    return workflow("pages.yml")


@pytest.fixture(scope="module")
def tests() -> dict:
    return workflow("tests.yml")


def test_pages_triggers_permissions_and_concurrency(pages):
    assert pages["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in pages["on"]
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert pages["concurrency"]["group"] == "pages"


def test_pages_builds_strictly_with_the_cjk_font_and_cpu_torch(pages):
    build = pages["jobs"]["build"]
    assert "actions/checkout@v4" in uses(build)
    python = next(s for s in steps(build) if s.get("uses") == "actions/setup-python@v5")
    assert str(python["with"]["python-version"]) == "3.11"
    assert "fonts-noto-cjk" in apt_packages(runs(build)), "without the font --strict fails"
    torch = step_index(build, lambda s: "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
                       in s.get("run", ""))
    install = step_index(build, lambda s: "pip install -e ." in s.get("run", ""))
    assert torch <= install
    cache = next(s for s in steps(build) if s.get("uses") == "actions/cache@v4")
    assert cache["with"]["path"].rstrip("/") == ".cache"
    assert "hashFiles('snippets/**', 'sitebuild/**', 'pyproject.toml')" in cache["with"]["key"]
    mkdocs = step_index(build, lambda s: re.search(r"\bmkdocs build --strict\b", s.get("run", "")))
    assert install < mkdocs
    assert uses(build)[-2:] == ["actions/configure-pages@v5", "actions/upload-pages-artifact@v3"]
    assert steps(build)[-1]["with"]["path"] == "site"
    assert step_index(build, lambda s: s.get("uses") == "actions/cache@v4") < mkdocs


def test_pages_deploys_with_the_official_action(pages):
    deploy = pages["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step = next(s for s in steps(deploy) if s.get("uses") == "actions/deploy-pages@v4")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


def test_tests_workflow_runs_readmes_test_command(tests):
    (job,) = tests["jobs"].values()
    command = readme_test_command()
    assert [s for s in steps(job) if s.get("run", "").strip() == command], \
        f"tests.yml has no step that runs exactly README's {command!r}"
    assert str({**job.get("env", {}), **tests.get("env", {})}.get("CI")) in {"1", "true"}
    run = step_index(job, lambda s: s.get("run", "").strip() == command)
    apt = step_index(job, lambda s: "apt-get install" in s.get("run", ""))
    torch = step_index(job, lambda s: "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
                       in s.get("run", ""))
    assert apt < run and torch < run


def test_tests_workflow_installs_what_ci_run_installs(tests):
    (job,) = tests["jobs"].values()
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installed = apt_packages(runs(job))
    assert {"chromium", "fonts-noto-cjk"} <= installed
    assert installed == apt_packages(ci_run)
    assert readme_test_command() in ci_run


def test_readme_has_a_badge_for_each_workflow():
    config = mkdocs_config()
    site_url = config["site_url"]
    repo_url = re.fullmatch(r"https://github\.com/([^/\s]+/[^/\s]+?)/?", config.get("repo_url", ""))
    if repo_url:
        repo = repo_url.group(1)
    else:  # a GitHub user site: https://OWNER.github.io/ is the repository OWNER/OWNER.github.io
        owner = re.fullmatch(r"https://([^./]+)\.github\.io/", site_url).group(1)
        repo = f"{owner}/{owner}.github.io"
    for path in sorted(WORKFLOWS.glob("*.yml")):
        assert f"https://github.com/{repo}/actions/workflows/{path.name}/badge.svg" in README
    assert site_url in README and f"{site_url}zh/" in README
