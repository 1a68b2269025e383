"""The lin page in a real browser (headless Chromium via Selenium): on a history of 50
clients the failing operation is in view when the page opens, and the links of the
"around the failure" table and of the prefix bring their bars into view.

Needs what tests/test_explore_browser.py needs (Debian's ``chromium`` and
``chromium-driver``, the ``selenium`` package); skips and says why without them, unless
``SYNOD_REQUIRE_BROWSER=1`` (CI) makes that a failure. Waits are on the page's state
(``data-ready``, the bar in view), never on a timer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.lin.html_timeline import LABEL_WIDTH
from explorer.cli import main
from tests.lin_histories import many_clients_stale_read

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


_REASON = _missing()
if _REASON is not None:
    if os.environ.get("SYNOD_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"SYNOD_REQUIRE_BROWSER=1 but {_REASON}")
    pytest.skip(_REASON, allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# the bar lies inside the box's visible area, right of the (sticky) client labels
IN_VIEW = """
const b = arguments[0].getBoundingClientRect(), r = arguments[1].getBoundingClientRect();
return r.left >= b.left + arguments[2] - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    work: Path = tmp_path_factory.mktemp("lin-page")
    text, _ = many_clients_stale_read()
    (work / "c50.json").write_text(text)
    assert main(["lin", str(work / "c50.json"), "--html", str(work / "c50.html")]) == 1
    return (work / "c50.html").as_uri()


def _open(browser: Any, url: str) -> Any:
    browser.get(url)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    )
    return browser.find_element(By.CSS_SELECTOR, ".timeline")


def test_the_failing_operation_is_in_view_when_the_page_opens(browser: Any, page_url: str) -> None:
    box = _open(browser, page_url)
    bar = box.find_element(By.CSS_SELECTOR, "rect.op.blocked")
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)
    assert browser.execute_script("return arguments[0].scrollLeft", box) > 0  # it had to scroll
    assert browser.execute_script(IN_VIEW, box, bar, LABEL_WIDTH)
    assert browser.execute_script("return window.scrollY") == 0  # the page opens at its top
    assert browser.find_element(By.CSS_SELECTOR, "p.failure").is_displayed()


def test_links_bring_their_operations_into_view(browser: Any, page_url: str) -> None:
    box = _open(browser, page_url)
    browser.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", box)  # far from the failure
    link = browser.find_element(By.CSS_SELECTOR, "table.ops tr.prefix a")
    target = browser.find_element(By.ID, link.get_attribute("href").split("#", 1)[1])
    link.click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.execute_script(IN_VIEW, box, target, LABEL_WIDTH))
    # the first entry of the folded prefix: at the far left of the timeline
    browser.find_element(By.CSS_SELECTOR, "details summary").click()
    first = browser.find_element(By.CSS_SELECTOR, "details ol li a")
    target = browser.find_element(By.ID, first.get_attribute("href").split("#", 1)[1])
    first.click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.execute_script(IN_VIEW, box, target, LABEL_WIDTH))
    assert browser.execute_script("return location.hash") == "#" + target.get_attribute("id")
