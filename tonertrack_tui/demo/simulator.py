"""Simulated SNMP printers: a launcher for snmpsim's command responder.

Tests, benchmarks and ``tonertrack demo`` talk to real SNMP agents, not mocks.
:class:`SimFleet` writes recordings (``.snmprec`` text) into a throwaway data
directory, starts ``snmpsim-command-responder`` (PyPI ``snmpsim``, which needs
``pysmi`` installed beside it) listening on free UDP ports on loopback, waits
until the agent really answers an SNMP GET, and tears it all down again::

    with SimFleet(["tests/data/colour_mfp.snmprec"], endpoints=3) as fleet:
        fleet.address(0)          # "127.0.0.1:40123", community "colour_mfp"

The responder runs in its own process, so the client process never imports
snmpsim. snmpsim brings ``pysmi``, and an importable ``pysmi`` makes pysnmp's
v3arch engine compile MIBs on its first request (0.15-0.35 s CPU): keep
snmpsim out of the runtime environment or stop pysnmp looking for MIB sources.
This module imports neither snmpsim nor pysnmp.

How snmpsim 1.2.2 on pysnmp 7.1 behaves (measured on the project's 2-core box)
-------------------------------------------------------------------------------
Selecting data
    Every data file in an engine's data directory is served on every endpoint
    of that engine, chosen by the SNMPv1/v2c community = file name without
    ``.snmprec``. An unknown community gets no reply at all (a timeout).
    snmpsim's own selection by transport endpoint or source address
    (``<community>/<transport-id>.snmprec``) is dead code with pysnmp 7.1 (its
    ``handleMgmtOperation`` override is never called since pysnmp renamed the
    hook), so to serve different data under the same community ("public") on
    different ports, give each printer its own :class:`Agent`: each agent is a
    separate SNMP engine with its own data directory and endpoints, and one
    responder process runs many engines.

SNMPv3
    A v3 request selects the data file by *context name* = community = file
    name (names longer than 32 characters: the MD5 hex digest of the name).
    An empty context name selects a data file named ``self.snmprec``, which
    this module writes for a recording with community ``""`` (v1/v2c then
    reach it with the empty community); ``public.snmprec`` is **not** the
    default. An unknown context name gets no reply. Users are per engine:
    ``--v3-user`` with ``--v3-auth-proto`` MD5 SHA SHA224 SHA256 SHA384
    SHA512 NONE and ``--v3-priv-proto`` DES 3DES AES AES128 AES192 AES256
    AES192BLMT AES256BLMT NONE; keys need 8+ characters; privacy needs
    authentication. An engine without a configured user gets snmpsim's
    default user ``simulator`` (MD5 ``auctoritas``, DES ``privatus``).
    Privacy (DES/AES) needs the ``cryptography`` package on *both* sides;
    without it pysnmp answers "Ciphering services not available".
    All endpoints of one agent share one snmpEngineID ("auto" = random at
    start); use one agent per endpoint when distinct engine IDs matter.

Reply size
    A GETBULK reply is silently *truncated* to fit 64 var-binds: snmpsim
    returns N non-repeaters + R x floor(64 / R) repeaters, never tooBig (the
    ``--max-var-binds`` option is ignored: snmpsim sets an attribute pysnmp 7.1
    no longer reads). A GET or GETNEXT is not capped: 100 var-binds come back
    whole. A reply that does not fit the UDP datagram gets no answer at all.

Start-up
    Python start-up and the pysnmp imports dominate; binding is cheap. Ready
    to answer (process start until the first GET is answered), one process,
    measured on the 2-core box while other work ran: 1 endpoint 0.4-0.6 s,
    100 endpoints 0.4-0.8 s, 1,000 endpoints 0.5-1.0 s, 2,000 about 1.2 s,
    5,000 about 2.3 s. RSS about 43 MB plus about 6 kB per endpoint. Every
    :class:`Agent` is one more SNMP engine and costs about 0.2 s more (13
    agents: about 3 s), so put printers that may share an engine into one
    agent. One UDP socket per endpoint: the file-descriptor limit is the only
    hard limit (the child's soft RLIMIT_NOFILE is raised toward the hard limit
    when needed). ``processes=N`` starts N responders in parallel.
    snmpsim binds in the background and a failed bind (port taken) only
    leaves that endpoint silent, so after the first answer :class:`SimFleet`
    checks in /proc that every endpoint is bound (elsewhere: asks each one)
    and starts again on fresh ports if one was taken meanwhile.

Serving cost
    snmpsim spends about 1.5-2 ms CPU per request plus about 0.15 ms per
    var-bind in the reply: a 6-var-bind GET costs 2-2.5 ms, a 24-var-bind
    GETBULK about 4.4 ms, a full 63-var-bind GETBULK 10.5-12 ms (pysnmp's
    PDU handling and pyasn1's BER codec dominate; nothing to tune). One
    responder process thus answers about 400 small GETs or 90 full GETBULKs
    per second of CPU. A benchmark of 1,000 printers shares the machine's
    two cores with the client under test: a first poll that reads ~150
    var-binds per printer costs snmpsim ~25 s of CPU, a steady-state poll of
    ~20 var-binds ~5 s. Spread big fleets over ``processes=2``.

Values that move
    snmpsim's ``numeric`` variation module computes a value on every read as
    ``initial + rate x t`` (t = seconds since the responder started), clamped
    to ``min``..``max`` (defaults 0 and 2**32-1, or 2**64-1 for Counter64;
    with ``wrap=1`` it wraps instead). Record syntax::

        1.3.6.1.2.1.43.11.1.1.9.1.1|2:numeric|initial=80,rate=-0.01,min=3,max=100
        1.3.6.1.2.1.43.10.2.1.4.1.1|65:numeric|initial=120000,rate=0.2

    :func:`numeric_record` writes such lines. Values restart from ``initial``
    whenever the responder restarts. snmpsim's ``delay`` module sleeps inside
    the single-threaded responder and so stalls every endpoint: not offered.
"""

from __future__ import annotations

import importlib.util
import math
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tonertrack_tui.core.printer import mib
from tonertrack_tui.core.snmp import ber

__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "Agent",
    "Recording",
    "SimFleet",
    "SimFleetError",
    "V3User",
    "free_udp_ports",
    "numeric_record",
    "oid_sort_key",
    "probe",
    "probe_many",
]

AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512", "NONE")
PRIV_PROTOCOLS = (
    "DES", "3DES", "AES", "AES128", "AES192", "AES256", "AES192BLMT", "AES256BLMT", "NONE",
)
SYS_UPTIME_OID = "1.3.6.1.2.1.1.3.0"
RESPONDER = "snmpsim-command-responder"
# Names snmpsim gives a meaning of its own: "index" is its data-index context.
_RESERVED_COMMUNITIES = {"index", "self"}
_DEFAULT_VARIATION_MODULES = ("numeric",)


class SimFleetError(RuntimeError):
    """The simulator could not be started (the message carries its stderr)."""


@dataclass(frozen=True)
class Recording:
    """One simulated data file: ``community`` selects it (v3: context name).

    ``text`` is the ``.snmprec`` content. Bytes are served as they are. A str
    is written as Latin-1 when it fits, so text read with
    ``encoding="latin-1"`` round-trips byte for byte, and as UTF-8 otherwise
    (a str record ``4|B1 – Reception`` sends UTF-8; for other non-ASCII
    values write bytes or ``4x`` hex to say exactly which bytes you mean).
    """

    community: str
    text: str | bytes

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], community: str | None = None) -> Recording:
        path = Path(path)
        name = path.name.removesuffix(".snmprec") if community is None else community
        return cls(name, path.read_bytes())

    @classmethod
    def coerce(cls, item: Recording | str | os.PathLike[str]) -> Recording:
        """A Recording, or a path to a ``.snmprec`` file (community = its stem)."""
        if isinstance(item, Recording):
            return item
        return cls.from_file(item)

    @property
    def data(self) -> bytes:
        if isinstance(self.text, bytes):
            return self.text
        try:
            return self.text.encode("latin-1")
        except UnicodeEncodeError:
            return self.text.encode("utf-8")

    @property
    def file_name(self) -> str:
        # snmpsim maps self.snmprec to the empty community / empty v3 context.
        return f"{self.community or 'self'}.snmprec"

    def validate(self) -> None:
        name = self.community
        if name in _RESERVED_COMMUNITIES:
            raise ValueError(f"community {name!r} is reserved by snmpsim")
        if "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
            raise ValueError(f"community {name!r} cannot be a data file name")


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 USM user; protocol names are snmpsim's (see AUTH/PRIV_PROTOCOLS)."""

    name: str
    auth_key: str | None = None
    auth_proto: str = "SHA"
    priv_key: str | None = None
    priv_proto: str = "AES"

    def args(self) -> list[str]:
        auth = self.auth_proto.upper() if self.auth_key else "NONE"
        priv = self.priv_proto.upper() if self.priv_key else "NONE"
        if auth not in AUTH_PROTOCOLS or priv not in PRIV_PROTOCOLS:
            raise ValueError(f"unknown v3 protocol {auth}/{priv} for user {self.name!r}")
        if priv != "NONE" and auth == "NONE":
            raise ValueError(f"v3 user {self.name!r}: privacy needs authentication")
        values = [self.name] + [k for k in (self.auth_key, self.priv_key) if k]
        for value in values:
            # snmpsim splits its own arguments on '=' and whitespace.
            if not value or "=" in value or any(c.isspace() for c in value):
                raise ValueError(f"v3 user {self.name!r}: names and keys may not contain '=' or spaces")
        for key in (self.auth_key, self.priv_key):
            if key is not None and len(key) < 8:
                raise ValueError(f"v3 user {self.name!r}: keys need at least 8 characters")
        out = [f"--v3-user={self.name}"]
        if self.auth_key:
            out += [f"--v3-auth-key={self.auth_key}", f"--v3-auth-proto={auth}"]
        if self.priv_key:
            out += [f"--v3-priv-key={self.priv_key}", f"--v3-priv-proto={priv}"]
        return out


@dataclass
class Agent:
    """One simulated SNMP engine: its recordings, its endpoints, its v3 users."""

    recordings: Sequence[Recording | str | os.PathLike[str]]
    endpoints: int = 1
    v3_users: Sequence[V3User] = ()
    name: str = ""
    _recordings: list[Recording] = field(init=False, repr=False, default_factory=list)

    def __post_init__(self) -> None:
        self._recordings = [Recording.coerce(r) for r in self.recordings]
        if not self._recordings:
            raise ValueError("an agent needs at least one recording")
        seen: set[str] = set()
        for rec in self._recordings:
            rec.validate()
            if rec.community in seen:
                raise ValueError(f"two recordings answer to community {rec.community!r}")
            seen.add(rec.community)
        if self.endpoints < 1:
            raise ValueError("an agent needs at least one endpoint")

    @property
    def communities(self) -> list[str]:
        return [r.community for r in self._recordings]


@dataclass
class _Engine:
    agent_index: int
    endpoints: list[tuple[str, int]]


class SimFleet:
    """snmpsim responder process(es) serving recordings on loopback UDP endpoints.

    ``SimFleet(recordings, endpoints=N)`` serves every recording on N endpoints
    (one agent); ``SimFleet(agents=[...])`` serves several agents, each with
    its own data and endpoints (e.g. printers that all answer "public", one
    per port). ``processes`` spreads the endpoints over that many responder
    processes (default: one per 1,000 endpoints), in parallel; each process
    gets a contiguous share of the endpoints. ``host`` may be a list of
    loopback addresses; endpoints cycle through them. With ``port`` every
    endpoint uses that port, so each needs its own host address.
    """

    #: Endpoints per responder process when ``processes`` is not given.
    ENDPOINTS_PER_PROCESS = 1000

    def __init__(
        self,
        recordings: Iterable[Recording | str | os.PathLike[str]] = (),
        endpoints: int = 1,
        *,
        v3_user: V3User | None = None,
        agents: Sequence[Agent] | None = None,
        host: str | Sequence[str] = "127.0.0.1",
        port: int | None = None,
        processes: int | None = None,
        startup_timeout: float = 30.0,
        variation_modules: Sequence[str] = _DEFAULT_VARIATION_MODULES,
        executable: str | Sequence[str] | None = None,
        extra_args: Sequence[str] = (),
        die_with_parent: bool = False,
    ) -> None:
        recordings = list(recordings)
        if agents is None:
            agents = [Agent(recordings, endpoints, (v3_user,) if v3_user else ())]
        elif recordings or v3_user:
            raise ValueError("pass either recordings/v3_user or agents, not both")
        if not agents:
            raise ValueError("no agents to simulate")
        self.agents: list[Agent] = list(agents)
        self.hosts = [host] if isinstance(host, str) else list(host)
        self.fixed_port = port
        total = sum(a.endpoints for a in self.agents)
        self.processes = processes or max(1, math.ceil(total / self.ENDPOINTS_PER_PROCESS))
        self.processes = min(self.processes, total)
        self.startup_timeout = startup_timeout
        self.variation_modules = tuple(variation_modules)
        self.executable = executable
        self.extra_args = list(extra_args)
        self.die_with_parent = die_with_parent
        self.endpoints: list[tuple[str, int]] = []
        self.startup_seconds: float | None = None
        self._agent_endpoints: list[list[tuple[str, int]]] = []
        self._procs: list[subprocess.Popen[bytes]] = []
        self._workdir: Path | None = None
        self._variation_dir: Path | None = None
        self._finalizer: weakref.finalize[[list[subprocess.Popen[bytes]], Path], SimFleet] | None = None

    # -- public API ---------------------------------------------------------

    def __enter__(self) -> SimFleet:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self._procs) and all(p.poll() is None for p in self._procs)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    @property
    def data_dir(self) -> Path:
        """Where the first agent's data files live (tests may inspect them)."""
        if self._workdir is None:
            raise SimFleetError("the fleet is not started")
        return self._workdir / "agent-0000"

    def address(self, i: int = 0) -> str:
        """Endpoint ``i`` as a TonerTrack target: ``"127.0.0.1:PORT"``."""
        host, port = self.endpoints[i]
        return f"{host}:{port}"

    def addresses(self) -> list[str]:
        return [self.address(i) for i in range(len(self.endpoints))]

    def agent_endpoints(self, agent: int) -> list[tuple[str, int]]:
        """The endpoints of ``agents[agent]``, in order."""
        return list(self._agent_endpoints[agent])

    def agent_address(self, agent: int, i: int = 0) -> str:
        host, port = self._agent_endpoints[agent][i]
        return f"{host}:{port}"

    def start(self) -> SimFleet:
        if self._procs:
            raise SimFleetError("the fleet is already running")
        self._workdir = Path(tempfile.mkdtemp(prefix="tonertrack-simfleet-"))
        self._finalizer = weakref.finalize(self, _cleanup, self._procs, self._workdir)
        try:
            self._write_data()
            began = time.monotonic()
            for attempt in range(3):
                try:
                    self._launch()
                    break
                except (_PortTaken, _NotReady) as exc:
                    # Another process took a port between our probe and snmpsim's bind, or the
                    # responder never answered: try again with new ports.
                    _terminate(self._procs)
                    self._procs.clear()
                    if attempt == 2:
                        why = str(exc) or "could not bind free UDP ports"
                        raise SimFleetError(f"{why} (after 3 attempts)") from None
            self.startup_seconds = time.monotonic() - began
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 3.0) -> None:
        """Terminate the responder(s) (SIGTERM, SIGKILL after ``grace``) and clean up."""
        _terminate(self._procs, grace)
        self._procs.clear()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None

    def stderr(self) -> str:
        """What the responder(s) wrote to stderr so far (for failure messages)."""
        if self._workdir is None:
            return ""
        parts = []
        for log in sorted(self._workdir.glob("responder-*.log")):
            parts.append(log.read_text(errors="replace"))
        return "".join(parts)

    # -- internals ------------------------------------------------------------

    def _write_data(self) -> None:
        assert self._workdir is not None
        for index, agent in enumerate(self.agents):
            data_dir = self._workdir / f"agent-{index:04d}"
            data_dir.mkdir()
            for rec in agent._recordings:
                # Real copies: snmpsim drops a second name for the same file.
                (data_dir / rec.file_name).write_bytes(rec.data)
        variation_dir = _variation_dir(self._workdir / "variation", self.variation_modules)
        self._variation_dir = variation_dir

    def _plan(self) -> list[list[_Engine]]:
        total = sum(a.endpoints for a in self.agents)
        if self.fixed_port is not None:
            if len(self.hosts) < total:
                raise ValueError(f"port={self.fixed_port} for {total} endpoints needs as many hosts")
            addresses = [(h, self.fixed_port) for h in self.hosts[:total]]
        else:
            hosts = [self.hosts[i % len(self.hosts)] for i in range(total)]
            addresses = free_udp_ports(hosts)
        self.endpoints = addresses
        self._agent_endpoints = []
        flat: list[tuple[int, tuple[str, int]]] = []
        cursor = 0
        for index, agent in enumerate(self.agents):
            mine = addresses[cursor:cursor + agent.endpoints]
            cursor += agent.endpoints
            self._agent_endpoints.append(mine)
            flat += [(index, ep) for ep in mine]
        plans: list[list[_Engine]] = []
        per_process = math.ceil(len(flat) / self.processes)
        for start in range(0, len(flat), per_process):
            engines: list[_Engine] = []
            for agent_index, ep in flat[start:start + per_process]:
                if engines and engines[-1].agent_index == agent_index:
                    engines[-1].endpoints.append(ep)
                else:
                    engines.append(_Engine(agent_index, [ep]))
            plans.append(engines)
        return plans

    def _command(self, number: int, engines: list[_Engine]) -> list[str]:
        assert self._workdir is not None
        cache = self._workdir / f"cache-{number}"
        cmd = list(_responder_command(self.executable))
        cmd += ["--log-level=error", f"--cache-dir={cache}", *self.extra_args]
        if self._variation_dir is not None:
            cmd.append(f"--variation-modules-dir={self._variation_dir}")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # As root snmpsim refuses to run without a user to drop to.
            cmd += ["--process-user=root", "--process-group=root"]
        for engine in engines:
            agent = self.agents[engine.agent_index]
            cmd += ["--v3-engine-id=auto", f"--data-dir={self._workdir / f'agent-{engine.agent_index:04d}'}"]
            for user in agent.v3_users:
                cmd += user.args()
            cmd += [f"--agent-udpv4-endpoint={h}:{p}" for h, p in engine.endpoints]
        return cmd

    def _launch(self) -> None:
        assert self._workdir is not None
        plans = self._plan()
        for number, engines in enumerate(plans):
            log = open(self._workdir / f"responder-{number}.log", "wb")
            try:
                proc = subprocess.Popen(
                    self._command(number, engines),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self._workdir,
                    preexec_fn=_child_setup(
                        sum(len(e.endpoints) for e in engines), self.die_with_parent
                    ),
                )
            finally:
                log.close()
            self._procs.append(proc)
        deadline = time.monotonic() + self.startup_timeout
        # One answered GET per engine proves its process finished configuring.
        pending = [
            (proc, engine.endpoints[0], self.agents[engine.agent_index].communities[0])
            for proc, engines in zip(self._procs, plans, strict=False)
            for engine in engines
        ]
        while pending:
            proc, (host, port), community = pending[0]
            if proc.poll() is not None:
                raise SimFleetError(
                    f"{RESPONDER} exited with code {proc.returncode} before answering:\n{self.stderr()}"
                )
            if probe(host, port, community, timeout=0.2):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                # Alive, ports bound, yet silent (seen once in a loaded CI run): start it again
                # rather than wait forever.
                raise _NotReady(f"{RESPONDER} did not answer on {host}:{port} within "
                                f"{self.startup_timeout:g} s:\n{self.stderr()}")
            time.sleep(0.05)  # a refused port fails at once: don't spin
        # snmpsim binds in the background and only logs a failed bind: a port
        # taken since free_udp_ports() chose it would just stay silent.
        for proc, engines in zip(self._procs, plans, strict=False):
            wanted = {ep for engine in engines for ep in engine.endpoints}
            community = self.agents[engines[0].agent_index].communities[0]
            missing = _unbound(proc.pid, wanted, community)
            if missing and self.fixed_port is not None:
                raise SimFleetError(f"UDP endpoint(s) already in use: {sorted(missing)[:10]}")
            if missing:
                raise _PortTaken()
            if time.monotonic() > deadline:
                raise SimFleetError(
                    f"{RESPONDER} did not answer on {host}:{port} within "
                    f"{self.startup_timeout:g} s:\n{self.stderr()}"
                )


class _PortTaken(Exception):
    pass


class _NotReady(Exception):
    pass


def _cleanup(procs: list[subprocess.Popen[bytes]], workdir: Path) -> None:
    _terminate(procs)
    shutil.rmtree(workdir, ignore_errors=True)


def _terminate(procs: Sequence[subprocess.Popen[bytes]], grace: float = 3.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _bound_udp(pid: int) -> set[tuple[str, int]] | None:
    """The IPv4 UDP addresses process ``pid`` has bound (Linux /proc), or None."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
        with open(f"/proc/{pid}/net/udp") as table:
            lines = table.read().splitlines()[1:]
    except OSError:
        return None
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    bound = set()
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[9] in inodes:
            hex_ip, hex_port = fields[1].split(":")
            ip = socket.inet_ntoa(struct.pack("=I", int(hex_ip, 16)))
            bound.add((ip, int(hex_port, 16)))
    return bound


def _unbound(pid: int, wanted: set[tuple[str, int]], community: str) -> set[tuple[str, int]]:
    """Which of ``wanted`` process ``pid`` has not bound (or, without /proc,
    which do not answer)."""
    # Binds are queued before snmpsim's loop starts, so they are done by the
    # time it has answered once; the short wait only covers a slow /proc.
    deadline = time.monotonic() + 0.5
    while True:
        bound = _bound_udp(pid)
        if bound is None:
            return probe_many(sorted(wanted), community, timeout=max(3.0, 0.005 * len(wanted)))
        missing = wanted - bound
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.05)


def _child_setup(endpoints: int, die_with_parent: bool) -> Callable[[], None] | None:
    """preexec_fn: enough file descriptors for every socket; optional PDEATHSIG."""
    import resource  # POSIX only, like snmpsim's privilege handling

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = endpoints + 256
    raise_limit = soft != resource.RLIM_INFINITY and soft < want
    if not raise_limit and not die_with_parent:
        return None

    def setup() -> None:
        if raise_limit:
            new = want if hard == resource.RLIM_INFINITY else min(hard, want)
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, new), hard))
        if die_with_parent and sys.platform.startswith("linux"):
            import ctypes

            # PR_SET_PDEATHSIG fires when the *thread* that forked exits.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    return setup


def _responder_command(executable: str | Sequence[str] | None) -> list[str]:
    if executable is not None:
        return [executable] if isinstance(executable, str) else list(executable)
    beside = Path(sys.executable).parent / RESPONDER
    if beside.exists():
        return [str(beside)]
    found = shutil.which(RESPONDER)
    if found:
        return [found]
    if importlib.util.find_spec("snmpsim") is not None:
        return [sys.executable, "-m", "snmpsim.commands.responder"]
    raise SimFleetError(f"{RESPONDER} not found: pip install snmpsim pysmi")


def _variation_dir(target: Path, modules: Sequence[str]) -> Path | None:
    """A variation-module dir with only ``modules`` (snmpsim loads all it finds,
    and its redis/sql modules complain on every start)."""
    spec = importlib.util.find_spec("snmpsim")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "variation"
    target.mkdir()
    for name in modules:
        module = source / f"{name}.py"
        if not module.exists():
            raise SimFleetError(f"snmpsim has no variation module {name!r}")
        shutil.copyfile(module, target / module.name)
    return target


# -- ports and a stdlib SNMP probe -----------------------------------------------


def free_udp_ports(hosts: Sequence[str]) -> list[tuple[str, int]]:
    """One free UDP port per entry of ``hosts`` (all sockets held until all are
    chosen, so no port is handed out twice)."""
    socks: list[socket.socket] = []
    try:
        for host in hosts:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((host, 0))
        return [(host, sock.getsockname()[1]) for host, sock in zip(hosts, socks, strict=False)]
    finally:
        for sock in socks:
            sock.close()


def encode_get_request(community: str | bytes, oid: str, request_id: int) -> bytes:
    """An SNMPv2c GetRequest for one OID (the project's own codec, core/ber.py)."""
    if isinstance(community, str):
        community = community.encode("latin-1")
    return ber.encode_request(ber.V2C, community, ber.GET, request_id,
                              ber.encode_varbinds_null([mib.oid(oid)]))


def _response_request_id(data: bytes) -> int | None:
    try:
        response = ber.decode_message(data)
    except ber.BerError:
        return None
    return response.request_id if response.pdu_tag == ber.RESPONSE else None


def probe(host: str, port: int = 161, community: str = "public", timeout: float = 0.5) -> bool:
    """True if an SNMPv2c agent answers a GET of sysUpTime.0 within ``timeout``."""
    request_id = random.randrange(1, 2**31 - 1)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((host, port))
            sock.send(encode_get_request(community, SYS_UPTIME_OID, request_id))
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                if _response_request_id(sock.recv(65535)) == request_id:
                    return True
        except (TimeoutError, ConnectionRefusedError, OSError):
            return False
    return False


def probe_many(
    endpoints: Sequence[tuple[str, int]],
    community: str = "public",
    timeout: float = 1.0,
    window: int = 64,
) -> set[tuple[str, int]]:
    """The endpoints that did *not* answer a GET of sysUpTime.0 within
    ``timeout``: asked from one socket, ``window`` at a time, each asked again
    after 0.5 s without an answer."""
    waiting = [(host, port) for host, port in endpoints]
    request_ids = {ep: random.randrange(1, 2**31 - 1) for ep in waiting}
    in_flight: dict[tuple[str, int], float] = {}  # endpoint -> when last asked
    waiting.reverse()  # pop() from the end keeps the caller's order
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        while (waiting or in_flight) and (now := time.monotonic()) < deadline:
            while waiting and len(in_flight) < window:
                in_flight[waiting.pop()] = 0.0
            for ep, asked in in_flight.items():
                if now - asked >= 0.5:
                    try:
                        sock.sendto(encode_get_request(community, SYS_UPTIME_OID, request_ids[ep]), ep)
                    except OSError:
                        pass  # full buffer: asked again next round
                    in_flight[ep] = now
            if not select.select([sock], [], [], 0.05)[0]:
                continue
            while True:
                try:
                    data, sender = sock.recvfrom(65535)
                except OSError:
                    break
                if sender in in_flight and request_ids[sender] == _response_request_id(data):
                    del in_flight[sender]
    return set(waiting) | set(in_flight)


# -- writing recordings ---------------------------------------------------------------


def oid_sort_key(oid: str) -> tuple[int, ...]:
    """snmpsim needs records in OID order, compared arc by arc as numbers."""
    return tuple(int(arc) for arc in oid.strip(".").split("."))


def numeric_record(
    oid: str,
    tag: int,
    initial: float,
    rate: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    wrap: bool = False,
) -> str:
    """A ``.snmprec`` line whose value moves: ``initial + rate x seconds since
    the responder started``, clamped to ``minimum``..``maximum``.

    ``tag`` is 2 (Integer), 65 (Counter32), 66 (Gauge32), 67 (TimeTicks) or
    70 (Counter64). Without ``minimum`` snmpsim clamps at 0.
    ``numeric_record("1.3.6.1.2.1.43.11.1.1.9.1.1", 2, 80, -0.01, minimum=3)``
    gives ``1.3.6.1.2.1.43.11.1.1.9.1.1|2:numeric|initial=80,rate=-0.01,min=3``.
    """
    if tag not in (2, 65, 66, 67, 70):
        raise ValueError(f"numeric variation needs an integer type, not tag {tag}")
    settings = [f"initial={_num(initial)}", f"rate={_num(rate)}"]
    if minimum is not None:
        settings.append(f"min={_num(minimum)}")
    if maximum is not None:
        settings.append(f"max={_num(maximum)}")
    if wrap:
        settings.append("wrap=1")
    return f"{oid}|{tag}:numeric|{','.join(settings)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
