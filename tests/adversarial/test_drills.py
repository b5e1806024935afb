"""Data-safety drills: kill -9 during poll --all, imports and edits; a full disk; a read-only data
dir; a printers.json truncated, emptied or a directory; a garbage config. After each: nothing
acknowledged is lost, nothing silently reset, the user is told."""

from __future__ import annotations

import errno
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tonertrack_tui.app import create_app
from tonertrack_tui.cli import main
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import PRINTERS_FILE, Store, StoreWriteError, find_printer
from tonertrack_tui.core.util import fsutil
from tonertrack_tui.screens.load_error import LoadErrorScreen

from .hostile import tally

ROOT = Path(__file__).resolve().parents[2]
STOP_POINTS = fsutil.TEST_STOP_POINTS  # where a writer of printers.json is killed, by construction
POLL_PASSES = 2  # x 3 stop points: 4 processes killed per round (a poll --all at the point, 2 waiting, an edit)
EDIT_PASSES = 2  # x 3 stop points x (an edit or an import at the point): 4 killed per round
STOP_WAIT_S = 120  # generous: reaching a stop point takes a second or two, even on a loaded machine

# The kills do not depend on timing. One writer is stopped INSIDE its save of printers.json, at a
# named point (fsutil's test-only TONERTRACK_TEST_STOP_AT hook): it says so on stderr and holds
# the inventory lock there. Every other writer started then waits behind that lock, so it is
# certainly alive, and certainly has written nothing, when it is killed. The stopped one is killed
# last, exactly at its point; the writers left alive then run to the end: acknowledged changes.


def cli(tmp_path: Path, *argv: str, stop_at: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONERTRACK_CONFIG": str(tmp_path / "config" / "config.toml"),
           "TONERTRACK_DATA_DIR": str(tmp_path / "data")}
    env.pop(fsutil.TEST_STOP_ENV, None)
    if stop_at is not None:
        env[fsutil.TEST_STOP_ENV] = f"{PRINTERS_FILE}:{stop_at}"
    return subprocess.Popen([sys.executable, "-m", "tonertrack_tui", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.PIPE if stop_at is not None else subprocess.DEVNULL)


def wait_stopped(proc: subprocess.Popen, point: str) -> None:
    """Block until `proc` says it stopped at `point` (it holds the inventory lock there)."""
    marker = f"{fsutil.TEST_STOPPED} {PRINTERS_FILE}:{point} {proc.pid}".encode()
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + STOP_WAIT_S
    while marker not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            pytest.fail(f"never reached {point} within {STOP_WAIT_S} s: {seen[-2000:]!r}")
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                pytest.fail(f"exited ({proc.wait()}) before {point}: {seen[-2000:]!r}")
            seen += chunk


def kill_all(procs: list[subprocess.Popen]) -> int:
    """SIGKILL each (in this order); each must have been alive. Returns how many were killed."""
    for proc in procs:
        proc.send_signal(signal.SIGKILL)
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, (proc.args, proc.returncode, err[-2000:])
    return len(procs)


def temps_of(store: Store) -> list[Path]:
    return [p for p in store.data_dir.iterdir() if fsutil.TEMP_MARK in p.name]


def check_at_stop(store: Store, point: str, before: bytes, stopper: subprocess.Popen) -> bytes:
    """The writer is stopped at `point`: the file is the old one, or (after the rename) wholly new."""
    at_stop = store.path.read_bytes()
    if point == "after-rename":
        assert at_stop != before
    else:
        assert at_stop == before
    temps = temps_of(store)
    if point == "before-rename":  # its temp file, written in full, not yet renamed
        assert [t for t in temps if f"{fsutil.TEMP_MARK}{stopper.pid}-" in t.name] == temps and len(temps) == 1
    else:
        assert temps == []
    Store(store.data_dir).load()  # valid at this moment
    return at_stop


def test_sigkill_during_poll_all_and_edits(tmp_path, hostile_fleet):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[polling]\ntimeout_s = 1\nretries = 0\n")
    store = Store(tmp_path / "data")
    communities = ["adv_text", "adv_types", "adv_count_hi", "adv_count_lo"]
    for i, community in enumerate(communities):
        store.add(Printer.new(hostile_fleet.address(i), name=f"keep-{i}", snmp={"community": community}))
    for i in range(20):  # more printers, all answering: more saves to interrupt
        store.add(Printer.new(f"localhost:{hostile_fleet.address(i % 4).rsplit(':', 1)[1]}"
                              if i == 0 else f"127.0.0.{i + 2}:{hostile_fleet.address(0).rsplit(':', 1)[1]}",
                              snmp={"community": "adv_count_hi"}))
    expected = {p.id: p for p in store.load()}
    rng = random.Random(8)
    kills = 0
    acked_edits: dict[str, str] = {}
    # after-rename first: that save records which printers are dead, so the next polls put them in
    # a lane of their own and reach their first save in ~2 s instead of ~8 s
    points = sorted(STOP_POINTS, key=lambda point: point != "after-rename")
    for round_, point in enumerate(points * POLL_PASSES):
        before = store.path.read_bytes()
        stopper = cli(tmp_path, "poll", "--all", "--concurrency", "8", stop_at=point)
        wait_stopped(stopper, point)  # in its first save of poll results
        check_at_stop(store, point, before, stopper)
        # two more poll --all wait for the fleet-poll lock, an edit that will be killed and
        # one that will not wait for the inventory lock
        polls = [cli(tmp_path, "poll", "--all", "--concurrency", "8") for _ in range(2)]
        victim, lost = rng.sample(list(expected), 2)
        killed_edit = cli(tmp_path, "printers", "edit", lost, "--location", f"killed-{round_}")
        edit = cli(tmp_path, "printers", "edit", victim, "--location", f"loc-{round_}")
        kills += kill_all([*polls, killed_edit, stopper])  # the stopped one last, at its point
        _, err = edit.communicate(timeout=120)
        assert edit.returncode == 0, err  # acknowledged
        acked_edits[victim] = f"loc-{round_}"
        printers = {p.id: p for p in Store(store.data_dir).load()}  # valid after every kill
        assert set(printers) == set(expected)
        assert printers[victim].location == f"loc-{round_}"
        assert not any(p.location.startswith("killed-") for p in printers.values())
        assert temps_of(store) == []  # the edit's save removed the killed writer's temp file
    assert kills == POLL_PASSES * len(STOP_POINTS) * 4, kills
    printers = {p.id: p for p in Store(store.data_dir).load()}
    for pid, location in acked_edits.items():
        assert printers[pid].location == location
    for pid, p in expected.items():
        assert printers[pid].address == p.address
        if p.name.startswith("keep-"):
            assert printers[pid].name == p.name  # a user's name survives every poll
    for line in store.audit_path.read_text().splitlines():
        json.loads(line)
    history = store.data_dir / "history"
    for path in history.rglob("*.jsonl") if history.exists() else []:
        for line in path.read_text().splitlines()[:-1]:
            json.loads(line)  # only the last line may be cut by a kill
    tally("sigkill poll --all", kills)


def _import_csv(tmp_path: Path, tag: str, n: int) -> Path:
    """400 printers named `<tag>-<i>` on addresses of their own (block `n`)."""
    path = tmp_path / f"{tag}.csv"
    path.write_text("address,name,location\n" + "".join(f"10.{n}.{i // 250}.{i % 250 + 1},{tag}-{i},B{i % 3}\n"
                                                       for i in range(400)))
    return path


def test_sigkill_during_imports_and_edits(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("")
    store = Store(tmp_path / "data")
    base = store.add(Printer.new("192.0.2.1", name="before"))
    kills = 0
    rounds = [(point, kind) for _ in range(EDIT_PASSES) for point in STOP_POINTS for kind in ("edit", "import")]
    for r, (point, kind) in enumerate(rounds):
        csvs = {tag: _import_csv(tmp_path, f"{tag}{r}", 3 * r + k) for k, tag in enumerate(("s", "k", "w"))}
        before = store.path.read_bytes()
        audit_before = store.audit_path.read_bytes()
        argv = (["printers", "edit", "192.0.2.1", "--notes", f"s{r}"] if kind == "edit"
                else ["import", str(csvs["s"]), "--format", "csv"])
        stopper = cli(tmp_path, *argv, stop_at=point)
        wait_stopped(stopper, point)
        check_at_stop(store, point, before, stopper)
        stopped = Store(store.data_dir).load()
        if point == "after-rename":  # the whole change is in place; its audit lines are not yet
            if kind == "edit":
                assert find_printer(stopped, base.id).notes == f"s{r}"
            else:
                assert sum(p.name.startswith(f"s{r}-") for p in stopped) == 400
            assert store.audit_path.read_bytes() == audit_before
        # these wait for the lock the stopped writer holds
        doomed = [cli(tmp_path, "printers", "edit", "192.0.2.1", "--notes", f"k{r}-{k}") for k in range(2)]
        doomed.append(cli(tmp_path, "import", str(csvs["k"]), "--format", "csv"))
        kept = [cli(tmp_path, "printers", "edit", "192.0.2.1", "--notes", f"w{r}-{k}") for k in range(2)]
        kept.append(cli(tmp_path, "import", str(csvs["w"]), "--format", "csv"))
        kills += kill_all([*doomed, stopper])  # the stopped one last, at its point
        for p in kept:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, (p.args, err[-2000:])  # acknowledged
        printers = Store(store.data_dir).load()
        imported = {tag: sum(p.name.startswith(f"{tag}{r}-") for p in printers) for tag in csvs}
        # an import is all or nothing; an acknowledged one is all there
        assert imported == {"s": 400 if (kind, point) == ("import", "after-rename") else 0, "k": 0, "w": 400}
        notes = find_printer(printers, base.id).notes
        assert notes in (f"w{r}-0", f"w{r}-1"), notes  # an acknowledged edit of this round, never an older one
        assert temps_of(store) == []
    assert kills == len(rounds) * 4, kills
    for line in store.audit_path.read_text().splitlines():
        json.loads(line)
    tally("sigkill import/edit", kills)


# ---------------------------------------------------------------- full disk, read-only dir


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_failed_writes_keep_the_file_and_say_so(tmp_path, monkeypatch, capsys, code):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("")
    data = tmp_path / "data"
    store = Store(data)
    store.add(Printer.new("192.0.2.1", name="kept"))
    before = store.path.read_bytes()
    real_replace = os.replace

    def failing_write(path, data_, mode=0o600):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr("tonertrack_tui.core.inventory.store.atomic_write_bytes", failing_write)
    with pytest.raises(StoreWriteError) as info:
        store.add(Printer.new("192.0.2.2"))
    assert os.strerror(code) in str(info.value)
    rc = main(["--data-dir", str(data), "printers", "add", "192.0.2.3", "--name", "lost?"])
    out, err = capsys.readouterr()
    assert rc != 0 and os.strerror(code) in err and "Traceback" not in err, (rc, err)
    rc = main(["--data-dir", str(data), "import", str(_csv(tmp_path)), "--format", "csv"])
    out, err = capsys.readouterr()
    assert rc != 0 and os.strerror(code) in err, (rc, err)
    monkeypatch.setattr(os, "replace", real_replace)
    assert store.path.read_bytes() == before
    assert [p.name for p in store.load()] == ["kept"]
    tally("full disk / read-only", 3)


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "one.csv"
    path.write_text("address,name\n192.0.2.50,imp\n")
    return path


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, chmod 0500 is not enforced (monkeypatched EROFS above)")
def test_read_only_data_dir(tmp_path, capsys):
    data = tmp_path / "data"
    store = Store(data)
    store.add(Printer.new("192.0.2.1", name="kept"))
    data.chmod(0o500)
    try:
        rc = main(["--data-dir", str(data), "printers", "add", "192.0.2.3"])
        err = capsys.readouterr().err
        assert rc != 0 and "Permission denied" in err
    finally:
        data.chmod(0o700)
    assert [p.name for p in store.load()] == ["kept"]


# ---------------------------------------------------------------- broken files


def _broken(kind: str, path: Path) -> None:
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(os.urandom(64))


@pytest.mark.parametrize("kind", ["truncated", "empty", "directory", "binary"])
async def test_broken_printers_json_is_never_saved_over(tmp_path, capsys, kind):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("")
    data = tmp_path / "data"
    store = Store(data)
    for i in range(3):
        store.add(Printer.new(f"192.0.2.{i + 1}", name=f"p{i}"))
    _broken(kind, store.path)
    snapshot = store.path.read_bytes() if store.path.is_file() else None
    commands = [["printers", "list"], ["printers", "add", "192.0.2.9"], ["poll", "--all"],
                ["import", str(_csv(tmp_path))], ["export", "monthly", "-o", "-"], ["metrics"],
                ["sync", "--dry-run"], ["daemon", "--once"], ["printers", "edit", "192.0.2.1", "--name", "x"]]
    for argv in commands:
        rc = main(["--data-dir", str(data), *argv])
        out, err = capsys.readouterr()
        if argv == ["metrics"]:
            assert "tonertrack_inventory_readable 0.0" in out  # said in a metric, exit 0 for the scraper
            continue
        if argv == ["sync", "--dry-run"] and "no sync sources" in err:
            continue  # no sources configured: stops before reading anything
        assert rc != 0, (argv, out)
        assert "printers.json" in err and "Traceback" not in err, (argv, err)
    assert (store.path.read_bytes() if store.path.is_file() else None) == snapshot
    assert store.path.is_dir() == (kind == "directory")
    app = create_app(str(tmp_path / "config" / "config.toml"), str(data), auto_poll=False, watch_store=False,
                     check_tty=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
        await pilot.press("P", "a", "A")
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
    assert (store.path.read_bytes() if store.path.is_file() else None) == snapshot
    tally("broken printers.json", len(commands) + 1)


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe garbage", b"[polling]\ninterval_s = 'soon'\n",
                                     b"[[[", b"[ui.keys]\nquit = 3\n", b"\xef\xbb\xbf[snmp]\nversion = \"9\"\n"])
async def test_garbage_config_is_reported_not_reset(tmp_path, capsys, garbage):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(garbage)
    data = tmp_path / "data"
    Store(data).add(Printer.new("192.0.2.1", name="kept"))
    for argv in (["poll", "--all"], ["printers", "list"], ["daemon", "--once"], ["metrics"], ["check", "192.0.2.1"]):
        rc = main(["--config", str(config), "--data-dir", str(data), *argv])
        out, err = capsys.readouterr()
        assert rc != 0, argv
        assert "config.toml" in (err + out) and "Traceback" not in err, (argv, err, out)
    assert config.read_bytes() == garbage
    app = create_app(str(config), str(data), auto_poll=False, watch_store=False, check_tty=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadErrorScreen)
    assert config.read_bytes() == garbage and [p.name for p in Store(data).load()] == ["kept"]
    tally("garbage config", 6)


@pytest.mark.parametrize("printers", [
    [{"id": "", "address": ""}],
    [{"id": "a" * 32, "address": "192.0.2.1"}, {"id": "a" * 32, "address": "192.0.2.2"}],
    [{"id": "a" * 32, "address": "192.0.2.1"}, {"id": "b" * 32, "address": "192.0.2.1"}],
])
def test_records_no_save_could_handle_are_reported_at_load(tmp_path, capsys, printers):
    # found by test_fuzz_parsers: such a file loaded, then every save raised a bare ValueError
    data = tmp_path / "data"
    data.mkdir()
    raw = json.dumps({"schema": 1, "printers": printers}).encode()
    (data / "printers.json").write_bytes(raw)
    rc = main(["--data-dir", str(data), "printers", "add", "192.0.2.9"])
    err = capsys.readouterr().err
    assert rc != 0 and "printers.json" in err and "Traceback" not in err
    assert (data / "printers.json").read_bytes() == raw
