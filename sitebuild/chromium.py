"""Headless Chromium for the browser tests and the Lighthouse command: which browser, which flags.

Debian's `chromium` package is the browser (never `playwright install`, which downloads one). The
flags keep a headless run working in containers and off the network it does not need.
"""

from __future__ import annotations

import shutil

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def find() -> str | None:
    """Debian's Chromium, or None (then Playwright's own browser, if a reader installed one)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None
