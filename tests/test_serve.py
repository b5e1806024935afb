"""`tonertrack serve` (issue 18), the server's side without a browser: the session cap and its
"full" page, sessions that stop when their websocket goes (or the server dies), websockets from
another site's page refused, and the loopback default. tests/test_serve_browser.py drives Chromium."""

from __future__ import annotations

import os
import signal
import time

import aiohttp
import pytest
from servetools import Served, alive

from tonertrack_tui.cli import main

pytestmark = pytest.mark.xdist_group("serve")


async def wait_for(condition, what: str, timeout: float = 60.0) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        await asyncio.sleep(0.05)


async def drawn(ws, marker: bytes = b"READ-ONLY") -> bytes:
    """Read the session's terminal output until `marker` shows (its printer list is drawn)."""
    seen = b""
    while marker not in seen:
        msg = await ws.receive(timeout=120)
        if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
            continue
        assert msg.type == aiohttp.WSMsgType.BINARY, (msg, seen[-300:])
        seen += msg.data
    return seen


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path, "--read-only", "--max-sessions", "1")
    yield server
    server.stop()


async def test_cap_full_page_and_sessions_stop_with_their_websocket(served):
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url) as page:
            assert page.status == 200 and "<title>TonerTrack</title>" in await page.text()
        ws = await http.ws_connect(f"{served.url}ws?width=100&height=30")
        screen = await drawn(ws)
        assert b"Reception" in screen
        [session] = served.sessions
        # one more: the page says so, and a websocket that raced past it gets one line, no process
        async with http.get(served.url) as page:
            body = await page.text()
            assert page.status == 503 and page.headers["Retry-After"] == "30"
            assert "All 1 browser sessions of this TonerTrack are in use." in body
        extra = await http.ws_connect(f"{served.url}ws")
        msg = await extra.receive(timeout=60)
        assert b"all 1 browser sessions are in use" in msg.data
        assert (await extra.receive(timeout=60)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert served.sessions == [session]
        # the browser goes away: its process stops, and the slot is free again
        await ws.close()
        await wait_for(lambda: not alive(session), "the session process to stop")
        await wait_for(lambda: not served.sessions, "the server to forget it")
        async with http.get(served.url) as page:
            assert page.status == 200
    log = served.stop()
    assert f"session 1 started: pid {session} (1 of 1 in use)" in log
    assert f"session 1 ended: pid {session} stopped (0 of 1 in use)" in log


async def test_a_websocket_from_another_sites_page_is_refused(served):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{served.url}ws", headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        ws = await http.ws_connect(f"{served.url}ws", headers={"Origin": served.url.rstrip("/")})
        await drawn(ws)
        [session] = served.sessions
        await ws.close()
        await wait_for(lambda: not alive(session), "the session to stop")


async def test_sessions_die_with_a_killed_server(served):
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{served.url}ws")
        await drawn(ws)
        [session] = served.sessions
        os.kill(served.process.pid, signal.SIGKILL)  # no shutdown handler runs: PR_SET_PDEATHSIG does it
        await wait_for(lambda: not alive(session), "the orphaned session to stop")


def test_not_loopback_needs_allow_remote(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0 is not loopback: textual-serve has no authentication; add --allow-remote" in err
    assert main(["serve", "--max-sessions", "0"]) == 2


def test_a_full_session_server_says_what_browsers_may_do(tmp_path):
    server = Served(tmp_path)  # no --read-only
    try:
        assert server.first_line.startswith("tonertrack serve: http://127.0.0.1:")
        assert "viewer sessions of" in server.first_line and "at most 6 at once" in server.first_line
        assert "without --read-only a browser session has the TUI's powers" in server.preamble
    finally:
        server.stop()


async def test_a_browser_that_vanishes_without_closing_is_noticed(served):
    """A laptop lid closed, a network cut: no close frame ever comes. The server pings every 15 s
    and ends the session when no pong comes back (this client never answers pings)."""
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{served.url}ws", autoping=False)
        await drawn(ws)
        [session] = served.sessions
        await wait_for(lambda: not alive(session), "the silent session to be ended", timeout=120)
        await ws.close()
