"""What the browser tests share: where Debian's Chromium and its driver are, the rule
for when they are missing, and a headless driver.

Without them a browser test module skips and says why, unless ``SYNOD_REQUIRE_BROWSER=1``
(CI, after ``.ci/install-browser``) makes that a failure. Call :func:`require_browser`
at the top of the module, before importing selenium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("SYNOD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("SYNOD_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT_S = 60  # an upper bound for a slow, shared machine; waits end as soon as the page is ready


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            return f"{path} not found: install Debian's {package} (.ci/install-browser)"
    return None


def require_browser() -> None:
    """Skip the calling module when the browser is missing (fail under CI's flag)."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("SYNOD_REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"SYNOD_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason, allow_module_level=True)


def headless_chromium() -> Iterator[Any]:
    """A headless Chromium driver, quit afterwards (the body of a module fixture)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
