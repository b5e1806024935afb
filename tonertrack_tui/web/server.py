"""The browser view: Textualize's textual-serve, with the session limits a shared jump box needs.

Each browser tab is one `tonertrack --viewer` process (textual-serve's model). On top of
textual-serve this server:
- caps the sessions (`max_sessions`): one more gets a "full" page, or a one-line message in its
  terminal when it raced past the page;
- starts each session with exec (the pid is the app's, not a shell's) and stops it for sure when
  the browser goes away: the quit message textual-serve sends, then SIGTERM, then SIGKILL; and
  with PR_SET_PDEATHSIG, so sessions die with the server even when it is killed;
- refuses a websocket from another site's page (Origin not this server): textual-serve checks
  nothing, and a page on any site could otherwise open a session on 127.0.0.1 in a user's browser;
- serves the fonts from its own static files (an offline jump box has no Google Fonts) and turns
  on xterm.js's screen-reader mode, so the terminal's text is in the page for screen readers
  (and for the browser tests) as well as on the canvas.

textual-serve has no authentication: see contrib/serve/ for a reverse proxy with one, or use
an SSH tunnel.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import textual_serve.server
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

log = logging.getLogger("tonertrack.serve")

QUIT_WAIT_S = 5.0  # a session asked to quit gets this long before SIGTERM, then as long before SIGKILL
PACKAGE = Path(textual_serve.server.__file__).resolve().parent

# what is patched in textual-serve's files (an upgrade that changes them is served unpatched: see tests)
GOOGLE_FONT = ('<link\n      rel="stylesheet"\n'
               '      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"\n    />')
LOCAL_FONT = """<title>{{ application.name }}</title>
    <style>
      @font-face { font-family: "Roboto Mono";
                   src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf"); }
    </style>"""
XTERM_OPTIONS = "allowProposedApi:!0,fontSize:i"
XTERM_OPTIONS_READABLE = "allowProposedApi:!0,screenReaderMode:!0,fontSize:i"

FULL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>TonerTrack: all sessions in use</title>
<meta http-equiv="refresh" content="30">
<style>body {{ background: #0c181f; color: #eee; font-family: monospace; padding: 3em; }}</style></head>
<body><h1>TonerTrack is full</h1>
<p id="full">All {limit} browser sessions of this TonerTrack are in use.</p>
<p>Close a TonerTrack tab you no longer need, or try again in a few minutes: this page retries every 30 s.
An administrator can allow more with <code>tonertrack serve --max-sessions N</code>.</p>
</body></html>
"""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """PR_SET_PDEATHSIG: the kernel sends SIGTERM to the session when the server dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def rss_kib(pid: int) -> int | None:
    """The resident memory of a process (kB), from /proc; None when it is gone or not Linux."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class Session(AppService):
    """One browser tab: one app process, started without a shell and stopped for sure."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv
        self.number = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def stop(self) -> None:
        """Ask the app to quit; SIGTERM, then SIGKILL, when it does not. Safe to call twice."""
        task, self._task = self._task, None
        process = self._process
        if task is None or process is None:
            return
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        await self.send_meta({"type": "quit"})
        for send in (None, process.terminate, process.kill):
            if send is not None and process.returncode is None:
                try:
                    send()
                except ProcessLookupError:
                    break
            try:
                await asyncio.wait_for(process.wait(), QUIT_WAIT_S)
                break
            except TimeoutError:
                continue
        await task


class SessionServer(Server):
    """textual-serve's Server with a cap on sessions and sessions that stop with their browser."""

    def __init__(self, argv: list[str], *, host: str, port: int, max_sessions: int, title: str = "TonerTrack",
                 public_url: str | None = None, describe: str = "",
                 on_event: Callable[[str], None] | None = None) -> None:
        super().__init__(" ".join(argv), host=host, port=port, title=title, public_url=public_url,
                         statics_path=PACKAGE / "static", templates_path=PACKAGE / "templates")
        self.argv = argv
        self._explicit_url = public_url is not None
        self.max_sessions = max_sessions
        self.sessions: dict[str, Session] = {}
        self.describe = describe
        self.on_event = on_event or (lambda line: print(line, flush=True))
        self._started = 0

    # -- the web application -------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        import aiohttp_jinja2

        app = web.Application()
        template = (PACKAGE / "templates" / "app_index.html").read_text(encoding="utf-8")
        template = template.replace(GOOGLE_FONT, LOCAL_FONT)
        aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": template}))
        script = (PACKAGE / "static" / "js" / "textual.js").read_text(encoding="utf-8")
        self._script = script.replace(XTERM_OPTIONS, XTERM_OPTIONS_READABLE, 1)
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.get("/static/js/textual.js", self.handle_script),
            web.static("/static", self.statics_path, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    def initialize_logging(self) -> None:
        logging.basicConfig(level="DEBUG" if self.debug else "WARNING", format="tonertrack serve: %(message)s")

    async def on_startup(self, app: web.Application) -> None:
        pass  # (textual-serve prints its logo here, before the port is open)

    def serve(self, debug: bool = False) -> None:
        """Listen until SIGINT/SIGTERM; the first line is printed once the port is open."""
        self.debug = debug
        self.initialize_logging()
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        runner = web.AppRunner(await self._make_app(), handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            public = f", browsers use {self.public_url}/" if self._explicit_url else ""
            self.on_event(f"tonertrack serve: http://{self.host}:{self.port}/ ({self.describe}{public}); "
                          "Ctrl+C stops")
            await stop.wait()
        finally:
            await runner.cleanup()  # on_shutdown: every session stops

    async def on_shutdown(self, app: web.Application) -> None:
        await asyncio.gather(*(session.stop() for session in list(self.sessions.values())),
                             return_exceptions=True)

    async def handle_script(self, request: web.Request) -> web.Response:
        return web.Response(text=self._script, content_type="application/javascript")

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    async def handle_index(self, request: web.Request) -> Any:
        if self.full:
            return web.Response(text=FULL_PAGE.format(limit=self.max_sessions), status=503,
                                content_type="text/html", headers={"Retry-After": "30"})
        if not self._explicit_url:
            # the page's own address, as the browser reached it (not 0.0.0.0 or a proxy's upstream):
            # textual-serve builds the page's URLs from public_url; nothing awaits before it reads it
            self.public_url = f"{request.scheme}://{request.host}"
        response = await super().handle_index(request)
        # no back/forward cache: a page kept frozen there keeps its websocket, and so its session
        # process and its slot, after the user navigated away
        response.headers["Cache-Control"] = "no-store"
        return response

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if not origin:
            return True  # not a browser page (curl, the benchmark)
        netloc = urlsplit(origin).netloc.lower()
        return netloc in {request.host.lower(), urlsplit(self.public_url).netloc.lower()}

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if not self._same_origin(request):
            self.on_event(f"refused a session from another site's page (Origin {request.headers.get('Origin')!r})")
            raise web.HTTPForbidden(text="a TonerTrack session opens only from its own page")
        websocket = web.WebSocketResponse(heartbeat=15)  # a browser that vanished is noticed in ≤ 30 s
        await websocket.prepare(request)
        if self.full:
            await websocket.send_bytes(
                f"\r\n  TonerTrack: all {self.max_sessions} browser sessions are in use; "
                "close one and reload this page.\r\n".encode())
            await websocket.close()
            return websocket
        width = max(20, min(500, _int(request.query.get("width"), 80)))
        height = max(5, min(300, _int(request.query.get("height"), 24)))
        session = Session(self.argv, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                          close=websocket.close, download_manager=self.download_manager, debug=self.debug)
        self._started += 1
        session.number = self._started
        self.sessions[session.app_service_id] = session
        try:
            await session.start(width, height)
            self.on_event(f"session {session.number} started: pid {session.pid} "
                          f"({len(self.sessions)} of {self.max_sessions} in use)")
            await self._process_messages(websocket, session)
        except asyncio.CancelledError:
            pass
        except Exception as error:  # one broken session must not stop the server
            log.exception(error)
        finally:
            await session.stop()
            self.sessions.pop(session.app_service_id, None)
            if not websocket.closed:
                await websocket.close()
            self.on_event(f"session {session.number} ended: pid {session.pid} stopped "
                          f"({len(self.sessions)} of {self.max_sessions} in use)")
        return websocket


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def session_argv(*, read_only: bool, config: str | None, data_dir: str | None) -> list[str]:
    """The command of one browser session: the monitor as a viewer (it never polls)."""
    argv = [sys.executable, "-m", "tonertrack_tui", "--viewer"]
    if read_only:
        argv.append("--read-only")
    if config:
        argv += ["--config", os.path.abspath(config)]
    if data_dir:
        argv += ["--data-dir", os.path.abspath(data_dir)]
    return argv
