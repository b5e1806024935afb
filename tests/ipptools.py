"""A real IPP Everywhere printer for the tests: CUPS' ippeveprinter (Debian cups-ipp-utils).

ippeveprinter registers itself over DNS-SD and exits ("Unable to initialize DNS-SD") without a
system D-Bus and avahi-daemon (DESIGN.md, IPP notes), so `IppServices` starts a private D-Bus
system bus (its own socket in a temp dir, DBUS_SYSTEM_BUS_ADDRESS) and avahi-daemon on it, once
per test session; `IppEvePrinter` then runs one printer on a free TCP port. Everything is
stopped at the end; where a program is missing the tests skip, saying which.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

IPPEVEPRINTER = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"
AVAHI = shutil.which("avahi-daemon") or "/usr/sbin/avahi-daemon"
DBUS = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/>
    <allow send_type="method_call"/><allow send_type="signal"/>
    <allow send_type="method_return"/><allow send_type="error"/>
    <allow receive_type="method_call"/><allow receive_type="signal"/>
    <allow receive_type="method_return"/><allow receive_type="error"/>
  </policy>
</busconfig>
"""


def missing() -> str | None:
    """Why the real IPP printer cannot run here, or None."""
    for program, package in ((IPPEVEPRINTER, "cups-ipp-utils"), (AVAHI, "avahi-daemon"), (DBUS, "dbus-daemon")):
        if not os.access(program, os.X_OK):
            return f"{Path(program).name} is not installed (Debian: apt install {package})"
    if os.geteuid() != 0:
        return "avahi-daemon needs root to start (it is the system's mDNS responder)"
    return None


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {seconds:g} s")


class IppServices:
    """A private system D-Bus and avahi-daemon on it (or the machine's, when one already runs)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tt-ipp-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = dict(os.environ)

    def start(self) -> IppServices:
        bus = self.dir / "bus"
        (self.dir / "dbus.conf").write_text(DBUS_CONF.format(socket=bus))
        self.procs.append(subprocess.Popen([DBUS, f"--config-file={self.dir / 'dbus.conf'}", "--nofork"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(bus.exists, 20, "dbus-daemon")
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={bus}"
        Path("/run/avahi-daemon").mkdir(parents=True, exist_ok=True)
        log = open(self.dir / "avahi.log", "wb")  # noqa: SIM115 - closed with the process
        avahi = [AVAHI, "--no-drop-root", "--no-chroot", "--no-rlimits"]
        unshare = shutil.which("unshare")
        if unshare:  # its pid file is fixed (/run/avahi-daemon/pid): a private mount lets it run beside another
            argv = [unshare, "--mount", "--propagation", "private", "sh", "-c",
                    'mount -t tmpfs tmpfs /run/avahi-daemon && exec "$@"', "sh", *avahi]
        else:
            argv = avahi
        self.procs.append(subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        _wait_for(lambda: b"Server startup complete" in (self.dir / "avahi.log").read_bytes()
                  or self.procs[-1].poll() is not None, 30, "avahi-daemon")
        if self.procs[-1].poll() is not None:
            raise RuntimeError("avahi-daemon exited: " + (self.dir / "avahi.log").read_text()[-500:])
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class IppEvePrinter:
    """`with IppEvePrinter(services) as p: p.uri` — one printer on 127.0.0.1:port."""

    def __init__(self, services: IppServices, name: str = "TonerTrack Test", *, tls: bool = False) -> None:
        self.services = services
        self.name = name
        self.port = free_tcp_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tt-ippeve-"))
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"{'ipps' if self.tls else 'ipp'}://127.0.0.1:{self.port}/ipp/print"

    def __enter__(self) -> IppEvePrinter:
        spool = self.dir / "spool"
        spool.mkdir()
        argv = [IPPEVEPRINTER, "-r", "off", "-p", str(self.port), "-d", str(spool), "-M", "TonerTrack",
                "-m", "Testdrucker", "-l", "Lab 1"]
        if self.tls:
            keys = self.dir / "keys"
            keys.mkdir()
            argv += ["-K", str(keys)]
        argv.append(self.name)
        self.proc = subprocess.Popen(argv, env=self.services.env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "log", "wb"), start_new_session=True)  # noqa: SIM115

        def listening() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("ippeveprinter exited: " + (self.dir / "log").read_text()[-500:])
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        _wait_for(listening, 30, "ippeveprinter")
        return self

    def set_supplies(self, levels: dict[int, int]) -> None:
        """Change levels through ippeveprinter's own /supplies web form (0-based supply → percent);
        the form posts every supply, so the others keep the values the page shows."""
        url = f"http://127.0.0.1:{self.port}/supplies"
        page = urllib.request.urlopen(url, timeout=10).read().decode()  # noqa: S310 - loopback test server
        form = dict(re.findall(r'<input name="(supply\d+)" size="3" value="(\d+)">', page))
        form.update({f"supply{i}": str(v) for i, v in levels.items()})
        # the page's form submits with GET
        urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(form)}", timeout=10).read()  # noqa: S310

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
