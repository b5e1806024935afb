"""Write the demo recordings: ``python scripts/generate_demo.py`` (a developer tool, not installed).

Each printer below is a compact description; :func:`render` turns it into a
sorted ``.snmprec`` with the system group, interfaces, Host Resources and
Printer-MIB tables and a vendor OID or two. Values with a ``rate`` move while
the demo runs (snmpsim numeric variation: ``initial + rate x seconds since the
responder started``): sysUpTime ticks, page counters climb, toner falls and
waste boxes fill. Serials, addresses and counts are invented.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from tonertrack_tui.demo import DEMO_DIR, DEMO_PRINTERS, DemoPrinter
from tonertrack_tui.demo.simulator import numeric_record, oid_sort_key

COLORANT_INDEX = {"black": 1, "cyan": 2, "magenta": 3, "yellow": 4}
# Supply types and classes (RFC 3805 / IANA-PRINTER-MIB).
TONER, WASTE_TONER, INK_CARTRIDGE, WASTE_INK, OPC, DEVELOPER, FUSER, TRANSFER = 3, 4, 6, 8, 9, 10, 15, 20
TONER_CARTRIDGE, OTHER = 21, 1
CONSUMED, RECEPTACLE = 3, 4
PERCENT, IMPRESSIONS, TENTHS_OF_GRAMS = 19, 7, 13


@dataclass
class Supply:
    index: int
    description: str
    type: int
    max: int
    level: int
    color: str | None = None
    unit: int = PERCENT
    cls: int = CONSUMED
    rate: float = 0.0  # units per second; consumption is negative


@dataclass
class Tray:
    index: int
    name: str
    max: int
    level: int
    media: str = "A4"
    type: int = 3  # sheetFeedAutoRemovableTray; 5 = manual
    status: int = 0


@dataclass
class Alert:
    index: int
    severity: int  # other 1, critical 3, warning 4, warningBinaryChangeEvent 5
    group: int     # e.g. cover 6, input 8, mediaPath 13, markerSupplies 11, generalPrinter 5
    group_index: int
    code: int
    description: str
    training: int = 3
    time: int = 0


@dataclass
class Printer:
    key: str
    descr: str
    object_id: str
    model: str
    serial: str
    pages: int
    page_rate: float
    supplies: list[Supply]
    trays: list[Tray]
    alerts: list[Alert] = field(default_factory=list)
    error_state: str = "0000"
    device_status: int = 2   # running
    printer_status: int = 3  # idle
    uptime_days: float = 12.5
    contact: str = "IT Service Desk <servicedesk@example.com>"
    ip: str = "10.0.0.10"
    mac: str = "00000000aa01"
    covers: list[tuple[str, int]] = field(default_factory=list)  # (name, 3 open / 4 closed)
    display: str = "Ready"
    vendor: list[tuple[str, str, str]] = field(default_factory=list)
    # HP-LASERJET-COMMON-MIB total-engine/mono/color page counts: the colour pages (fixed);
    # mono climbs with the total, so mono + colour = total at every moment
    hp_color_pages: int | None = None


def cmyk(indexes: tuple[int, int, int, int], description: str, levels: tuple[int, int, int, int],
         type_: int = TONER, rate: float = -0.0005, unit: int = PERCENT, max_: int = 100) -> list[Supply]:
    """Four process colours; ``description`` has a ``{c}``/``{C}``/``{k}`` slot."""
    out = []
    for index, colour, level in zip(indexes, ("black", "cyan", "magenta", "yellow"), levels, strict=False):
        text = description.format(c=colour, C=colour.capitalize(), k=colour[0].upper())
        out.append(Supply(index, text, type_, max_, level, colour, unit, rate=rate))
    return out


PRINTERS: list[Printer] = [
    Printer(
        "hp-clj-b1-1f",
        "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24300031,CIDATE 06/02/2024",
        "1.3.6.1.4.1.11.2.3.9.1", "HP Color LaserJet MFP M480f", "CNB1R2Q0F7", 45210, 0.08,
        cmyk((1, 2, 3, 4), "{C} Cartridge HP 657X", (78, 64, 71, 59), TONER_CARTRIDGE)
        + [Supply(5, "Toner Collection Unit HP 3WT90A", WASTE_TONER, 100, 82, cls=RECEPTACLE, rate=-0.0004)],
        [Tray(1, "Tray 1", 100, -3, type=5), Tray(2, "Tray 2", 550, 410), Tray(3, "Tray 3", 550, 300)],
        ip="10.1.1.21", mac="a0481c3f0001",
        vendor=[("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0", "4", "CNB1R2Q0F7")], hp_color_pages=15210,
    ),
    Printer(
        "kyocera-b1-2f", "KYOCERA Document Solutions Printing System",
        "1.3.6.1.4.1.1347.41", "TASKalfa 2554ci", "W8P2300417", 128904, 0.05,
        cmyk((1, 2, 3, 4), "TK-8375{k}", (66, 48, 52, 73))
        + [Supply(5, "Waste Toner Box", WASTE_TONER, 100, -3, cls=RECEPTACLE)],
        [Tray(1, "MP tray", 100, 0, type=5), Tray(2, "Cassette 1", 500, 250),
         Tray(3, "Cassette 2", 500, 500, media="A3")],
        ip="10.1.2.22", mac="002507a10002",
        vendor=[("1.3.6.1.4.1.1347.40.10.1.1.5.1", "4", "W8P2300417")],
    ),
    Printer(
        "ricoh-b2-reception",
        "RICOH IM C3000 1.02 / RICOH Network Printer C model / RICOH Network Scanner C model",
        "1.3.6.1.4.1.367.1.1", "RICOH IM C3000", "3100R911873", 98331, 0.02,
        cmyk((1, 2, 3, 4), "{C} Toner", (55, 81, 77, 69))
        + [Supply(10, "Waste Toner Bottle", WASTE_TONER, 100, 70, cls=RECEPTACLE, rate=-0.0002)],
        [Tray(1, "Tray 1", 500, 380), Tray(2, "Tray 2", 500, 500), Tray(3, "Bypass Tray", 100, -3, type=5)],
        alerts=[Alert(2, 1, 5, 1, 23, "Energy Saver Mode", training=7)],
        ip="10.2.0.5", mac="002673b20003",
        vendor=[("1.3.6.1.4.1.367.3.2.1.1.1.1.0", "4", "IM C3000")],
    ),
    Printer(
        "konica-b2-3f", "KONICA MINOLTA bizhub C300i",
        "1.3.6.1.4.1.18334.1.1.1.2.1.146", "KONICA MINOLTA bizhub C300i", "AA2K021022917", 233410, 0.06,
        cmyk((1, 2, 3, 4), "Toner ({C})", (44, 61, 58, 39))
        + cmyk((5, 6, 7, 8), "Drum Unit ({C})", (62, 70, 71, 55), OPC, rate=0.0)
        + [Supply(9, "Waste Toner Box", WASTE_TONER, 100, 5, cls=RECEPTACLE, rate=-0.002)],
        [Tray(1, "Tray1", 500, 320), Tray(2, "Tray2", 500, 150), Tray(3, "Bypass Tray", 150, -3, type=5)],
        alerts=[Alert(4, 4, 11, 9, 1107, "Waste toner box almost full", training=3)],
        device_status=3, ip="10.2.3.31", mac="0020b5c40004",
    ),
    Printer(
        "brother-b1-accounts", "Brother NC-9300h, Firmware Ver.1.04  (24.02.19),MID 8CE-K12,FID 2",
        "1.3.6.1.4.1.2435.2.3.9.1", "Brother HL-L6210DW series", "E79123M4N801245", 61877, 0.04,
        [Supply(1, "Black Toner Cartridge", TONER, 100, 14, "black", rate=-0.01),
         Supply(2, "Drum Unit", OPC, 75000, 51200, unit=IMPRESSIONS, rate=-0.04)],
        [Tray(1, "Tray1", 520, -3), Tray(2, "MP Tray", 100, 0, type=5)],
        alerts=[Alert(1, 4, 11, 1, 1104, "Toner Low")],
        error_state="20", device_status=3, ip="10.1.1.40", mac="3c2af4d50005",
    ),
    Printer(
        "hp-m507-b2-warehouse",
        "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23900012,CIDATE 11/20/2023",
        "1.3.6.1.4.1.11.2.3.9.1", "HP LaserJet Enterprise M507", "PHCBB71204", 301877, 0.0,
        [Supply(1, "Black Cartridge HP 89X", TONER_CARTRIDGE, 100, 67, "black")],
        [Tray(1, "Tray 1", 100, 0, type=5), Tray(2, "Tray 2", 550, 320)],
        alerts=[Alert(1, 3, 13, 1, 8, "13.A2.D2 Paper jam in tray 2 area", training=3)],
        error_state="0400", device_status=5, printer_status=1,
        ip="10.2.9.12", mac="a0481c3f0006", display="Jam in Tray 2",
    ),
    Printer(
        "lexmark-b1-lab", "Lexmark CX725 version CXTPP.230.037 kernel 4.11.12-yocto-standard All-N-1",
        "1.3.6.1.4.1.641.2.1.2.1.285", "Lexmark CX725", "50417PHH2201B", 87012, 0.0,
        cmyk((1, 2, 3, 4), "{C} Cartridge", (51, 42, 47, 66))
        + [Supply(5, "Black Imaging Unit", OPC, 125000, 90400, "black", IMPRESSIONS),
           Supply(6, "Color Imaging Kit", OPC, 90000, 71000, unit=IMPRESSIONS),
           Supply(7, "Waste Toner Bottle", WASTE_TONER, 100, 60, cls=RECEPTACLE),
           Supply(8, "Fuser", FUSER, 150000, 118000, unit=IMPRESSIONS),
           Supply(9, "Transfer Module", TRANSFER, 150000, 121000, unit=IMPRESSIONS)],
        [Tray(1, "Tray 1", 250, 180), Tray(2, "MP Feeder", 100, -3, type=5)],
        alerts=[Alert(1, 3, 6, 1, 3, "Close front door", training=3)],
        error_state="0800", device_status=5, printer_status=1,
        covers=[("Front Door", 3), ("Rear Door", 4)],
        ip="10.1.0.50", mac="00215ae70007", display="Close front door",
    ),
    Printer(
        "canon-b3-hr", "Canon iR-ADV C3530 /P", "1.3.6.1.4.1.1602.4.7", "Canon iR-ADV C3530",
        "2YQ04277", 154420, 0.03,
        cmyk((1, 2, 3, 4), "Canon C-EXV 49 {C} Toner", (57, 63, 48, 16), rate=-0.0008),
        [Tray(1, "Drawer 1", 550, 300), Tray(2, "Drawer 2", 550, 0, status=9),
         Tray(3, "Multi-purpose Tray", 100, -3, type=5)],
        alerts=[Alert(1, 4, 11, 4, 1104, "Yellow toner is low"),
                Alert(3, 4, 8, 2, 808, "Load paper into Drawer 2")],
        error_state="2004", device_status=3, ip="10.3.2.14", mac="00001a180008",
    ),
    Printer(
        "hp-v3-finance",
        "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24110020,CIDATE 03/14/2024",
        "1.3.6.1.4.1.11.2.3.9.1", "HP Color LaserJet Pro M454dw", "VNB8K20417", 23517, 0.01,
        cmyk((1, 2, 3, 4), "{C} Cartridge HP 415X", (80, 60, 50, 40), TONER_CARTRIDGE),
        [Tray(1, "Tray 1", 50, -3, type=5), Tray(2, "Tray 2", 250, 200)],
        contact="security@example.com", ip="10.2.5.5", mac="a0481c3f0009", hp_color_pages=7517,
    ),
    Printer(
        "epson-b3-marketing", "EPSON Built-in 11b/g/n Print Server", "1.3.6.1.4.1.1248.1.1.3.1.3.8",
        "EPSON WF-C579R Series", "X3B7011456", 18244, 0.02,
        cmyk((1, 2, 3, 4), "{C} Ink Bag T01D{k}", (72, 58, 64, 69), INK_CARTRIDGE, rate=-0.0004)
        + [Supply(5, "Maintenance Box C579", WASTE_INK, 100, 64, cls=RECEPTACLE, rate=-0.0002)],
        [Tray(1, "Paper Cassette 1", 250, 120), Tray(2, "Rear Paper Feed", 50, -3, type=5)],
        ip="10.3.1.60", mac="64eb8c2a000a",
    ),
    Printer(
        "xerox-b1-mailroom", "Xerox VersaLink C405 MFP; System 70.42.81, Controller 1.70.52",
        "1.3.6.1.4.1.253.8.62.1.37.1.4.1", "Xerox VersaLink C405", "3390241876", 412950, 0.3,
        cmyk((1, 2, 3, 4), "{C} Toner Cartridge", (35, 71, 66, 58), rate=-0.002)
        + [Supply(5, "Drum Cartridge", OPC, 48000, 30100, unit=IMPRESSIONS, rate=-0.3),
           Supply(6, "Waste Cartridge", WASTE_TONER, 100, 55, cls=RECEPTACLE, rate=-0.001)],
        [Tray(1, "Bypass Tray", 150, -3, type=5), Tray(2, "Tray 1", 550, 430)],
        printer_status=4, ip="10.1.0.8", mac="9c934e22000b", display="Printing...",
    ),
    Printer(
        "sharp-b2-2f", "SHARP MX-3071", "1.3.6.1.4.1.2385.3.1.118", "SHARP MX-3071", "05069831",
        176500, 0.04,
        cmyk((1, 2, 3, 4), "Toner ({k})", (68, 74, 70, 77))
        + cmyk((5, 6, 7, 8), "Developer ({k})", (81, 85, 83, 86), DEVELOPER, rate=0.0)
        + cmyk((9, 10, 11, 12), "Drum ({k})", (64, 72, 71, 75), OPC, rate=0.0)
        + [Supply(13, "Toner Collection Container", WASTE_TONER, 100, 58, cls=RECEPTACLE)],
        [Tray(1, "Tray 1", 500, 460), Tray(2, "Tray 2", 500, 500), Tray(3, "Bypass Tray", 100, -3, type=5)],
        ip="10.2.2.17", mac="00221ac1000c",
    ),
    Printer(
        "kyocera-b3-gf", "KYOCERA Document Solutions Printing System", "1.3.6.1.4.1.1347.41",
        "ECOSYS P3145dn", "VCF1Z04519", 52044, 0.02,
        [Supply(1, "TK-3160", TONER, 100, 55, "black", rate=-0.0005),
         Supply(2, "Maintenance Kit MK-3150", OTHER, 300000, 241000, unit=IMPRESSIONS, cls=3)],
        [Tray(1, "MP tray", 100, 0, type=5), Tray(2, "Cassette 1", 500, 310)],
        ip="10.3.0.9", mac="002507a1000d",
    ),
]


def render(printer: Printer, meta: DemoPrinter) -> str:
    records: list[str] = []

    def add(oid: str, tag: str | int, value: object) -> None:
        records.append(f"{oid}|{tag}|{value}")

    def moving(oid: str, tag: int, value: int, rate: float,
               lowest: int = 0, highest: int | None = None) -> None:
        if rate == 0:
            add(oid, tag, value)
        else:
            # Integer values truncate: start just under value + 1 when falling.
            start = value + 0.9 if rate < 0 else value
            records.append(numeric_record(oid, tag, start, rate, minimum=lowest, maximum=highest))

    uptime = int(printer.uptime_days * 8_640_000)
    sys_ = "1.3.6.1.2.1.1"
    add(f"{sys_}.1.0", 4, printer.descr)
    add(f"{sys_}.2.0", 6, printer.object_id)
    moving(f"{sys_}.3.0", 67, uptime, 100)
    add(f"{sys_}.4.0", 4, printer.contact)
    add(f"{sys_}.5.0", 4, meta.name)
    add(f"{sys_}.6.0", 4, meta.location)
    add(f"{sys_}.7.0", 2, 72)
    add("1.3.6.1.2.1.2.1.0", 2, 1)
    for column, tag, value in ((1, 2, 1), (2, 4, "Ethernet"), (3, 2, 6), (5, 66, 1_000_000_000),
                               (6, "4x", printer.mac), (8, 2, 1)):
        add(f"1.3.6.1.2.1.2.2.1.{column}.1", tag, value)
    add(f"1.3.6.1.2.1.4.20.1.1.{printer.ip}", 64, printer.ip)
    moving("1.3.6.1.2.1.25.1.1.0", 67, uptime - 180, 100)
    hr = "1.3.6.1.2.1.25.3.2.1"
    add(f"{hr}.1.1", 2, 1)
    add(f"{hr}.2.1", 6, "1.3.6.1.2.1.25.3.1.5")
    add(f"{hr}.3.1", 4, printer.model)
    add(f"{hr}.4.1", 6, "0.0")
    add(f"{hr}.5.1", 2, printer.device_status)
    add(f"{hr}.6.1", 65, 0)
    add("1.3.6.1.2.1.25.3.5.1.1.1", 2, printer.printer_status)
    add("1.3.6.1.2.1.25.3.5.1.2.1", "4x", printer.error_state)
    general = "1.3.6.1.2.1.43.5.1.1"
    add(f"{general}.1.1", 65, 4)
    add(f"{general}.16.1", 4, printer.model)
    add(f"{general}.17.1", 4, printer.serial)
    for number, (name, status) in enumerate(printer.covers, 1):
        add(f"1.3.6.1.2.1.43.6.1.1.2.1.{number}", 4, name)
        add(f"1.3.6.1.2.1.43.6.1.1.3.1.{number}", 2, status)
    inp = "1.3.6.1.2.1.43.8.2.1"
    for tray in printer.trays:
        i = tray.index
        add(f"{inp}.2.1.{i}", 2, tray.type)
        add(f"{inp}.8.1.{i}", 2, 8)
        add(f"{inp}.9.1.{i}", 2, tray.max)
        add(f"{inp}.10.1.{i}", 2, tray.level)
        add(f"{inp}.11.1.{i}", 2, tray.status)
        add(f"{inp}.12.1.{i}", 4, tray.media)
        add(f"{inp}.13.1.{i}", 4, tray.name)
    marker = "1.3.6.1.2.1.43.10.2.1"
    add(f"{marker}.2.1.1", 2, 6 if any(s.type == INK_CARTRIDGE for s in printer.supplies) else 4)
    add(f"{marker}.3.1.1", 2, 7)
    moving(f"{marker}.4.1.1", 65, printer.pages, printer.page_rate)
    colours = [c for c in COLORANT_INDEX if any(s.color == c for s in printer.supplies)]
    add(f"{marker}.6.1.1", 2, len(colours))
    sup = "1.3.6.1.2.1.43.11.1.1"
    for s in printer.supplies:
        i = s.index
        add(f"{sup}.2.1.{i}", 2, 1)
        add(f"{sup}.3.1.{i}", 2, COLORANT_INDEX.get(s.color or "", 0))
        add(f"{sup}.4.1.{i}", 2, s.cls)
        add(f"{sup}.5.1.{i}", 2, s.type)
        add(f"{sup}.6.1.{i}", 4, s.description)
        add(f"{sup}.7.1.{i}", 2, s.unit)
        add(f"{sup}.8.1.{i}", 2, s.max)
        if s.level >= 0:
            moving(f"{sup}.9.1.{i}", 2, s.level, s.rate, 0, s.max)
        else:
            add(f"{sup}.9.1.{i}", 2, s.level)
    col = "1.3.6.1.2.1.43.12.1.1"
    for colour in colours:
        i = COLORANT_INDEX[colour]
        add(f"{col}.2.1.{i}", 2, 1)
        add(f"{col}.3.1.{i}", 2, 3)
        add(f"{col}.4.1.{i}", 4, colour)
    add("1.3.6.1.2.1.43.16.5.1.2.1.1", 4, printer.display)
    alert = "1.3.6.1.2.1.43.18.1.1"
    for a in printer.alerts:
        i = a.index
        for column, value in ((2, a.severity), (3, a.training), (4, a.group), (5, a.group_index),
                              (6, -2), (7, a.code)):
            add(f"{alert}.{column}.1.{i}", 2, value)
        add(f"{alert}.8.1.{i}", 4, a.description)
        add(f"{alert}.9.1.{i}", 67, max(0, uptime - 360_000))
    for oid, tag, value in printer.vendor:
        add(oid, tag, value)
    if printer.hp_color_pages is not None:
        hp_pages = "1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2"
        moving(f"{hp_pages}.5.0", 65, printer.pages, printer.page_rate)
        moving(f"{hp_pages}.6.0", 65, printer.pages - printer.hp_color_pages, printer.page_rate)
        add(f"{hp_pages}.7.0", 65, printer.hp_color_pages)
    records.sort(key=lambda line: oid_sort_key(line.split("|", 1)[0]))
    return "\n".join(records) + "\n"


def recordings() -> dict[str, str]:
    """File name -> text, for every live demo printer."""
    meta = {p.key: p for p in DEMO_PRINTERS}
    return {f"{p.key}.snmprec": render(p, meta[p.key]) for p in PRINTERS}


def main() -> int:
    for name, text in recordings().items():
        (DEMO_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {DEMO_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
