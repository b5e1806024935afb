"""Fixtures of the adversarial suite: the hostile fleet, a slow agent, the per-surface tally."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tonertrack_tui.demo.simulator import Recording, SimFleet

from .hostile import SlowAgent, read_tallies, recordings, write_tally

TALLY_DIR_NAME = "adversarial-tally"
_STARTED = time.time() - 1


@pytest.fixture(scope="session")
def hostile_fleet() -> Iterator[SimFleet]:
    """One snmpsim responder: every adversarial recording, community = its name."""
    recs = [Recording(name, text) for name, text in recordings().items()]
    with SimFleet(recs, endpoints=4) as fleet:
        yield fleet


@pytest.fixture(scope="session")
def slow_agent(hostile_fleet: SimFleet) -> Iterator[SlowAgent]:
    """An agent that answers after 2 s (a relay in front of the hostile fleet)."""
    host, port = hostile_fleet.endpoints[1]
    agent = SlowAgent((host, port), delay=2.0)
    yield agent
    agent.close()


def _tally_dir(config: pytest.Config) -> Path:
    """Where the workers leave their tallies for the controller: pytest's cache directory, or
    build/ under the rootdir when the cache plugin is off (`-p no:cacheprovider`: then
    `config.cache` does not exist at all)."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(TALLY_DIR_NAME))
    return Path(config.rootpath) / "build" / TALLY_DIR_NAME


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        shutil.rmtree(_tally_dir(session.config), ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    write_tally(_tally_dir(session.config), worker)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    total = read_tallies(_tally_dir(config), since=_STARTED)
    if not total:
        return
    terminalreporter.section("adversarial cases tried per surface")
    for surface, n in sorted(total.items()):
        terminalreporter.write_line(f"{surface:<28} {n:>7}")
    terminalreporter.write_line(f"{'total':<28} {sum(total.values()):>7}")
