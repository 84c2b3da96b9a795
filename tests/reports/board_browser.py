"""Headless Debian Chromium driven by Playwright, for the board's browser test and screenshots.

``playwright install`` cannot download browsers here: Playwright drives the system Chromium
(``/usr/bin/chromium``, or ``TRAINYARD_CHROMIUM``) with a fresh user-data-dir and the flags
below. ``unavailable()`` says why no browser can run (the test skips with that reason);
``screenshot(html, png)`` is the reusable piece (a later ``scripts/screenshot-board`` can call
it the same way the test does).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("TRAINYARD_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1600, "height": 1000}


def unavailable() -> str | None:
    """None when a browser can run, else why not (the reason a test prints when skipping)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRAINYARD_CHROMIUM)"
    return None


@contextmanager
def browser_page() -> Iterator[Any]:
    """A fresh page in a fresh profile, with ``page.problems``: console errors and page errors."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="trainyard-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True, viewport=VIEWPORT
        )
        problems: list[str] = []

        def console(message: Any) -> None:
            if message.type in ("error", "warning"):
                problems.append(f"console {message.type}: {message.text}")

        try:
            page = context.new_page()
            page.on("console", console)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.problems = problems
            yield page
        finally:
            context.close()


def open_board(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-board-ready]")


def screenshot(html: Path, png: Path, fragment: str = "") -> Path:
    """Open a board file (``fragment`` e.g. ``team=Beta&problems=1``) and save a full-page PNG."""
    with browser_page() as page:
        open_board(page, html.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png), full_page=True)
    return png
