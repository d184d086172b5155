"""A real headless browser for the static pages (docs site, KPI report): Debian's chromium driven by playwright.

Never downloads a browser: playwright launches /usr/bin/chromium (``apt-get install chromium``; `make test-setup`
installs it) with a fresh profile. Every console error (with the URL it names), uncaught page error and request
that would leave the machine (anything but local files and 127.0.0.1) is collected, so a test can assert that a
page works from disk, offline, without errors. A missing chromium FAILS the test (it is part of the test setup),
it never skips.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_PREFIXES = ("file:", "data:", "blob:", "about:", "http://127.0.0.1:", "http://localhost:")


@dataclass
class Page:
    """A loaded page plus everything that went wrong while it ran."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.console_errors + [f"external request blocked: {u}" for u in self.external_requests]

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a PNG under test-artifacts/ (gitignored; CI keeps it as an artefact)."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def require_chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-setup` (apt-get install -y chromium)", pytrace=False)
    return CHROMIUM


@contextmanager
def open_page(url: str, *, width: int = 1400, height: int = 1000, wait_for: str | None = None) -> Iterator[Page]:
    """Open url in headless chromium; requests to anything but local files are blocked and recorded."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    profile = Path(tempfile.mkdtemp(prefix="dpc-chromium-"))
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": width, "height": height},
                locale="ja-JP",
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                result = Page(page)

                def on_console(message: Any) -> None:
                    if message.type == "error":
                        where = (message.location or {}).get("url", "")
                        result.console_errors.append(f"console: {message.text.strip()} [at {where}]")

                def on_route(route: Any) -> None:
                    if route.request.url.startswith(LOCAL_PREFIXES):
                        route.continue_()
                    else:
                        result.external_requests.append(route.request.url)
                        route.abort()

                page.on("console", on_console)
                page.on("pageerror", lambda exc: result.console_errors.append(f"page error: {exc}"))
                context.route("**/*", on_route)
                page.goto(url, wait_until="load")
                if wait_for:
                    page.wait_for_selector(wait_for, state="visible")
                yield result
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
