"""The core layer knows nothing of the UI: importing any core module loads neither Textual nor Rich.

As Harlequin does: each module is imported in a fresh interpreter (`python -c`), so nothing that
an earlier test imported can hide or fake the result.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tonertrack_tui.core as core

ROOT = Path(__file__).resolve().parent.parent
CORE_MODULES = sorted(
    info.name for info in pkgutil.walk_packages(core.__path__, prefix="tonertrack_tui.core.")
)

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))))
"""


def _ui_modules_loaded_by(module: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, f"importing {module} failed:\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_core_modules_found():
    for expected in ("snmp.ber", "printer.decode", "printer.mib", "printer.model", "printer.status",
                     "util.textsafe", "printer.collect", "snmp.client", "inventory.store", "polling.fleet"):
        assert f"tonertrack_tui.core.{expected}" in CORE_MODULES


@pytest.mark.parametrize("module", ["tonertrack_tui.core", *CORE_MODULES])
def test_core_module_imports_no_textual_or_rich(module):
    assert _ui_modules_loaded_by(module) == []


def test_probe_can_fail():
    # the probe itself sees a UI import when there is one
    assert "rich" in _ui_modules_loaded_by("rich.text")
