"""kill -9 at random moments during writes: printers.json stays valid and keeps every acknowledged change."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.util import fsutil

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 60  # two writers killed per round: 120 kills
WRITER = textwrap.dedent("""
    import sys
    from tonertrack_tui.core.inventory.printer import Printer
    from tonertrack_tui.core.inventory.store import Store
    store = Store(sys.argv[1])
    wid = int(sys.argv[2])
    print("READY", flush=True)
    added = []
    seq = 0
    for i in range(1, 60_000):  # never reached: it is always killed long before
        address = f"10.{wid}.{i // 250}.{i % 250 + 1}"
        store.add(Printer.new(address))
        print(f"ACK add {address}", flush=True)
        added.append(address)
        if i % 2 == 0:
            seq += 1
            target = added[-2]
            store.update(target, name=f"w{wid}-e{seq}", user_overridden=True)
            print(f"ACK edit {target} {seq}", flush=True)
    sys.stdin.read()  # alive until killed, however fast this machine is (EOF if the test died)
""")


def test_sigkill_during_writes_loses_no_acknowledged_change(tmp_path):
    store = Store(tmp_path / "data")
    store.add(Printer.new("192.0.2.1", name="before the storm"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(1234)
    acked_adds: set[str] = set()
    acked_edits: dict[str, int] = {}  # address -> highest acknowledged edit number
    kills = 0
    for rnd in range(ROUNDS):
        procs = []
        for k in range(2):
            wid = rnd * 2 + k + 1
            p = subprocess.Popen([sys.executable, "-c", WRITER, str(store.data_dir), str(wid)],
                                 env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            procs.append(p)
        for p in procs:
            assert p.stdout.readline().strip() == "READY"
        seen: list[str] = []
        for p in procs:
            # let some transactions be acknowledged first (even on a loaded machine), then kill anywhere
            for _ in range(rng.randint(0, 3)):
                seen.append(p.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.03))
            p.send_signal(signal.SIGKILL)
        for p in procs:
            out, _ = p.communicate(timeout=30)
            assert p.returncode == -signal.SIGKILL
            kills += 1
            seen.extend(line + "\n" for line in out.split("\n")[:-1])  # the last piece has no newline
        for line in seen:
            parts = line.split()
            if not line.endswith("\n") or len(parts) < 3 or parts[0] != "ACK":
                continue  # a line cut by the kill was never a complete acknowledgement
            if parts[1] == "add":
                acked_adds.add(parts[2])
            elif parts[1] == "edit" and len(parts) == 4:
                acked_edits[parts[2]] = max(acked_edits.get(parts[2], 0), int(parts[3]))
    assert kills >= 100
    assert len(acked_adds) > 100, "the writers should have got work done between kills"

    records = Store(store.data_dir).load()  # loads: the file is valid JSON
    by_address = {r.address: r for r in records}
    assert "192.0.2.1" in by_address
    missing = acked_adds - set(by_address)
    assert not missing, f"acknowledged adds lost: {sorted(missing)[:5]}"
    for address, seq in acked_edits.items():
        name = by_address[address].name
        assert name.startswith("w") and int(name.rsplit("-e", 1)[1]) >= seq, (address, name, seq)
    assert len({r.id for r in records}) == len(records)

    # Audit lines are whole JSON lines (one write each). A writer killed inside its write can
    # leave a torn fragment (a kill between two pages of one write): it stays on a line of its
    # own, never glued to the next writer's line, and no acknowledged change lost its line.
    audited_adds, fragments = set(), 0
    for line in store.audit_path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            fragments += 1
            assert line.startswith('{"time": "') and line.count('{"time": ') == 1, line[:200]
            continue
        if entry["action"] == "add":
            audited_adds.add(entry["printer"])
    assert fragments <= kills
    assert acked_adds <= audited_adds
    # a leftover temp file of a killed writer is ignored, and removed by the next save
    store.add(Printer.new("192.0.2.2"))
    assert [p for p in store.data_dir.iterdir() if fsutil.TEMP_MARK in p.name] == []


STOPPER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tonertrack_tui.core.util.fsutil import atomic_write_bytes
    atomic_write_bytes(Path(sys.argv[1]) / "other.json", b"other")
    atomic_write_bytes(Path(sys.argv[1]) / "printers.json", b"new")
    print("DONE", flush=True)
""")


def test_the_drills_stop_hook_stops_only_the_named_write_and_goes_on_when_stdin_closes(tmp_path):
    # fsutil's test-only hook (TONERTRACK_TEST_STOP_AT), used by tests/adversarial/test_drills.py
    (tmp_path / "printers.json").write_bytes(b"old")
    env = {**os.environ, "PYTHONPATH": str(ROOT), fsutil.TEST_STOP_ENV: "printers.json:before-rename"}
    proc = subprocess.Popen([sys.executable, "-c", STOPPER, str(tmp_path)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert line == f"{fsutil.TEST_STOPPED} printers.json:before-rename {proc.pid}\n"
    assert (tmp_path / "other.json").read_bytes() == b"other"  # another file: not stopped
    assert (tmp_path / "printers.json").read_bytes() == b"old"
    assert len([p for p in tmp_path.iterdir() if fsutil.TEMP_MARK in p.name]) == 1  # written, not renamed
    out, _ = proc.communicate(timeout=60)  # closes stdin: it carries on
    assert proc.returncode == 0 and out == "DONE\n"
    assert (tmp_path / "printers.json").read_bytes() == b"new"
    assert [p for p in tmp_path.iterdir() if fsutil.TEMP_MARK in p.name] == []
