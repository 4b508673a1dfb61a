"""Debian's Chromium for the browser tests: where it is, how it is launched, and the skip switch.

Playwright cannot download its own browser here, so the tests drive the system one by path. When it is
missing the tests fail with how to install it, unless SCREENING_SKIP_BROWSER=1 says to skip them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("SCREENING_SKIP_BROWSER") == "1", reason="SCREENING_SKIP_BROWSER=1"),
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Chromium, closed on exit (use it from a module-scoped fixture: Playwright's loop must not outlive it)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's chromium "
            "(apt-get install -y --no-install-recommends chromium), or set SCREENING_SKIP_BROWSER=1 "
            "to skip the browser tests.",
            pytrace=False,
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
