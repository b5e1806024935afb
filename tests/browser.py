"""Debian's Chromium driven by selenium through Debian's chromedriver (no browser download), for the
browser tests of `tonertrack serve` and the README's screenshot of it.

The served page draws the terminal on a canvas; `tonertrack serve` turns on xterm.js's
screen-reader mode, so the same text is also in `.xterm-accessibility-tree`: that is what
`terminal_text` reads.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

TERMINAL_TEXT = """
const tree = document.querySelector('.xterm-accessibility-tree');
return tree ? tree.innerText : null;
"""


def missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return "no /usr/bin/chromium (Debian package chromium; scripts/system-packages.sh installs it)"
    if not CHROMEDRIVER.exists() and not shutil.which("chromedriver"):
        return "no /usr/bin/chromedriver (Debian package chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def chromium(width: int = 1100, height: int = 800) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    service = Service(str(CHROMEDRIVER if CHROMEDRIVER.exists() else shutil.which("chromedriver")))
    return webdriver.Chrome(service=service, options=options)


def terminal_text(driver: Any) -> str:
    return str(driver.execute_script(TERMINAL_TEXT) or "")


def wait_until(condition: Callable[[], object], what: str, timeout: float = 90.0) -> Any:
    """Poll a condition (no speed is tested: the bound is only there to fail instead of hanging)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        time.sleep(0.1)


def wait_for_text(driver: Any, *words: str, timeout: float = 90.0) -> str:
    """Wait until the terminal shows every word; returns its text."""
    found: list[str] = []

    def shows() -> bool:
        found[:] = [terminal_text(driver)]
        return all(word in found[0] for word in words)

    try:
        wait_until(shows, f"the terminal to show {words}", timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; it shows:\n{found[0] if found else ''}") from None
    return found[0]


def type_keys(driver: Any, *keys: str) -> None:
    """Type into the terminal (xterm.js listens on its hidden textarea)."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(*keys)


def start_session(driver: Any, url: str) -> None:
    """Open the page; with ?delay textual-serve shows its start screen first, and the app starts
    on the click of Start."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    start = driver.find_elements(By.CSS_SELECTOR, "#start.-delay")
    if start:
        start[0].click()
