"""A near-zero-CPU SNMP responder for benchmarks: many printers, a real network's manners.

snmpsim costs ~6 ms of CPU per request, so a benchmark against it measures snmpsim. This
responder answers from one small sorted OID table (a recording from the project's own
fixtures, tests/data/*.snmprec), pre-encoded once with the project's BER codec
(core/snmp/ber.py), so a reply costs a bisect and a join. What it adds is the network:

* per-reply latency with jitter (uniform in latency ± jitter), scheduled with
  `loop.call_later` (no threads, no sleeping tasks);
* request loss: each request is dropped with probability `loss` (the client's retry decides);
* dead printers: ports that are bound (so no ICMP "port unreachable") and never answer.

One asyncio UDP socket per simulated printer; GET, GETNEXT and GETBULK (v1 and v2c,
community "public"; anything else is ignored like a real agent does). Requests are counted
per printer, and SNMPv1 requests separately.

Run it in its own process so the client's CPU is what a benchmark measures:

    python benchmarks/netsim.py --live 500 --dead 50 --latency-ms 300 --jitter-ms 150 --loss 0.02

It prints one JSON line {"live": [ports], "dead": [ports]} when ready, then reads commands
from stdin: "counts" prints {"requests": {port: n}, "v1": {port: n}}, "reset" zeroes the
counts, "quit" (or end of input) stops. `NetSim` below does all that from Python.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from tonertrack_tui.core.snmp import ber  # noqa: E402  (the child's: this tree's codec)

DEFAULT_RECORDING = ROOT / "tests" / "data" / "v3_printer.snmprec"
MAX_VARBINDS = 64  # like snmpsim: a GETBULK reply holds at most this many var-binds
COMMUNITY = b"public"

OID = tuple[int, ...]
_END_OF_MIB = b"\x82\x00"
_NO_SUCH_INSTANCE = b"\x81\x00"


def _encode_value(tag: str, text: str) -> bytes:
    """One snmprec value (`tag|value`, tag `4x` = hex) as a BER TLV."""
    hexed = tag.endswith("x")
    kind = int(tag.rstrip("x"))
    raw = bytes.fromhex(text) if hexed else text.encode("latin-1")
    if kind == 2:
        return ber.encode_integer(int(text))
    if kind in (4, 68):
        return ber.encode_tlv(kind, raw)
    if kind == 5:
        return b"\x05\x00"
    if kind == 6:
        return ber.encode_oid(tuple(int(a) for a in text.split(".")))
    if kind == 64:
        return ber.encode_tlv(0x40, raw if hexed else bytes(int(b) for b in text.split(".")))
    if kind in (65, 66, 67, 70):
        return ber.encode_unsigned(kind, int(text))
    raise ValueError(f"snmprec tag {tag} not supported")


class Table:
    """A sorted OID table with each var-bind pre-encoded."""

    def __init__(self, recording: str) -> None:
        rows: dict[OID, bytes] = {}
        for line in recording.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            oid_text, tag, value = line.split("|", 2)
            oid = tuple(int(a) for a in oid_text.split("."))
            rows[oid] = _encode_value(tag, value)
        self.oids: list[OID] = sorted(rows)
        self.encoded: list[bytes] = [ber.encode_varbind(o, rows[o]) for o in self.oids]
        self.index = {o: i for i, o in enumerate(self.oids)}

    def get(self, oid: OID) -> bytes:
        i = self.index.get(oid)
        return self.encoded[i] if i is not None else ber.encode_varbind(oid, _NO_SUCH_INSTANCE)

    def next_index(self, oid: OID) -> int:
        return bisect.bisect_right(self.oids, oid)

    def reply_varbinds(self, request: ber.Response) -> tuple[int, int, bytes]:
        """(error_status, error_index, encoded var-binds) for a request."""
        names = [name for name, _ in request.varbinds]
        v1 = request.version == ber.V1
        if request.pdu_tag == ber.GET:
            if v1 and any(n not in self.index for n in names):
                bad = next(i for i, n in enumerate(names) if n not in self.index)
                return 2, bad + 1, b"".join(ber.encode_varbind(n, b"\x05\x00") for n in names)
            return 0, 0, b"".join(self.get(n) for n in names)
        if request.pdu_tag == ber.GETNEXT:
            out = []
            for i, n in enumerate(names):
                j = self.next_index(n)
                if j >= len(self.oids):
                    if v1:
                        return 2, i + 1, b"".join(ber.encode_varbind(n, b"\x05\x00") for n in names)
                    out.append(ber.encode_varbind(n, _END_OF_MIB))
                else:
                    out.append(self.encoded[j])
            return 0, 0, b"".join(out)
        if request.pdu_tag == ber.GETBULK and not v1:
            non_rep = max(0, min(request.error_status, len(names)))
            reps = max(0, request.error_index)
            out = []
            for n in names[:non_rep]:
                j = self.next_index(n)
                out.append(self.encoded[j] if j < len(self.oids) else ber.encode_varbind(n, _END_OF_MIB))
            cursors = [self.next_index(n) for n in names[non_rep:]]
            repeaters = names[non_rep:]
            for _ in range(reps):
                if len(out) + len(cursors) > MAX_VARBINDS or not cursors:
                    break
                for k, j in enumerate(cursors):
                    if j < len(self.oids):
                        out.append(self.encoded[j])
                        cursors[k] = j + 1
                    else:
                        out.append(ber.encode_varbind(repeaters[k], _END_OF_MIB))
                if all(j >= len(self.oids) for j in cursors):
                    break
            return 0, 0, b"".join(out)
        return 5, 0, b""


class _Printer(asyncio.DatagramProtocol):
    __slots__ = ("sim", "port", "dead", "transport")

    def __init__(self, sim: Responder, port: int, dead: bool) -> None:
        self.sim = sim
        self.port = port
        self.dead = dead
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.sim.answer(self, data, addr)


class Responder:
    def __init__(self, table: Table, *, latency_s: float, jitter_s: float, loss: float, seed: int) -> None:
        self.table = table
        self.latency_s = latency_s
        self.jitter_s = jitter_s
        self.loss = loss
        self.random = random.Random(seed)
        self.requests: dict[int, int] = {}
        self.v1: dict[int, int] = {}
        self.printers: list[_Printer] = []

    async def open(self, live: int, dead: int, host: str = "127.0.0.1") -> None:
        loop = asyncio.get_running_loop()
        for i in range(live + dead):
            transport, protocol = await loop.create_datagram_endpoint(
                lambda i=i: _Printer(self, 0, i >= live), local_addr=(host, 0))
            protocol.port = transport.get_extra_info("sockname")[1]
            self.requests[protocol.port] = 0
            self.v1[protocol.port] = 0
            self.printers.append(protocol)

    def answer(self, printer: _Printer, data: bytes, addr: Any) -> None:
        self.requests[printer.port] += 1
        if printer.dead:
            return
        try:
            request = ber.decode_message(data)
        except ber.BerError:
            return
        if request.version == ber.V1:
            self.v1[printer.port] += 1
        if request.community != COMMUNITY or request.version not in (ber.V1, ber.V2C):
            return
        if self.loss and self.random.random() < self.loss:
            return
        status, index, varbinds = self.table.reply_varbinds(request)
        reply = ber.encode_response(request.version, request.community, request.request_id, status, index,
                                    varbinds)
        delay = self.latency_s
        if self.jitter_s:
            delay += self.random.uniform(-self.jitter_s, self.jitter_s)
        transport = printer.transport
        if transport is None:
            return
        if delay <= 0:
            transport.sendto(reply, addr)
        else:
            asyncio.get_running_loop().call_later(delay, transport.sendto, reply, addr)

    def ports(self) -> dict[str, list[int]]:
        return {"live": [p.port for p in self.printers if not p.dead],
                "dead": [p.port for p in self.printers if p.dead]}


async def serve(args: argparse.Namespace) -> None:
    table = Table(Path(args.recording).read_text("latin-1"))
    sim = Responder(table, latency_s=args.latency_ms / 1000, jitter_s=args.jitter_ms / 1000, loss=args.loss,
                    seed=args.seed)
    await sim.open(args.live, args.dead)
    print(json.dumps(sim.ports()), flush=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def on_stdin() -> None:
        line = sys.stdin.readline()
        command = line.strip()
        if not line or command == "quit":
            if not done.done():
                done.set_result(None)
        elif command == "counts":
            print(json.dumps({"requests": sim.requests, "v1": sim.v1}), flush=True)
        elif command == "reset":
            for counts in (sim.requests, sim.v1):
                for port in counts:
                    counts[port] = 0
            print("{}", flush=True)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await done


class NetSim:
    """The responder in a child process: `with NetSim(live=10, dead=2) as sim: sim.live_ports ...`."""

    def __init__(self, live: int, dead: int = 0, *, latency_ms: float = 0.0, jitter_ms: float = 0.0,
                 loss: float = 0.0, seed: int = 1, recording: Path | str = DEFAULT_RECORDING) -> None:
        self.command = [sys.executable, str(Path(__file__).resolve()), "--live", str(live), "--dead", str(dead),
                        "--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms), "--loss", str(loss),
                        "--seed", str(seed), "--recording", str(recording)]
        self.proc: subprocess.Popen[str] | None = None
        self.live_ports: list[int] = []
        self.dead_ports: list[int] = []

    def __enter__(self) -> NetSim:
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError("netsim did not start")
        ports = json.loads(line)
        self.live_ports, self.dead_ports = ports["live"], ports["dead"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _ask(self, command: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def counts(self) -> tuple[dict[int, int], dict[int, int]]:
        """(requests per port, SNMPv1 requests per port) since start or the last reset()."""
        data = self._ask("counts")
        return ({int(k): v for k, v in data["requests"].items()}, {int(k): v for k, v in data["v1"].items()})

    def reset(self) -> None:
        self._ask("reset")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", type=int, default=10)
    parser.add_argument("--dead", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--loss", type=float, default=0.0, help="probability that a request is dropped")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recording", default=str(DEFAULT_RECORDING))
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
