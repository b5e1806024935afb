"""The hostile fleet of the adversarial suite: strings, recordings, a slow agent, a tally.

Everything here is generated at test time (no data files to keep in sync): each recording is
an snmpsim ``.snmprec`` text served under its own community by one responder.

* ``adv_text``    every text column of every table carries one of ``HOSTILE`` (markup, CSI/OSC,
                  C0/C1, NUL, invalid UTF-8, RTL/zero-width, 10,000 characters, CSV formulas,
                  JSON breakers); levels above max, negative max.
* ``adv_types``   every column of every table (and every scalar) holds the wrong SNMP type.
* ``adv_rows``    a supplies table of 10,000 rows.
* ``adv_count_hi`` / ``adv_count_lo``  one printer whose lifetime counter goes backwards.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from pathlib import Path

from tonertrack_tui.demo.simulator import oid_sort_key

# name -> raw bytes a device sends
HOSTILE: dict[str, bytes] = {
    "markup_red": b"[red]Lab[/] printer",
    "markup_close": b"[/]",
    "markup_link": b"[link=https://evil.example/]click[/link]",
    "markup_click": b"[@click=app.quit]x[/]",
    "csi_clear": b"\x1b[2J\x1b[H\x1b[31mPWNED\x1b[0m",
    "osc_title": b"\x1b]0;pwned terminal title\x07name",
    "osc52": b"\x1b]52;c;ZXZpbA==\x07clip",
    "osc8": b"\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "c0": bytes(range(1, 32)) + b"c0",
    "c1": "c1\u0085\u008d\u009b31m\u009d0;t\u009c".encode(),
    "nul": b"Tray\x00hidden\x00",
    "bad_utf8": b"Staples \xc3\x28 \xa0\xa1 \xed\xa0\x80 \xf0\x28\x8c\xbc",
    "rtl_zw": "\u202eroolf dn2\u202c \u200bB1\u200d\ufeff\u2066x\u2069".encode(),
    "long": b"W" * 10_000,
    "csv_eq": b'=HYPERLINK("http://evil","x")',
    "csv_plus": b"+cmd|' /C calc'!A0",
    "csv_minus": b"-2+3+cmd|' /C calc'!A0",
    "csv_at": b"@SUM(1+1)*cmd|' /C calc'!A0",
    "csv_tab": b"\t=1+1",
    "csv_cr": b"\r=1+1",
    "json_breakers": b'"quoted" \\ back\\slash \\u0000 {"a": 1}\',]}',
    "alt_screen": b"\x1b[?1049h\x1b[?1000h",
}
# What must never reach a terminal, a JSON string or a CSV cell.
FORBIDDEN_CHARS = {chr(c) for c in range(32)} | {chr(c) for c in range(0x7F, 0xA0)} | {
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200b", "\u200e", "\u200f", "\ufeff"}
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

SUP = "1.3.6.1.2.1.43.11.1.1"
INP = "1.3.6.1.2.1.43.8.2.1"
ALR = "1.3.6.1.2.1.43.18.1.1"
COL = "1.3.6.1.2.1.43.12.1.1"
HRD = "1.3.6.1.2.1.25.3.2.1"
HRP = "1.3.6.1.2.1.25.3.5.1"
LIFE = "1.3.6.1.2.1.43.10.2.1.4.1.1"


def forbidden_in(text: str) -> set[str]:
    return {c for c in text if c in FORBIDDEN_CHARS} | ({"ESC"} if "\x1b" in text else set())


def _hex(raw: bytes) -> str:
    return "4x|" + raw.hex()


def _render(lines: list[str]) -> str:
    lines.sort(key=lambda line: oid_sort_key(line.split("|", 1)[0]))
    return "\n".join(lines) + "\n"


def _identity(values: list[bytes], name: bytes) -> list[str]:
    v = lambda i: _hex(values[i % len(values)])  # noqa: E731
    return [
        f"1.3.6.1.2.1.1.1.0|{v(4)}", "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.666", "1.3.6.1.2.1.1.3.0|67|4242",
        f"1.3.6.1.2.1.1.4.0|{v(6)}", f"1.3.6.1.2.1.1.5.0|{_hex(name)}", f"1.3.6.1.2.1.1.6.0|{v(12)}",
        f"{HRD}.1.1|2|1", f"{HRD}.2.1|6|1.3.6.1.2.1.25.3.1.5", f"{HRD}.3.1|{v(14)}", f"{HRD}.5.1|2|5",
        f"{HRP}.1.1|2|3", f"{HRP}.2.1|4x|ffff",
        f"1.3.6.1.2.1.43.5.1.1.17.1|{v(10)}",
    ]


def text_recording() -> str:
    """One supply, tray, alert and colorant per hostile string, in every text column."""
    values = list(HOSTILE.values())
    lines = _identity(values, HOSTILE["markup_click"] + b" " + HOSTILE["osc_title"])
    lines.append(f"{LIFE}|65|100000")
    for i, raw in enumerate(values, 1):
        level, max_ = [(40, 100), (150, 100), (30, -5), (-3, 100), (7, 0), (99999, 1)][i % 6]
        lines += [
            f"{SUP}.2.1.{i}|2|1", f"{SUP}.3.1.{i}|2|{i}", f"{SUP}.4.1.{i}|2|{3 if i % 5 else 4}",
            f"{SUP}.5.1.{i}|2|{[3, 4, 9, 15, 21][i % 5]}", f"{SUP}.6.1.{i}|{_hex(raw)}", f"{SUP}.7.1.{i}|2|19",
            f"{SUP}.8.1.{i}|2|{max_}", f"{SUP}.9.1.{i}|2|{level}",
            f"{COL}.4.1.{i}|{_hex(raw)}",
            f"{INP}.8.1.{i}|2|8", f"{INP}.9.1.{i}|2|{max_}", f"{INP}.10.1.{i}|2|{level}", f"{INP}.11.1.{i}|2|0",
            f"{INP}.12.1.{i}|{_hex(raw)}", f"{INP}.13.1.{i}|{_hex(raw)}", f"{INP}.18.1.{i}|{_hex(raw)}",
            f"{ALR}.2.1.{i}|2|{[3, 4, 5, 1][i % 4]}", f"{ALR}.3.1.{i}|2|3", f"{ALR}.4.1.{i}|2|5",
            f"{ALR}.5.1.{i}|2|1", f"{ALR}.6.1.{i}|2|-2", f"{ALR}.7.1.{i}|2|{[8, 1104, 13, 99999][i % 4]}",
            f"{ALR}.8.1.{i}|{_hex(raw)}",
        ]
    return _render(lines)


# snmprec types: 2 Integer, 4 OctetString, 5 Null, 6 OID, 64 IpAddress, 65 Counter32, 66 Gauge32,
# 67 TimeTicks, 68 Opaque, 70 Counter64
WRONG_FOR_INT = ["4|fifty", "4x|ff00", "6|1.3.6.1.4.1.1", "64|10.0.0.1", "70|18446744073709551615", "5|",
                 "68|" + "00", "67|4294967295", "4|", "2|-2147483648", "2|2147483647"]
WRONG_FOR_TEXT = ["2|42", "6|1.3.6.1.2.1.43", "64|255.255.255.255", "70|5000000000", "5|", "67|1", "65|0",
                  "2|-1", "66|4294967295"]


def types_recording(rows: int = len(WRONG_FOR_INT)) -> str:
    """Every column of every table, and every scalar, with a wrong SNMP type (rotating per row)."""
    wi = lambda i: WRONG_FOR_INT[i % len(WRONG_FOR_INT)]  # noqa: E731
    wt = lambda i: WRONG_FOR_TEXT[i % len(WRONG_FOR_TEXT)]  # noqa: E731
    lines = [
        f"1.3.6.1.2.1.1.1.0|{wt(0)}", "1.3.6.1.2.1.1.2.0|4|not an oid", "1.3.6.1.2.1.1.3.0|4|up",
        f"1.3.6.1.2.1.1.4.0|{wt(1)}", "1.3.6.1.2.1.1.5.0|4|adv-types", f"1.3.6.1.2.1.1.6.0|{wt(2)}",
        f"{HRD}.1.1|4|one", f"{HRD}.2.1|4|printer", f"{HRD}.3.1|{wt(3)}", f"{HRD}.5.1|4|running",
        f"{HRP}.1.1|6|1.3", f"{HRP}.2.1|2|255", f"1.3.6.1.2.1.43.5.1.1.17.1|{wt(4)}",
        f"{LIFE}|4|123456", "1.3.6.1.2.1.43.5.1.1.1.1|4|changes",
    ]
    for i in range(1, rows + 1):
        for col in (2, 3, 4, 5, 7, 8, 9):
            lines.append(f"{SUP}.{col}.1.{i}|{wi(i + col)}")
        lines.append(f"{SUP}.6.1.{i}|{wt(i)}")
        lines.append(f"{COL}.4.1.{i}|{wt(i + 1)}")
        for col in (8, 9, 10, 11):
            lines.append(f"{INP}.{col}.1.{i}|{wi(i + col)}")
        for col in (12, 13, 18):
            lines.append(f"{INP}.{col}.1.{i}|{wt(i + col)}")
        for col in (2, 3, 4, 5, 6, 7):
            lines.append(f"{ALR}.{col}.1.{i}|{wi(i + col)}")
        lines.append(f"{ALR}.8.1.{i}|{wt(i + 8)}")
    return _render(lines)


def rows_recording(rows: int = 10_000) -> str:
    lines = ["1.3.6.1.2.1.1.1.0|4|ten thousand rows", "1.3.6.1.2.1.1.5.0|4|adv-rows",
             f"{HRD}.1.1|2|1", f"{HRD}.2.1|6|1.3.6.1.2.1.25.3.1.5", f"{HRD}.3.1|4|Rows Printer",
             f"{HRP}.1.1|2|3", f"{HRP}.2.1|4x|0000", f"{LIFE}|65|1"]
    for i in range(1, rows + 1):
        lines += [f"{SUP}.6.1.{i}|4|=Row {i}", f"{SUP}.9.1.{i}|2|{i % 101}"]
    return _render(lines)


def counter_recording(pages: int) -> str:
    return _render([
        "1.3.6.1.2.1.1.1.0|4|counter printer", "1.3.6.1.2.1.1.5.0|4|adv-counter",
        f"{HRD}.1.1|2|1", f"{HRD}.2.1|6|1.3.6.1.2.1.25.3.1.5", f"{HRD}.3.1|4|Counter Printer",
        f"{HRP}.1.1|2|3", f"{HRP}.2.1|4x|0000", f"{LIFE}|65|{pages}",
        f"{SUP}.4.1.1|2|3", f"{SUP}.5.1.1|2|3", f"{SUP}.6.1.1|4|Black Toner", f"{SUP}.7.1.1|2|19",
        f"{SUP}.8.1.1|2|100", f"{SUP}.9.1.1|2|{50 if pages > 1000 else 95}",
    ])


def recordings() -> dict[str, str]:
    return {
        "adv_text": text_recording(),
        "adv_types": types_recording(),
        "adv_rows": rows_recording(),
        "adv_count_hi": counter_recording(100_000),
        "adv_count_lo": counter_recording(500),
    }


HOSTILE_COMMUNITIES = ("adv_text", "adv_types", "adv_rows")


# ------------------------------------------------------------------------ a slow agent

class SlowAgent:
    """A UDP relay on 127.0.0.1 that forwards each datagram to `upstream` and answers 2 s later.

    snmpsim's own delay module stalls the whole responder; this delays only this "agent".
    """

    def __init__(self, upstream: tuple[str, int], delay: float = 2.0) -> None:
        self.upstream = upstream
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            self.requests += 1
            threading.Thread(target=self._answer, args=(data, peer), daemon=True).start()

    def _answer(self, data: bytes, peer) -> None:
        time.sleep(self.delay)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(2.0)
            try:
                up.sendto(data, self.upstream)
                reply, _ = up.recvfrom(65535)
                self.sock.sendto(reply, peer)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


# ------------------------------------------------------------------------ the tally

TALLY: Counter[str] = Counter()


def tally(surface: str, n: int = 1) -> None:
    """Count hostile cases tried on a surface (written out and summed at the end of the run)."""
    TALLY[surface] += n


def write_tally(directory: Path, worker: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{worker}.json").write_text(json.dumps(dict(TALLY)))


def read_tallies(directory: Path, since: float = 0.0) -> Counter[str]:
    total: Counter[str] = Counter()
    for path in directory.glob("*.json"):
        try:
            if path.stat().st_mtime < since:
                continue  # left by an earlier run
            total.update(json.loads(path.read_text()))
        except (OSError, ValueError):
            pass
    return total


def strings_of(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings_of(k)
            yield from strings_of(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings_of(v)


