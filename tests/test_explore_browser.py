"""The explorer's page in a real browser: headless Chromium driven by Selenium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/install-browser`` installs
them) and the ``selenium`` package (the test extra). Without them these tests skip and
say why, unless ``SYNOD_REQUIRE_BROWSER=1`` (CI) makes that a failure. The server runs
in this process on a free port; every wait is on the page's own state (the
``data-ready`` attribute it sets after drawing a state), never on a timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from explore_server import AGREEMENT_TRACE, LINEARIZABLE_TRACE, serving, trace_session

from explorer.explore.server import encode_path
from tests.browser_support import WAIT_S, headless_chromium, require_browser

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from headless_chromium()


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    session, trace = trace_session(AGREEMENT_TRACE)
    with serving(session) as server:
        yield server.url.rstrip("/"), session, trace


def _ready(driver: Any, value: str) -> None:
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == value
    )


def _text(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def _press(driver: Any, key: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(key)


def test_stepping_through_a_trace(browser: Any, site: Any) -> None:
    base, session, trace = site
    browser.get(f"{base}/s/{session.id}/")
    _ready(browser, "0")
    assert _text(browser, "step-info") == f"step 0 of {len(trace.actions)}"
    assert "fails after 7 steps" in _text(browser, "trace-info")
    for k in range(1, len(trace.actions) + 1):
        _press(browser, Keys.ARROW_RIGHT)
        _ready(browser, str(k))
        steps = browser.find_elements(By.CSS_SELECTOR, "#diagram .drow.step")
        assert len(steps) == k  # the diagram grows one row per step
        assert "current" in (steps[-1].get_attribute("class") or "")
    assert browser.current_url == f"{base}/s/{session.id}/" + encode_path(trace.actions)
    # the diagram: the failing step and the mark under it
    diagram = _text(browser, "diagram")
    assert "!! 7" in diagram and "^^ property 'agreement' violated after step 7" in diagram
    # the state view: node 1's durable votes, highlighted as changed by the last step
    votes = browser.find_element(By.CSS_SELECTOR, '#panels [data-key="node-1/durable.votes"]')
    assert "'cas', 'x', 1, 11" in votes.text and "changed" in (votes.get_attribute("class") or "")
    card = _text(browser, "panel-node-1").lower()
    assert "durable" in card and "volatile" in card  # the two parts apart
    # the diff names the step and what it changed
    diff = _text(browser, "diff")
    assert diff.startswith("step 7: deliver 0->1 Promise") and "server 1 durable.votes" in diff
    # the properties and why agreement is false: two quorums for different values in slot 0
    row = browser.find_element(By.CSS_SELECTOR, '#properties tr[data-property="agreement"]')
    assert "violated" in (row.get_attribute("class") or "") and "VIOLATED" in row.text
    why = browser.find_element(By.CSS_SELECTOR, '#why .why[data-property="agreement"]').text
    assert "slot 0: different values decided" in why
    assert "ballot (1, 0)" in why and "ballot (2, 1)" in why and why.count("(a quorum of 1)") == 2
    # and back one step: agreement holds there, no explanation
    _press(browser, Keys.ARROW_LEFT)
    _ready(browser, "6")
    assert not browser.find_elements(By.CSS_SELECTOR, '#why .why[data-property="agreement"]')
    assert _text(browser, "step-info") == "step 6 of 7"


def test_clicking_an_action_branches_off_and_back(browser: Any, site: Any) -> None:
    base, session, trace = site
    browser.get(f"{base}/s/{session.id}/" + encode_path(trace.actions[:3]))
    _ready(browser, "3")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#actions button.action")
    off_trace = next(b for b in buttons if b.get_attribute("data-label") != trace.actions[3])
    label = off_trace.get_attribute("data-label")
    chips = off_trace.text
    off_trace.click()
    _ready(browser, "4")
    assert _text(browser, "diff").startswith(f"step 4: {label}")
    assert _text(browser, "step-info") == "step 4 of 4"  # a new tape: the branch
    assert browser.current_url.endswith(encode_path([*trace.actions[:3], label]))
    changed = {e.get_attribute("data-key").split("/")[0] for e in browser.find_elements(By.CSS_SELECTOR, "#panels .prow.changed, #panels .prow.added")}
    for node in (p for p in changed if p.startswith("node-")):
        assert f"changes node {node[5:]}" in chips  # the action said in advance which node it changes
    back = browser.find_element(By.ID, "back-to-trace")
    assert back.is_displayed()
    back.click()
    _ready(browser, "3")
    assert _text(browser, "step-info") == "step 3 of 7"
    # keyboard: the first action, by its number
    first = browser.find_elements(By.CSS_SELECTOR, "#actions button.action")[0].get_attribute("data-label")
    _press(browser, "1")
    _ready(browser, "4")
    assert _text(browser, "diff").startswith(f"step 4: {first}")
    # j chooses the next action, Enter takes it
    second = browser.find_elements(By.CSS_SELECTOR, "#actions button.action")[1].get_attribute("data-label")
    _press(browser, "j")
    chosen = browser.find_element(By.CSS_SELECTOR, "#actions li.selected button.action")
    assert chosen.get_attribute("data-label") == second
    _press(browser, Keys.ENTER)
    _ready(browser, "5")
    assert _text(browser, "diff").startswith(f"step 5: {second}")


def test_a_shared_url_reopens_the_state_and_a_bad_one_says_why(browser: Any, site: Any) -> None:
    base, session, trace = site
    browser.get(f"{base}/s/{session.id}/" + encode_path(trace.actions[:5]))
    _ready(browser, "5")
    link = browser.find_element(By.ID, "permalink").get_attribute("href")
    browser.get("about:blank")
    browser.get(link)
    _ready(browser, "5")
    assert _text(browser, "step-info") == "step 5 of 7"  # on the trace: the rest is one key away
    browser.get(f"{base}/s/{session.id}/" + encode_path([trace.actions[0], "no such action"]))
    _ready(browser, "error")
    error = _text(browser, "error")
    assert "step 2: action 'no such action' is not enabled here" in error
    browser.find_element(By.ID, "error-fallback").click()
    _ready(browser, "1")
    browser.get(f"{base}/s/{session.id}/bad%zz")
    _ready(browser, "error")
    assert "malformed path" in _text(browser, "error")


def test_opening_a_trace_file_from_the_page(browser: Any, site: Any, tmp_path: Any) -> None:
    base, session, _ = site
    browser.get(f"{base}/s/{session.id}/")
    _ready(browser, "0")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    browser.find_element(By.ID, "trace-file").send_keys(str(broken))
    _ready(browser, "error")
    assert "broken.json: not a JSON trace" in _text(browser, "error")
    browser.find_element(By.ID, "trace-file").send_keys(str(LINEARIZABLE_TRACE))
    WebDriverWait(browser, WAIT_S).until(lambda d: "local-reads" in _text(d, "title"))
    _ready(browser, "0")
    _press(browser, Keys.END)
    _ready(browser, "9")
    why = browser.find_element(By.CSS_SELECTOR, '#why .why[data-property="linearizable"]').text
    assert "client 4: get x -> None cannot be placed" in why and "1. client 2: put x 1 -> 'ok'" in why


def test_a_narrow_window_stacks_the_panes(browser: Any, site: Any) -> None:
    base, session, _ = site
    browser.set_window_size(560, 900)
    try:
        browser.get(f"{base}/s/{session.id}/")
        _ready(browser, "0")
        path_pane = browser.find_element(By.ID, "path-pane").rect
        state_pane = browser.find_element(By.ID, "state-pane").rect
        assert state_pane["y"] >= path_pane["y"] + path_pane["height"]  # one column
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 560  # nothing forces sideways scrolling of the page
    finally:
        browser.set_window_size(1300, 1000)
