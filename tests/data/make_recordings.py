"""Write tests/data/hostile.snmprec from the readable values below.

The hostile recording is full of control characters and foreign encodings,
so it is generated: every value is spelt out here as a Python literal, and
anything that is not printable ASCII goes into the file as hex (type 4x).
Run ``python tests/data/make_recordings.py`` after editing; the output is
committed. (The 2,000-row supplies table is made at test time by
``tests/simtools.big_table_recording``.)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

ESC, BEL, NUL = "\x1b", "\x07", "\x00"
OSC52_CLIPBOARD = f"{ESC}]52;c;ZXZpbA=={BEL}"         # base64 of "evil"
OSC8_LINK = f"{ESC}]8;;https://evil.example/{ESC}\\click me{ESC}]8;;{ESC}\\"
OSC_TITLE = f"{ESC}]0;pwned terminal title{BEL}"
CSI_CLEAR = f"{ESC}[2J{ESC}[H"
CSV_FORMULA = '=HYPERLINK("http://evil","x")'

SYS = "1.3.6.1.2.1.1"
HR_DEV = "1.3.6.1.2.1.25.3.2.1"
HR_PRT = "1.3.6.1.2.1.25.3.5.1"
GENERAL = "1.3.6.1.2.1.43.5.1.1"
INPUT = "1.3.6.1.2.1.43.8.2.1"
MARKER = "1.3.6.1.2.1.43.10.2.1"
SUPPLY = "1.3.6.1.2.1.43.11.1.1"
COLORANT = "1.3.6.1.2.1.43.12.1.1"
ALERT = "1.3.6.1.2.1.43.18.1.1"


def text(value: str | bytes) -> tuple[str, str]:
    """(type, value) for an OCTET STRING: plain when printable ASCII, else hex
    (snmpsim strips each line, so edge spaces need hex too)."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if raw and all(0x20 <= b < 0x7F for b in raw) and raw == raw.strip():
        return "4", raw.decode("ascii")
    return "4x", raw.hex()


def integer(value: int) -> tuple[str, str]:
    return "2", str(value)


def oid(value: str) -> tuple[str, str]:
    return "6", value


def hp_split(head: str, tail: str) -> bytes:
    """HP's habit: the first part as text, a newline, the rest as hex pairs."""
    return head.encode() + b"\n" + b"".join(b"%02X " % b for b in tail.encode())


LONG_DESCRIPTION = ("Waste Toner Box " + "0123456789" * 1000)[:10_000]

# Supplies: index -> column -> value. Comments say what each row tests.
SUPPLIES: dict[int, dict[int, tuple[str, str]]] = {
    # Latin-1 bytes (ü = 0xFC): must decode as text, not show hex.
    1: {2: integer(1), 3: integer(1), 4: integer(3), 5: integer(3),
        6: text("Schwarz Tonerkartusche für Laserdrucker".encode("latin-1")),
        7: integer(19), 8: integer(100), 9: integer(40)},
    # UTF-8 with markup; level above max (120 of 100): remaining_pct clamps to 100.
    2: {2: integer(1), 3: integer(2), 4: integer(3), 5: integer(3),
        6: text("[red]Lab[/] Cyan Toner – Größe XL [/]"),
        7: integer(19), 8: integer(100), 9: integer(120)},
    # Shift-JIS "black toner"; a second black supply.
    3: {2: integer(1), 3: integer(1), 4: integer(3), 5: integer(3),
        6: text("ブラックトナー".encode("shift_jis")),
        7: integer(19), 8: integer(100), 9: integer(55)},
    # UTF-16 little endian with BOM; negative max -5 (not a defined state).
    4: {2: integer(1), 3: integer(3), 4: integer(3), 5: integer(3),
        6: text("Magenta Toner".encode("utf-16")),
        7: integer(19), 8: integer(-5), 9: integer(30)},
    # Trailing NULs; an OCTET STRING where the Integer level belongs.
    5: {2: integer(1), 3: integer(4), 4: integer(3), 5: integer(3),
        6: text(b"Yellow Toner\x00\x00\x00\x00"),
        7: integer(19), 8: integer(100), 9: text("50")},
    # HP-style split description; an OID where the level belongs.
    6: {2: integer(1), 3: integer(0), 4: integer(3), 5: integer(9),
        6: text(hp_split("Imaging Drum HP CF2", "19A")),
        7: integer(7), 8: integer(12000), 9: oid("1.3.6.1.4.1.11.2")},
    # 10,000 characters.
    7: {2: integer(1), 3: integer(0), 4: integer(4), 5: integer(4),
        6: text(LONG_DESCRIPTION), 7: integer(19), 8: integer(100), 9: integer(70)},
    # Screen clear and colour escapes, OSC 52 clipboard write; Type as a string.
    8: {2: integer(1), 3: integer(0), 4: integer(3), 5: text("fuser"),
        6: text(f"{CSI_CLEAR}{ESC}[31mFuser{ESC}[0m {OSC52_CLIPBOARD}[link=https://evil]x[/link]"),
        7: integer(7), 8: integer(100000), 9: integer(50000)},
    # An Integer where the description belongs.
    9: {2: integer(1), 3: integer(0), 4: integer(3), 5: integer(20),
        6: integer(42), 7: integer(7), 8: integer(100000), 9: integer(90000)},
    # JSON-breaking quotes and backslashes, C0 and C1 controls, a CSV formula.
    10: {2: integer(1), 3: integer(0), 4: integer(3), 5: integer(18),
         6: text(b'=HYPERLINK("http://evil","x") "quoted" \\ back\\slash \\u0000 {"a": 1}'
                 b" \x07\x08\x7f\x85\x9b31m"),
         7: integer(19), 8: integer(100), 9: integer(100)},
    # Invalid UTF-8, right-to-left override and zero-width characters.
    11: {2: integer(1), 3: integer(0), 4: integer(3), 5: integer(32),
         6: text(b"Staples \xc3\x28 \xa0\xa1 \xed\xa0\x80 \xf0\x28\x8c\xbc "
                 + "\u202eselpats\u202c\u200b\u200d\ufeff".encode("utf-8")),
         7: integer(18), 8: integer(5000), 9: integer(4000)},
}

COLORANTS = {1: "black", 2: "cyan", 3: "[magenta]magenta[/]", 4: f"yellow{ESC}[0m"}

TRAYS: dict[int, dict[int, tuple[str, str]]] = {
    1: {8: integer(8), 9: integer(500), 10: integer(9999), 11: integer(0),
        12: text("=cmd|' /C calc'!A0"), 13: text("[red]Tray[/] 1 [@click=app.quit]x[/]"),
        18: text(f"Tray 1\r\n{OSC8_LINK}\tinjected")},
    2: {8: integer(8), 9: text("500"), 10: integer(100), 11: integer(0),
        12: text("A4"), 13: text(CSV_FORMULA), 18: text(b"Tray 2\x00hidden")},
}

ALERTS: dict[int, dict[int, tuple[str, str]]] = {
    # Blinking ANSI text and a stray closing tag in a critical jam alert.
    1: {2: integer(3), 3: integer(3), 4: integer(13), 5: integer(1), 6: integer(-2),
        7: integer(8), 8: text(f"{ESC}[5mJam{ESC}[0m [/] in tray {OSC_TITLE}")},
    # Values outside the enumerations: severity 99, training 0, group -1, code 99999.
    2: {2: integer(99), 3: integer(0), 4: integer(-1), 5: integer(-1), 6: integer(-1),
        7: integer(99999), 8: text(b"Unknown\x00alert\x00")},
    # A description that is an Integer and a severity that is a string.
    3: {2: text("warning"), 3: integer(3), 4: integer(11), 5: integer(1), 6: integer(-2),
        7: integer(1104), 8: integer(7)},
}


def records() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = [
        (f"{SYS}.1.0", *text(f"[red]Lab[/] printer {CSI_CLEAR}{ESC}[31mPWNED{ESC}[0m "
                             "[link=https://evil]x[/link]")),
        (f"{SYS}.2.0", *oid("1.3.6.1.4.1.99999.666")),
        (f"{SYS}.3.0", "67", "4242"),
        (f"{SYS}.4.0", *text(f"{OSC52_CLIPBOARD}admin@example.com")),
        (f"{SYS}.5.0", *text(f"[@click=app.quit]x[/] {OSC_TITLE}[/]")),
        (f"{SYS}.6.0", *text(f"\u202eroolf dn2\u202c \u200bB1\u200d {OSC8_LINK}")),
        ("1.3.6.1.2.1.2.1.0", *integer(1)),
        ("1.3.6.1.2.1.2.2.1.2.1", *text("eth0 [bold]x[/bold]")),
        (f"{HR_DEV}.1.1", *integer(1)),
        (f"{HR_DEV}.2.1", *oid("1.3.6.1.2.1.25.3.1.5")),
        (f"{HR_DEV}.3.1", *text(CSV_FORMULA)),
        (f"{HR_DEV}.5.1", *integer(7)),                       # not a defined hrDeviceStatus
        (f"{HR_PRT}.1.1", *text("idle")),                     # a string where an Integer belongs
        (f"{HR_PRT}.2.1", "4x", "ffffff"),                    # 3 bytes: all flags, one byte too many
        (f"{GENERAL}.1.1", "65", "1"),
        (f"{GENERAL}.17.1", *text(b"SN\x1b[2J123\x00\x00\x00")),
        (f"{MARKER}.4.1.1", "70", "5000000000"),              # Counter64 where a Counter32 belongs
    ]
    for index, columns in TRAYS.items():
        out += [(f"{INPUT}.{col}.1.{index}", *value) for col, value in columns.items()]
    for index, columns in SUPPLIES.items():
        out += [(f"{SUPPLY}.{col}.1.{index}", *value) for col, value in columns.items()]
    for index, value in COLORANTS.items():
        out.append((f"{COLORANT}.4.1.{index}", *text(value)))
    for index, columns in ALERTS.items():
        out += [(f"{ALERT}.{col}.1.{index}", *value) for col, value in columns.items()]
    out.append(("1.3.6.1.4.1.99999.666.1.0", *text(f"{ESC}[?1049h alternate screen")))
    out.sort(key=lambda rec: tuple(int(arc) for arc in rec[0].split(".")))
    return out


def hostile_text() -> str:
    return "".join(f"{o}|{t}|{v}\n" for o, t, v in records())


def main() -> int:
    target = HERE / "hostile.snmprec"
    target.write_text(hostile_text(), encoding="ascii")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
