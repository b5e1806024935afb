"""The demo fleet: simulated office printers for ``tonertrack demo``.

Each entry of :data:`DEMO_PRINTERS` is one printer: a recording in this
package (``<key>.snmprec``, values that move over time through snmpsim's
numeric variation: toner falls, pages rise), the name and location it
reports, and the SNMP settings to poll it with. One entry is ``offline``: it
gets an address where nothing answers.

:class:`DemoFleet` serves them all from one snmpsim engine in one process,
each printer on its own loopback port. snmpsim picks the data by community
(v3: by context name), not by port, so each printer has its own community
("public" for the first): a separate engine per printer would let all answer
"public" but costs about 0.2 s of start-up each. The SNMPv3 printer's data is
served to the v3 user under the empty context name.

The recordings are written by ``python scripts/generate_demo.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from tonertrack_tui.demo.simulator import Agent, Recording, SimFleet, V3User, free_udp_ports

if TYPE_CHECKING:
    from tonertrack_tui.core.snmp.credentials import SnmpSettings

DEMO_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DemoPrinter:
    """One demo printer and how to poll it (field names as in SnmpSettings)."""

    key: str
    name: str
    location: str
    shows: str
    snmp_version: str = "2c"
    community: str = ""  # empty: the key
    v3_user: str = ""
    v3_auth_proto: str = "none"
    v3_auth_key: str = ""
    v3_priv_proto: str = "none"
    v3_priv_key: str = ""
    offline: bool = False

    def __post_init__(self) -> None:
        if not self.community and self.snmp_version != "3":
            object.__setattr__(self, "community", self.key)

    @property
    def recording(self) -> Path | None:
        return None if self.offline else DEMO_DIR / f"{self.key}.snmprec"

    def snmp_settings(self) -> SnmpSettings:
        """These settings as a core ``SnmpSettings``."""
        from tonertrack_tui.core.snmp.credentials import SnmpSettings

        return SnmpSettings(
            version=self.snmp_version,
            community=self.community,
            v3_user=self.v3_user,
            v3_auth_proto=self.v3_auth_proto,
            v3_auth_key=self.v3_auth_key,
            v3_priv_proto=self.v3_priv_proto,
            v3_priv_key=self.v3_priv_key,
        )


class _V3Settings(TypedDict):
    """The SNMPv3 fields of the v3-only demo printer (DemoPrinter keywords)."""

    snmp_version: str
    community: str
    v3_user: str
    v3_auth_proto: str
    v3_auth_key: str
    v3_priv_proto: str
    v3_priv_key: str


_V3 = _V3Settings(
    snmp_version="3", community="", v3_user="demo-v3",
    v3_auth_proto="SHA", v3_auth_key="demo-auth-key",
    v3_priv_proto="AES", v3_priv_key="demo-priv-key",
)

DEMO_PRINTERS: tuple[DemoPrinter, ...] = (
    DemoPrinter("hp-clj-b1-1f", "HP-CLJ-B1-1F", "B1 – 1st floor, open office",
                "healthy colour MFP, toner slowly falling", community="public"),
    DemoPrinter("kyocera-b1-2f", "KM-TASKALFA-B1-2F", "B1 – 2nd floor, copy room",
                "healthy colour MFP; waste box reports only 'some space left'"),
    DemoPrinter("ricoh-b2-reception", "RICOH-B2-RECEPTION", "B2 – Reception",
                "healthy, asleep: an energy-saver alert that is not a problem"),
    DemoPrinter("konica-b2-3f", "BIZHUB-B2-3F", "B2 – 3rd floor, projects",
                "waste toner box nearly full (and filling)"),
    DemoPrinter("brother-b1-accounts", "BRN-B1-ACCOUNTS", "B1 – 1st floor, accounts",
                "mono laser with low toner that runs out during the demo"),
    DemoPrinter("hp-m507-b2-warehouse", "HP-M507-WAREHOUSE", "B2 – Warehouse office",
                "paper jam: error state and a critical alert"),
    DemoPrinter("lexmark-b1-lab", "LXK-CX725-LAB", "B1 – Ground floor, lab",
                "front door open"),
    DemoPrinter("canon-b3-hr", "CANON-C3530-HR", "B3 – 2nd floor, HR",
                "active warnings: yellow toner low, drawer 2 empty"),
    DemoPrinter("hp-v3-finance", "HP-FINANCE-CLJ", "B2 – Finance (secure room)",
                "answers SNMPv3 only (authPriv SHA/AES)", **_V3),
    DemoPrinter("epson-b3-marketing", "EPSON-B3-MARKETING", "B3 – 1st floor, marketing",
                "inkjet: ink cartridges and a maintenance box"),
    DemoPrinter("xerox-b1-mailroom", "XRX-B1-MAILROOM", "B1 – Mail room",
                "busy: printing, pages rising fast"),
    DemoPrinter("sharp-b2-2f", "SHARP-B2-2F", "B2 – 2nd floor, sales",
                "healthy colour MFP with drums and developers"),
    DemoPrinter("kyocera-b3-gf", "KYO-P3145-B3-GF", "B3 – Ground floor, stores",
                "healthy mono laser with a maintenance kit; polled with SNMPv1",
                snmp_version="1"),
    DemoPrinter("hp-b3-3f-old", "HP-B3-3F-OLD", "B3 – 3rd floor, old LaserJet",
                "offline: nothing answers at its address", offline=True),
)


class DemoFleet:
    """The demo printers served on loopback; ``addresses[key]`` = "127.0.0.1:PORT".

    Use as a context manager or with ``start()``/``stop()``. Pass
    ``die_with_parent=True`` (Linux) when starting from the main thread so a
    killed TonerTrack takes the responder with it; from a worker thread it
    would die as soon as that thread ends.
    """

    def __init__(self, printers: tuple[DemoPrinter, ...] = DEMO_PRINTERS, **fleet_options: Any) -> None:
        self.printers = printers
        self.addresses: dict[str, str] = {}
        self._live = [p for p in printers if not p.offline]
        if sum(p.snmp_version == "3" for p in self._live) > 1:
            raise ValueError("one engine has one empty v3 context: at most one v3 demo printer")
        users = {u.name: u for p in self._live for u in _v3_users(p)}
        agent = Agent([_recording(p) for p in self._live], endpoints=len(self._live),
                      v3_users=list(users.values()), name="demo")
        self.fleet = SimFleet(agents=[agent], **fleet_options)

    def __enter__(self) -> DemoFleet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> DemoFleet:
        self.fleet.start()
        for index, printer in enumerate(self._live):
            self.addresses[printer.key] = self.fleet.address(index)
        dead = [p for p in self.printers if p.offline]
        # A port nobody listens on: the poller sees a silent host.
        for printer, (host, port) in zip(dead, free_udp_ports(["127.0.0.1"] * len(dead)), strict=False):
            self.addresses[printer.key] = f"{host}:{port}"
        return self

    def stop(self) -> None:
        self.fleet.stop()

    def entries(self) -> list[tuple[DemoPrinter, str]]:
        """Every demo printer with its address, offline one included."""
        return [(p, self.addresses[p.key]) for p in self.printers]


def _recording(printer: DemoPrinter) -> Recording:
    assert printer.recording is not None
    text = printer.recording.read_bytes()
    # A v3 request with an empty context name reads snmpsim's "self" file.
    return Recording("" if printer.snmp_version == "3" else printer.community, text)


def _v3_users(printer: DemoPrinter) -> list[V3User]:
    if printer.snmp_version != "3":
        return []
    return [V3User(printer.v3_user, printer.v3_auth_key or None, printer.v3_auth_proto,
                   printer.v3_priv_key or None, printer.v3_priv_proto)]
