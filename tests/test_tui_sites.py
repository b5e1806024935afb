"""Sites in the TUI (issue 19): v shows one site at a time, the filter finds a site, the details
name it and the form sets it. On the JSON store (the TUI on PostgreSQL is in test_pgstore.py)."""

from __future__ import annotations

import pytest
from test_tui_issue15 import good, make_app, screen_text, table_rows

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store


@pytest.fixture
def home(tmp_path):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ninterval_s = 3600\ntimeout_s = 0.3\nretries = 0\n")
    store = Store(tmp_path / "data")
    for n, (name, site, location) in enumerate((("Reception", "hq", "B1"), ("Accounts", "hq", "B2"),
                                                ("Depot", "branch-[b]old", "B1"), ("Plain", "default", ""))):
        p = store.add(Printer.new(f"10.0.0.{n + 1}", name=name, location=location, site=site))
        store.record_poll([(p.id, good(f"10.0.0.{n + 1}", name, 80))])
    return tmp_path


def _summary_tail(app) -> str:
    return str(app.screen.query_one("#summary").render()).split("│")[-1].strip()


async def test_v_shows_each_site_first_then_locations(home):
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = []
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause()
            shown.append((_summary_tail(app), sorted(row[1] for row in table_rows(app))))
        assert shown == [
            ("site branch-[b]old", ["Depot"]),  # markup in a site's name is shown as typed
            ("site default", ["Plain"]),
            ("site hq", ["Accounts", "Reception"]),
            ("location B1", ["Depot", "Reception"]),
        ]


async def test_the_filter_finds_a_site_and_the_details_name_it(home):
    app = make_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"branch", "enter")
        await pilot.pause()
        assert [row[1] for row in table_rows(app)] == ["Depot"]
        await pilot.press("enter")
        await pilot.pause()
        assert "Site" in screen_text(app) and "branch-[b]old" in screen_text(app)


async def test_the_form_moves_a_printer_to_another_site(home):
    app = make_app(home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("DataTable").focus()
        rows = table_rows(app)
        await pilot.press(*["down"] * [r[1] for r in rows].index("Plain"))
        await pilot.press("e")
        await pilot.pause()
        site = app.screen.query_one("#site")
        assert site.value == ""  # the default site shows blank
        site.value = "warehouse"
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
    saved = {p.name: p.site for p in Store(home / "data").load()}
    assert saved == {"Reception": "hq", "Accounts": "hq", "Depot": "branch-[b]old", "Plain": "warehouse"}
