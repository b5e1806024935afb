"""The DataTable internals widgets/printer_table.py relies on are still there (a Textual upgrade guard).

Textual does not promise its private API. If an upgrade renames or changes one of these, this test
names it; fix the adapter code in widgets/printer_table.py (the names are listed at its top).
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from textual.widgets import DataTable

from tonertrack_tui.widgets.printer_table import (
    DATATABLE_PRIVATE_ATTRIBUTES,
    DATATABLE_PRIVATE_METHODS,
    DATATABLE_PRIVATE_MODULES,
    PrinterTable,
)


@pytest.mark.parametrize("name", sorted(DATATABLE_PRIVATE_METHODS))
def test_private_methods_keep_their_signature(name):
    method = getattr(DataTable, name, None)
    assert method is not None, f"Textual's DataTable no longer has {name}(): widgets/printer_table.py needs updating"
    params = tuple(p for p in inspect.signature(method).parameters if p != "self")
    assert params == DATATABLE_PRIVATE_METHODS[name], (
        f"DataTable.{name}{params} changed (printer_table.py expects {DATATABLE_PRIVATE_METHODS[name]})")


async def test_private_attributes_exist_on_a_mounted_table():
    from textual.app import App

    class One(App[None]):
        def compose(self):
            yield PrinterTable()

    async with One().run_test() as pilot:
        table = pilot.app.query_one(PrinterTable)
        missing = [name for name in DATATABLE_PRIVATE_ATTRIBUTES if not hasattr(table, name)]
        assert not missing, f"Textual's DataTable no longer has {missing}: widgets/printer_table.py needs updating"


@pytest.mark.parametrize("dotted", DATATABLE_PRIVATE_MODULES)
def test_private_modules_import(dotted):
    module, _, name = dotted.rpartition(".")
    assert hasattr(importlib.import_module(module), name), f"{dotted} is gone: widgets/printer_table.py imports it"


def test_every_private_name_the_widget_uses_is_listed():
    """A DataTable internal the widget uses or overrides (or an own attribute whose name clashes with one)
    must be in the guard lists."""
    source = inspect.getsource(importlib.import_module("tonertrack_tui.widgets.printer_table"))
    used = set(re.findall(r"(?:self|super\(\))\.(_[a-z][a-z_]*)", source))
    probe = DataTable()
    listed = set(DATATABLE_PRIVATE_METHODS) | set(DATATABLE_PRIVATE_ATTRIBUTES)
    unlisted = sorted(n for n in used if (hasattr(probe, n) or hasattr(DataTable, n)) and n not in listed)
    assert not unlisted, f"printer_table.py uses DataTable internals not in the guard lists: {unlisted}"
