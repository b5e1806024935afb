"""Shared fixtures: isolated config/data dirs and simulated SNMP printers.

``sim_fleet`` serves every ``tests/data/*.snmprec`` recording (plus the
generated 2,000-row ``big_table`` and a ``moving`` one with numeric
variation) from one snmpsim responder on a few loopback endpoints, once per
test session. Poll ``sim_fleet.address(i)`` with community = recording name,
e.g. ``"colour_mfp"``. ``sim_v3`` serves ``v3_printer`` to the SNMPv3 users in
``V3_USERS`` under the empty context name (and under context "v3_printer").
See tests/data/README.md for what each recording contains.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from simtools import big_table_recording

from tonertrack_tui.demo.simulator import Agent, Recording, SimFleet, V3User, numeric_record

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "tests" / "data"
RECORDINGS = sorted(DATA_DIR.glob("*.snmprec"))
RECORDING_NAMES = [path.stem for path in RECORDINGS]
BIG_TABLE_ROWS = 2000

#: SNMPv3 users of ``sim_v3``. Protocol names are snmpsim's: its AES256 is the
#: Reeder ("Cisco", net-snmp AES-256-C) key extension, AES256BLMT Blumenthal.
V3_USERS = {
    "authPriv": V3User("ttv3user", "tt-auth-key-1", "SHA", "tt-priv-key-1", "AES"),
    "authPriv-sha256": V3User("ttv3sha256", "tt-auth-key-256", "SHA256", "tt-priv-key-256", "AES256BLMT"),
    "authPriv-aes256c": V3User("ttv3aes256c", "tt-auth-key-512", "SHA512", "tt-priv-key-512", "AES256"),
    "authNoPriv": V3User("ttv3auth", "tt-auth-key-only", "SHA"),
}

# Values that move while the session runs (see test_simfleet).
MOVING_RECORDING = "\n".join([
    "1.3.6.1.2.1.1.5.0|4|moving",
    numeric_record("1.3.6.1.2.1.43.10.2.1.4.1.1", 65, 1000, 100),
    numeric_record("1.3.6.1.2.1.43.11.1.1.9.1.1", 2, 50, -1000, minimum=3, maximum=100),
]) + "\n"


def shared_walks_dir() -> Path | None:
    """``../shared/printer-walks`` beside the repository, or None when absent.

    Conformance tests must skip visibly without it::

        if (walks := shared_walks_dir()) is None:
            pytest.skip("../shared/printer-walks not present")
    """
    path = REPO_ROOT.parent / "shared" / "printer-walks"
    return path if path.is_dir() else None


@pytest.fixture
def printer_walks() -> Path:
    """The shared real-printer walks; skips (visibly) when they are absent."""
    path = shared_walks_dir()
    if path is None:
        pytest.skip(f"{REPO_ROOT.parent / 'shared' / 'printer-walks'} not present")
    return path


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's own config or data."""
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def sim_fleet() -> Iterator[SimFleet]:
    """One responder for the session: every recording on 4 endpoints."""
    recordings = [Recording.from_file(path) for path in RECORDINGS]
    recordings.append(Recording("big_table", big_table_recording(BIG_TABLE_ROWS)))
    recordings.append(Recording("moving", MOVING_RECORDING))
    with SimFleet(recordings, endpoints=4) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def sim_v3() -> Iterator[SimFleet]:
    """``v3_printer`` for the users in ``V3_USERS``, context "" or "v3_printer"."""
    text = (DATA_DIR / "v3_printer.snmprec").read_bytes()
    agent = Agent(
        [Recording("", text), Recording("v3_printer", text)],
        endpoints=2,
        v3_users=list(V3_USERS.values()),
    )
    with SimFleet(agents=[agent]) as fleet:
        yield fleet


@pytest.fixture
def key_burst():
    return send_key_burst


def send_key_burst(app, keys: str | list[str]) -> None:
    """Keys as a fast typist or a paste sends them: all queued at once, no pause between them
    (pilot.press waits for each key to be handled, which hides what a burst does)."""
    from textual import events

    names = {"/": "slash", " ": "space", ".": "full_stop", ":": "colon", "-": "minus"}
    for key in (list(keys) if isinstance(keys, str) else keys):
        char = key if len(key) == 1 else None
        app.post_message(events.Key(names.get(key, key), char))


# ---------------------------------------------------------------- PostgreSQL (issue 19)

@pytest.fixture(scope="module")
def server():
    """One real PostgreSQL server for a module's tests (tests/pgtools.py); skipped where it cannot run."""
    from pgtools import started_server

    s = started_server()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def pg(server, tmp_path):
    """A PgStore on a database of its own, migrated."""
    from tonertrack_tui.core.inventory.pgstore import PgStore

    store = PgStore(tmp_path / "data", server.new_database(), server.PASSWORD)
    store.migrate()
    return store
