"""Bad input fails the strict build loudly: a missing include section, a broken link or anchor,
an unknown number. Each case builds a copy of the site with one page broken."""

from __future__ import annotations

import pytest

PAGE = "initialization.md"


@pytest.fixture
def broken_site(site_copy):
    """Edit PAGE in a copy of the site, build it, and return the strict build's log."""

    def build(*edits: tuple[str, str]) -> str:
        page = site_copy.docs / PAGE
        text = page.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"the test's anchor text {old!r} is no longer on {PAGE}"
            text = text.replace(old, new, 1)
        page.write_text(text, encoding="utf-8")
        proc = site_copy()
        assert proc.returncode != 0, f"the strict build accepted a broken {PAGE}"
        return proc.stderr

    return build


def test_missing_include_section_fails(broken_site):
    log = broken_site(('--8<-- "initialization.py:randn"', '--8<-- "initialization.py:no_such_section"'))
    assert "no_such_section" in log


def test_broken_anchor_and_broken_link_each_reported(broken_site):
    """One build for both (each costs a whole build): the log must name each of them."""
    log = broken_site(
        ("](#shape-vs-variance)", "](#no-such-anchor)"),
        ("](notebooks/initialization.ipynb)", "](notebooks/missing.ipynb)"),
    )
    assert "no-such-anchor" in log
    assert "missing.ipynb" in log


def test_unknown_number_fails_with_the_page_name(broken_site):
    log = broken_site(("{{ initialization.randn.batch }}", "{{ initialization.randn.no_such_key }}"))
    assert PAGE in log and "no_such_key" in log
