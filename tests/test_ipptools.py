"""The real-IPP-printer harness (tests/ipptools.py) must not depend on what else runs on the machine.

avahi-daemon keeps its pid file and socket in /run/avahi-daemon, one per machine. Another test
session, another worktree's tests or a developer's own ippeveprinter may already run one, on a
private D-Bus this session cannot see; a harness that then "uses the machine's avahi" starts
ippeveprinter on a bus with no avahi, and it exits ("Unable to initialize DNS-SD").
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from ipptools import IppEvePrinter, IppServices, missing

pytestmark = pytest.mark.xdist_group("ipp")


@pytest.fixture(autouse=True)
def _needs_ippeveprinter() -> None:
    why = missing()
    if why:
        pytest.skip(f"no real IPP printer here: {why}")


def test_two_sessions_side_by_side_each_run_a_printer() -> None:
    first = IppServices().start()
    try:
        second = IppServices().start()  # as a parallel test session would, while the first's avahi runs
        try:
            with IppEvePrinter(second, "Second") as p2, IppEvePrinter(first, "First") as p1:
                for p, name in ((p1, "First"), (p2, "Second")):
                    page = urllib.request.urlopen(f"http://127.0.0.1:{p.port}/", timeout=10).read()  # noqa: S310
                    assert name.encode() in page
        finally:
            second.stop()
        # the second session's stop left the first one's avahi running and usable
        with IppEvePrinter(first, "Again") as p:
            assert b"Again" in urllib.request.urlopen(f"http://127.0.0.1:{p.port}/", timeout=10).read()  # noqa: S310
    finally:
        first.stop()


def test_the_machine_avahi_pid_file_is_left_alone() -> None:
    pid_file = Path("/run/avahi-daemon/pid")
    before = pid_file.read_bytes() if pid_file.exists() else None
    services = IppServices().start()
    try:
        with IppEvePrinter(services, "Pidcheck"):
            assert (pid_file.read_bytes() if pid_file.exists() else None) == before
    finally:
        services.stop()
    assert (pid_file.read_bytes() if pid_file.exists() else None) == before
