"""`tonertrack serve` in a real browser (issue 18): Debian's headless Chromium loads the page,
starts the app from textual-serve's start screen, waits for the printer list, filters, opens a
printer's details, is refused a change in a read-only session, gets the "full" page beyond the
session cap, and the server stops the session's process when the browser goes away.

One server and one browser for the whole module (they are slow on 2 cores); skipped, with the
reason, when chromium, chromedriver or selenium are missing."""

from __future__ import annotations

import pytest
from browser import chromium, missing, start_session, terminal_text, type_keys, wait_for_text, wait_until
from servetools import Served, alive, snapshot_files

pytestmark = [pytest.mark.xdist_group("serve"),
              pytest.mark.skipif(missing() is not None, reason=f"browser tests: {missing()}")]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = Served(tmp_path_factory.mktemp("serve"), "--read-only", "--max-sessions", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def test_the_browser_shows_the_fleet_filters_and_opens_details(served, browser):
    from selenium.webdriver.common.keys import Keys

    start_session(browser, served.url + "?delay=1")  # the start screen; the app starts on the click
    text = wait_for_text(browser, "READ-ONLY", "Reception", "Accounts", "Lab", "Warehouse")
    assert "✖ Error Lab 10.9.0.3 Building 1 Black toner" in text  # worst first
    type_keys(browser, "/", "rec")
    wait_until(lambda: "Warehouse" not in terminal_text(browser) and "filter: rec" in terminal_text(browser),
               "the filter to leave only Reception")
    assert "Reception" in terminal_text(browser)
    type_keys(browser, Keys.ESCAPE)
    wait_for_text(browser, "Warehouse", "Accounts")
    type_keys(browser, Keys.ENTER)  # the cursor stayed on the printer the filter left: Reception
    details = wait_for_text(browser, "Model", "LaserJet M404")
    assert details.startswith("Reception 10.9.0.1 ✔ OK") and "90 %" in details
    type_keys(browser, Keys.ESCAPE)
    wait_for_text(browser, "Filter", "Sort")


def test_a_read_only_session_refuses_a_change(served, browser):
    before = snapshot_files(served.data)
    type_keys(browser, "a")
    wait_for_text(browser, "Read-only session: adding a printer is off.")
    type_keys(browser, "d")
    wait_for_text(browser, "Read-only session: deleting a printer is off.")
    assert "Add" not in terminal_text(browser).split("\n")[-1]  # the footer has no Add
    assert snapshot_files(served.data) == before


def test_a_session_beyond_the_cap_gets_the_full_page(served, browser):
    from selenium.webdriver.common.by import By

    first = browser.current_window_handle
    assert len(served.sessions) == 1
    browser.switch_to.new_window("tab")
    try:
        browser.get(served.url)
        assert browser.find_element(By.TAG_NAME, "h1").text == "TonerTrack is full"
        assert "All 1 browser sessions of this TonerTrack are in use." in browser.find_element(By.ID, "full").text
        assert len(served.sessions) == 1
    finally:
        browser.close()
        browser.switch_to.window(first)


def test_the_session_process_stops_when_the_browser_goes_away(served, browser):
    [session] = served.sessions
    browser.get("about:blank")  # the tab navigates away: its websocket closes
    wait_until(lambda: not alive(session), "the session process to stop")
    wait_until(lambda: not served.sessions, "the server to free the slot")
