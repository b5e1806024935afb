"""SVG screenshots of every screen, from the demo fleet, for the README.

Starts the demo fleet (snmpsim on 127.0.0.1, as `tonertrack demo` does), writes its
config and inventory into a scratch home, opens the app through the same factory as
`tonertrack`, polls the whole fleet once and saves one SVG per screen into
docs/screenshots/ (existing files are replaced, so re-run it after a visible change):

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--size 120x40]

The scratch home is a fixed path (/tmp/tonertrack-screenshots/home, emptied on each
run) so that the paths the settings and load-error screens print do not change between
runs. Levels and page counts move (snmpsim variation) and the poll times are the real
ones, so each run differs a little: that is the demo, not a bug.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tonertrack_tui.app import create_app  # noqa: E402
from tonertrack_tui.commands.demo import prepare  # noqa: E402
from tonertrack_tui.demo import DemoFleet  # noqa: E402

WORK = Path("/tmp/tonertrack-screenshots")
CORRUPT_INVENTORY = b'{"schema": 1, "printers": [\n{"id": "3f2a", "address": "10.20.1.21",'
DETAILS_OF = "CANON-C3530-HR"  # warnings, several supplies, an empty drawer: a screen with something to say


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def scratch_home() -> Path:
    if WORK.exists():
        shutil.rmtree(WORK)
    home = WORK / "home"
    home.mkdir(parents=True, mode=0o700)
    return home


def install_demo(home: Path, fleet: DemoFleet) -> tuple[Path, Path]:
    """The demo's config and inventory (commands/demo.py's prepare), where a user's would be."""
    config_file, data_dir = prepare(WORK / "demo", fleet)
    config = home / ".config" / "tonertrack" / "config.toml"
    data = home / ".local" / "share" / "tonertrack"
    config.parent.mkdir(parents=True, mode=0o700)
    data.parent.mkdir(parents=True, mode=0o700)
    shutil.move(config_file, config)
    shutil.move(data_dir, data)
    return config, data


def make_app(config: Path, data: Path):
    app = create_app(str(config), str(data), auto_poll=False, watch_store=False, check_tty=False)
    app.animation_level = "none"
    return app


async def settle(pilot, seconds: float = 0.0) -> None:
    from textual.widgets import Input

    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause(seconds or None)
    for box in app.screen.query(Input):
        box.cursor_blink = False  # a screenshot mid-blink loses the cursor
    await pilot.pause()


class Camera:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []

    def shoot(self, app, name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(self.out))
        self.saved.append(self.out / f"{name}.svg")


async def shoot_fleet(config: Path, data: Path, camera: Camera, size: tuple[int, int]) -> None:
    from tonertrack_tui.screens.printers import PrintersScreen
    from tonertrack_tui.widgets.printer_table import PrinterTable

    app = make_app(config, data)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.start_poll_all()
        await settle(pilot, 0.6)  # the fleet refresh is throttled to 4 a second
        assert isinstance(app.screen, PrintersScreen), app.screen
        camera.shoot(app, "printers")

        async def visit(name: str, *keys: str) -> None:
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            camera.shoot(app, name)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, PrintersScreen), (name, app.screen)

        table = app.screen.query_one(PrinterTable)
        wanted = next((pid for pid, p in app.fleet.printers.items() if p.name == DETAILS_OF), None)
        if wanted:
            table.select_id(wanted)
            await pilot.pause()
        await visit("details", "enter")
        table.move_cursor(row=0)
        await visit("alerts", "A")
        await visit("help", "question_mark")
        await visit("add-printer", "a")
        await visit("settings", "comma")
        if (ROOT / "tonertrack_tui" / "screens" / "export.py").exists():
            await visit("export", "x")
        await visit("filter", "slash", "b", "2")
        await pilot.press("escape")  # the filter box takes the first escape

    narrow = make_app(config, data)
    async with narrow.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        camera.shoot(narrow, "printers-80x24")


async def shoot_load_error(home: Path, camera: Camera, size: tuple[int, int]) -> None:
    """The same inventory, cut off mid-write by hand."""
    config = home / ".config" / "tonertrack" / "config.toml"
    data = home / ".local" / "share" / "tonertrack"
    (data / "printers.json").write_bytes(CORRUPT_INVENTORY)
    app = make_app(config, data)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        camera.shoot(app, "load-error")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="where to write the SVGs")
    parser.add_argument("--size", default="120x40", type=parse_size, help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    camera = Camera(out)
    home = scratch_home()
    os.environ.pop("NO_COLOR", None)
    try:
        with DemoFleet() as fleet:
            # after the responder started: paths on screen read "~/.config/tonertrack/…"
            os.environ["HOME"] = str(home)
            config, data = install_demo(home, fleet)
            asyncio.run(shoot_fleet(config, data, camera, args.size))
        asyncio.run(shoot_load_error(home, camera, args.size))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    for path in camera.saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
