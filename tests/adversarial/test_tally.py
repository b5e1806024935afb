"""The adversarial suite's own plumbing: its per-surface tally works without pytest's cache plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tally_without_the_cache_plugin(tmp_path):
    # `-p no:cacheprovider` removes `config.cache`: the conftest once crashed the whole run
    # (INTERNALERROR, AttributeError) in pytest_sessionstart. The rootdir is tmp_path so this
    # inner run's tally (build/ under the rootdir) never mixes with the outer run's.
    case = ROOT / "tests" / "adversarial" / "test_drills.py"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), f"{case}::test_failed_writes_keep_the_file_and_say_so", "-k", "28"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "INTERNALERROR" not in out
    assert "1 passed" in out, out[-3000:]
    assert "adversarial cases tried per surface" in out and "full disk / read-only" in out, out[-3000:]
    assert (tmp_path / "build" / "adversarial-tally" / "main.json").is_file()
    assert not (tmp_path / ".pytest_cache").exists()
