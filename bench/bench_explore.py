"""How fast `synod explore` answers on the default model (multipaxos, 3 nodes, 2 clients).

Prints figures, asserts nothing (timings belong here, not in tests):

- page load over HTTP: the page, its script and style sheet, the session and the initial
  state, as a browser fetches them on opening a URL (a new server each time: cold);
- step latency over HTTP: a seeded random walk, one new state per request (nothing
  cached: each is computed on demand, with its enabled actions, what each changes and
  breaks, every property and the diagram of the whole path);
- the same in headless Chromium, when it is installed: from navigation to the page
  having drawn the state, and from a key press to the next state drawn.

    python bench/bench_explore.py [--steps 30] [--loads 5] [--seed 1] [--no-browser]

Wall seconds are on a shared, noisy machine; "CPU" is this process's CPU time (server
and client are in one process; not the browser's) per request. Browser figures are given
twice: as WebDriver sees them (its own round trips included) and as the page measures
them (``performance.now()`` from the request to the state drawn, or from opening the
page to its first state drawn).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from explorer.explore.server import Explorer, ExploreServer, encode_path
from explorer.explore.session import Session
from explorer.models import build_model
from explorer.models.config import CheckConfig

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def default_session() -> Session:
    config = CheckConfig()  # what `synod explore` opens with no options
    return Session(build_model(config), config)


@contextmanager
def serving(session: Session) -> Iterator[str]:
    server = ExploreServer(Explorer([session]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        data: bytes = response.read()
        return data


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def summary(name: str, walls: list[float], cpus: list[float]) -> None:
    ms = sorted(w * 1000 for w in walls)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    print(
        f"{name:<34} n={len(ms):<3} median {statistics.median(ms):7.1f} ms  p90 {p90:7.1f} ms  "
        f"max {ms[-1]:7.1f} ms  CPU median {statistics.median(cpus) * 1000:7.1f} ms"
    )


def page_load(loads: int) -> None:
    walls, cpus = [], []
    for _ in range(loads):
        session = default_session()
        with serving(session) as base:
            def load(base: str = base, sid: str = session.id) -> None:
                for path in (f"/s/{sid}/", "/static/app.js", "/static/style.css", f"/api/s/{sid}", f"/api/s/{sid}/state/"):
                    fetch(base + path)

            wall, cpu, _ = timed(load)
        walls.append(wall)
        cpus.append(cpu)
    summary("page load, HTTP (cold server)", walls, cpus)


def step_latency(steps: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    session = default_session()
    path: list[str] = []
    walls, cpus, sizes = [], [], []
    with serving(session) as base:
        view = json.loads(fetch(f"{base}/api/s/{session.id}/state/"))
        for _ in range(steps):
            if not view["actions"]:
                break
            path.append(rng.choice(view["actions"])["label"])
            url = f"{base}/api/s/{session.id}/state/" + encode_path(path)
            wall, cpu, raw = timed(lambda url=url: fetch(url))
            view = json.loads(raw)
            walls.append(wall)
            cpus.append(cpu)
            sizes.append(len(raw))
    summary(f"step, HTTP (walk of {len(walls)}, seed {seed})", walls, cpus)
    print(f"{'':<34} answer size median {statistics.median(sizes) / 1024:.1f} KiB, "
          f"actions enabled at the end {len(view['actions'])}")
    return path


def browser_figures(path: list[str], loads: int) -> None:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        print("browser: selenium is not installed; skipped")
        return
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        print("browser: chromium / chromedriver not installed; skipped")
        return
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def in_page(name: str) -> float:
        return float(driver.find_element(By.TAG_NAME, "body").get_attribute(name)) / 1000

    def ready(value: str) -> None:
        WebDriverWait(driver, 120, poll_frequency=0.005).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == value
        )

    try:
        walls, cpus, inside = [], [], []
        for _ in range(loads):
            session = default_session()
            with serving(session) as base:
                url = f"{base}/s/{session.id}/"
                wall, cpu, _ = timed(lambda url=url: (driver.get(url), ready("0")))
                inside.append(in_page("data-since-open-ms"))
            walls.append(wall)
            cpus.append(cpu)
        summary("page load, Chromium (cold server)", walls, cpus)
        summary("  in the page: open to drawn", inside, cpus)
        session = default_session()  # fresh: every state of the walk is computed anew
        with serving(session) as base:
            driver.get(f"{base}/s/{session.id}/")
            ready("0")
            walls, cpus, inside = [], [], []
            for k, label in enumerate(path, start=1):
                button = next(
                    b for b in driver.find_elements(By.CSS_SELECTOR, "#actions button.action")
                    if b.get_attribute("data-label") == label
                )
                wall, cpu, _ = timed(lambda k=k, button=button: (button.click(), ready(str(k))))
                inside.append(in_page("data-step-ms"))
                walls.append(wall)
                cpus.append(cpu)
            summary(f"step, Chromium (click, walk of {len(path)})", walls, cpus)
            summary("  in the page: request + drawing", inside, cpus)
            walls, cpus, inside = [], [], []
            body = driver.find_element(By.TAG_NAME, "body")
            for k in range(len(path) - 1, -1, -1):
                wall, cpu, _ = timed(lambda k=k: (body.send_keys(Keys.ARROW_LEFT), ready(str(k))))
                inside.append(in_page("data-step-ms"))
                walls.append(wall)
                cpus.append(cpu)
            summary("step back, Chromium (cached states)", walls, cpus)
            summary("  in the page: request + drawing", inside, cpus)
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    print(f"synod explore on the default model ({CheckConfig().model}, {CheckConfig().nodes} nodes, "
          f"{CheckConfig().clients} clients, faults {CheckConfig().faults}); python {sys.version.split()[0]}")
    page_load(args.loads)
    path = step_latency(args.steps, args.seed)
    if not args.no_browser:
        browser_figures(path, args.loads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
