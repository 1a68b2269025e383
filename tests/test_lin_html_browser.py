"""The lin page in a real browser (headless Chromium via Selenium): on a history of 50
clients the failing operation is in view when the page opens, and the links of the
"around the failure" table and of the prefix bring their bars into view.

Needs what tests/browser_support.py checks for (Debian's ``chromium`` and
``chromium-driver``, the ``selenium`` package); skips and says why without them, unless
``SYNOD_REQUIRE_BROWSER=1`` (CI) makes that a failure. Waits are on the page's state
(``data-ready``, the bar in view), never on a timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.lin.html_timeline import LABEL_WIDTH
from explorer.cli import main
from tests.browser_support import WAIT_S, headless_chromium, require_browser
from tests.lin_histories import many_clients_stale_read

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# the bar lies inside the box's visible area, right of the (sticky) client labels
IN_VIEW = """
const b = arguments[0].getBoundingClientRect(), r = arguments[1].getBoundingClientRect();
return r.left >= b.left + arguments[2] - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


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
