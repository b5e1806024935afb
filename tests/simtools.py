"""Test-only helpers for simulated printers (moved out of the installed package, issue 13):
a check of `.snmprec` texts and the 2,000-row supplies table. The simulator itself is
tonertrack_tui/demo/simulator.py (the demo runs it; install the `demo` extra)."""

from __future__ import annotations

from tonertrack_tui.demo.simulator import oid_sort_key


def recording_problems(text: str | bytes) -> list[str]:
    """What snmpsim would choke on in a ``.snmprec`` text: malformed lines,
    unknown types, odd hex, OIDs out of order or repeated. Empty = fine."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")  # snmpsim reads its files as Latin-1
    known = {"2", "4", "5", "6", "64", "65", "66", "67", "68", "70", "128", "129", "130"}
    problems: list[str] = []
    previous: tuple[int, ...] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            problems.append(f"line {number}: empty line")
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            problems.append(f"line {number}: not OID|TYPE|VALUE")
            continue
        oid, tag, value = parts
        try:
            key = oid_sort_key(oid)
        except ValueError:
            problems.append(f"line {number}: bad OID {oid!r}")
            continue
        base, _, module = tag.partition(":")
        encoding = base[-1] if base[-1:] in ("x", "e") else ""
        base = base.removesuffix(encoding) if encoding else base
        if base not in known:
            problems.append(f"line {number}: unknown type {tag!r}")
        if encoding == "x" and not module:
            try:
                bytes.fromhex(value)
            except ValueError:
                problems.append(f"line {number}: bad hex value")
        if not encoding and not module and base in ("2", "65", "66", "67", "70"):
            try:
                int(value)
            except ValueError:
                problems.append(f"line {number}: {value!r} is not an integer")
        if previous is not None and key <= previous:
            problems.append(f"line {number}: {oid} is not after the previous OID")
        previous = key
    return problems


def big_table_recording(rows: int = 2000, *, name: str = "Big Table Printer") -> str:
    """A printer whose prtMarkerSuppliesTable has ``rows`` rows (indexes 1.1 ..
    1.rows), for tests that walks are bounded and reply caps respected.

    Row i: description "Supply i", class consumed (3), type toner (3), unit
    percent (19), max 100, level i % 101, colorant 0.
    """
    sup = "1.3.6.1.2.1.43.11.1.1"
    lines = [
        f"1.3.6.1.2.1.1.1.0|4|{name}",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1",
        "1.3.6.1.2.1.1.3.0|67|100",
        f"1.3.6.1.2.1.1.5.0|4|{name}",
        "1.3.6.1.2.1.25.3.2.1.1.1|2|1",
        "1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5",
        f"1.3.6.1.2.1.25.3.2.1.3.1|4|{name}",
        "1.3.6.1.2.1.25.3.2.1.5.1|2|2",
        "1.3.6.1.2.1.25.3.5.1.1.1|2|3",
        "1.3.6.1.2.1.25.3.5.1.2.1|4x|0000",
    ]
    columns = {
        2: lambda i: "2|1",
        3: lambda i: "2|0",
        4: lambda i: "2|3",
        5: lambda i: "2|3",
        6: lambda i: f"4|Supply {i}",
        7: lambda i: "2|19",
        8: lambda i: "2|100",
        9: lambda i: f"2|{i % 101}",
    }
    for column, value in columns.items():
        lines += [f"{sup}.{column}.1.{i}|{value(i)}" for i in range(1, rows + 1)]
    lines.append("1.3.6.1.4.1.99999.1.1.0|4|after the Printer-MIB")
    lines.sort(key=lambda line: oid_sort_key(line.split("|", 1)[0]))
    return "\n".join(lines) + "\n"
