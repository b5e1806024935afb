"""Issue 15: print-server sync sources set up from inside the TUI (they were config-file only).

Driven by keyboard through the real app factory; the sources are real files read by the real
readers, and what is saved is read back from settings.toml by the real config loader.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from textual.widgets import DataTable, Static

from tonertrack_tui.app import create_app
from tonertrack_tui.core.config import SyncSource, check_sync_source, sync_source_table
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.sync.plan import KIND_FIELDS, SyncSourceError, missing_field, read_source
from tonertrack_tui.screens.sync import SyncScreen
from tonertrack_tui.screens.sync_sources import SyncSourceForm, SyncSourcesScreen

EXPORT = '"Name","PortName"\r\n"Q1","IP_10.0.0.1"\r\n"[red]Q2[/]","IP_10.0.0.2"\r\n"USB","USB001"\r\n'


def config_path() -> Path:
    return Path(os.environ["TONERTRACK_CONFIG"])


def settings_path() -> Path:
    return config_path().parent / "settings.toml"


def text_of(widget: Static) -> str:
    return str(widget.render())


async def settle(app, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_first_source_set_up_from_the_sync_screen_then_its_plan(tmp_path):
    export = tmp_path / "dc1.csv"
    export.write_text(EXPORT)
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("[polling]\ninterval_s = 3600\n")
    app = create_app(auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_sync()
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        assert "No print-server source is set up yet. Press o to set one up" in text_of(
            app.screen.query_one("#sync-summary", Static))
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncSourcesScreen)
        assert "No source yet: press n to add one" in text_of(app.screen.query_one("#sources-summary", Static))
        # typed in one burst right after n: every key lands in the form's first field
        await pilot.press("n", *"dc1")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, SyncSourceForm)
        assert form.query_one("#name").value == "dc1"
        await pilot.press("ctrl+s")  # no file yet: refused, says what the kind needs, nothing saved
        await pilot.pause()
        assert "kind windows-export needs path = the exported file" in text_of(form.query_one("#result", Static))
        assert app.focused.id == "path" and not settings_path().exists()
        await pilot.press(*str(export))
        await pilot.pause()
        await pilot.press("ctrl+t")  # reads it, changes nothing
        await settle(app, pilot)
        assert "✔ 3 queues listed, 2 with a printer address" in text_of(form.query_one("#result", Static))
        assert Store(Path(os.environ["TONERTRACK_DATA_DIR"])).load() == []
        await pilot.press("tab", "tab", *"B2 - Floor 1")  # ports file, then location
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncSourcesScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[1]) == "dc1"
        assert "Added dc1; saved to" in text_of(app.screen.query_one("#sources-status", Static))
        saved = tomllib.loads(settings_path().read_text())
        assert saved["sync"]["sources"] == [{"name": "dc1", "kind": "windows-export", "path": str(export),
                                             "location": "B2 - Floor 1"}]
        assert config_path().read_text() == "[polling]\ninterval_s = 3600\n"  # the user's file untouched
        assert [s.name for s in app.config.sync.sources] == ["dc1"]
        await pilot.press("escape")  # back to the sync screen: it reads the new source at once
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        rows = [str(app.screen.query_one(DataTable).get_row_at(i)[2])
                for i in range(app.screen.query_one(DataTable).row_count)]
        assert "Q1" in rows and "[red]Q2[/]" in rows  # queue names are data, shown literally


async def test_edit_switch_off_test_and_remove_a_source_from_config_toml(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(EXPORT)
    config_path().parent.mkdir(parents=True, exist_ok=True)
    original = (f'[polling]\ninterval_s = 3600\n\n[[sync.sources]]\nname = "a"\nkind = "windows-export"\n'
                f'path = "{tmp_path / "missing.csv"}"\n\n[[sync.sources]]\nname = "b"\nkind = "csv"\n'
                f'path = "{good}"\n')
    config_path().write_text(original)
    app = create_app(auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SyncSourcesScreen())
        await settle(app, pilot)
        screen = app.screen
        assert "(from " in text_of(screen.query_one("#sources-summary", Static))
        assert screen.query_one(DataTable).row_count == 2
        await pilot.press("t")  # the first one's file is missing: the reader's own words
        await settle(app, pilot)
        assert "does not exist" in text_of(screen.query_one("#sources-status", Static))
        await pilot.press("space")  # switch it off
        await settle(app, pilot)
        assert [s.enabled for s in app.config.sync.sources] == [False, True]
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, SyncSourceForm) and form.query_one("#name").value == "a"
        await pilot.press(*["backspace"] * 5, *"b")  # the other source's name: refused
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "another source is already called 'b'" in text_of(form.query_one("#result", Static))
        await pilot.press("backspace", *"a2")
        form.query_one("#path").value = str(good)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert [(s.name, s.path, s.enabled) for s in app.config.sync.sources] == [
            ("a2", str(good), False), ("b", str(good), True)]
        await pilot.press("down", "d")
        await settle(app, pilot)
        await pilot.press("y")  # confirm
        await settle(app, pilot)
        assert [s.name for s in app.config.sync.sources] == ["a2"]
        await pilot.press("escape")
        await settle(app, pilot)
    assert config_path().read_text() == original  # saved to settings.toml, which now wins
    assert [s["name"] for s in tomllib.loads(settings_path().read_text())["sync"]["sources"]] == ["a2"]


async def test_a_filled_in_source_form_asks_before_it_is_dropped(tmp_path):
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("[polling]\ninterval_s = 3600\n")
    app = create_app(auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(SyncSourcesScreen())
        await settle(app, pilot)
        await pilot.press("n", *"x")
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert str(app.screen.query_one("#question", Static).render()) == "Discard this source?"
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, SyncSourceForm) and app.screen.query_one("#name").value == "x"
    assert not settings_path().exists()


def test_one_rule_for_what_a_kind_needs_in_the_form_and_the_reader(tmp_path):
    for kind, (needed, _) in {"windows-export": ("path", ""), "csv": ("path", ""), "cups": ("server", ""),
                              "windows-rpc": ("server", "")}.items():
        bare = SyncSource(name="s", kind=kind)
        field, problem = missing_field(bare)
        assert field == needed and needed in KIND_FIELDS[kind]
        try:
            read_source(bare)
        except SyncSourceError as exc:
            assert problem in str(exc)
        else:
            raise AssertionError(f"{kind} read with no {needed}")


def test_a_source_table_keeps_only_what_differs_and_reads_back_the_same():
    src = check_sync_source({"name": "p1", "kind": "cups", "server": "cups.example:631", "timeout_s": 12.5,
                             "enabled": False})
    table = sync_source_table(src)
    assert table == {"name": "p1", "kind": "cups", "server": "cups.example:631", "timeout_s": 12.5,
                     "enabled": False}
    assert check_sync_source(table) == src
    for bad, words in (({"name": "", "kind": "csv"}, "name: is required"),
                       ({"name": "x", "kind": "ftp"}, "kind:"),
                       ({"name": "x", "kind": "csv", "timeout_s": "abc"}, "timeout_s:")):
        try:
            check_sync_source(bad)
        except ValueError as exc:
            assert str(exc).startswith(words), exc
        else:
            raise AssertionError(bad)
