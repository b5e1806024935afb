"""The simulated printers behave like the agents the poller will meet."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import time

import pytest
import pytest_asyncio
from conftest import BIG_TABLE_ROWS, DATA_DIR, RECORDINGS, V3_USERS
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmAesCfb256Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from simtools import recording_problems

from tonertrack_tui.demo.simulator import (
    Agent,
    Recording,
    SimFleet,
    SimFleetError,
    V3User,
    encode_get_request,
    free_udp_ports,
    numeric_record,
    probe,
    probe_many,
)

ROOT = DATA_DIR.parent.parent

# One event loop and one SNMP engine for the module: a new engine costs ~0.4 s.
module_loop = pytest.mark.asyncio(loop_scope="module")

SYS_NAME = "1.3.6.1.2.1.1.5.0"
SUPPLIES = "1.3.6.1.2.1.43.11.1.1"

_AUTH = {"SHA": usmHMACSHAAuthProtocol, "SHA256": usmHMAC192SHA256AuthProtocol,
         "SHA512": usmHMAC384SHA512AuthProtocol}
_PRIV = {"AES": usmAesCfb128Protocol, "AES256": usmAesCfb256Protocol,
         "AES256BLMT": usmAesBlumenthalCfb256Protocol}


def recorded(name: str, oid: str) -> str:
    """The value a recording holds for ``oid`` (plain text records only)."""
    for line in (DATA_DIR / f"{name}.snmprec").read_text(encoding="latin-1").splitlines():
        record_oid, _, value = line.split("|", 2)
        if record_oid == oid:
            return value
    raise KeyError(oid)


def usm(user: V3User) -> UsmUserData:
    kwargs = {}
    if user.auth_key:
        kwargs["authProtocol"] = _AUTH[user.auth_proto]
    if user.priv_key:
        kwargs["privProtocol"] = _PRIV[user.priv_proto]
    return UsmUserData(user.name, user.auth_key, user.priv_key, **kwargs)


_engine: SnmpEngine | None = None


@pytest_asyncio.fixture(scope="module", loop_scope="module", autouse=True)
async def snmp_engine():
    global _engine
    _engine = SnmpEngine()
    yield _engine
    _engine.close_dispatcher()
    _engine = None


async def snmp_get(endpoint, auth, *oids, context=b"", timeout=2.0, retries=1):
    # Generous: other work may load this machine; negative tests pass their own.
    target = await UdpTransportTarget.create(endpoint, timeout=timeout, retries=retries)
    error, status, _, varbinds = await get_cmd(
        _engine, auth, target, ContextData(contextName=context),
        *[ObjectType(ObjectIdentity(oid)) for oid in oids], lookupMib=False,
    )
    return error, int(status), [(str(name), value) for name, value in varbinds]


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_committed_recordings_are_well_formed(path):
    assert recording_problems(path.read_text(encoding="latin-1")) == []


def test_hostile_recording_is_what_its_generator_writes():
    spec = importlib.util.spec_from_file_location("make_recordings", DATA_DIR / "make_recordings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (DATA_DIR / "hostile.snmprec").read_text(encoding="ascii") == module.hostile_text()


def test_recording_problems_catches_disorder_and_bad_values():
    text = "1.3.6.1.2.1.1.5.0|4|b\n1.3.6.1.2.1.1.10.0|2|x\n1.3.6.1.2.1.1.9.0|4x|zz\n"
    assert recording_problems(text) == [
        "line 2: 'x' is not an integer",
        "line 3: bad hex value",
        "line 3: 1.3.6.1.2.1.1.9.0 is not after the previous OID",
    ]


def test_get_request_encoding_is_minimal_ber():
    packet = encode_get_request("public", "1.3.6.1.2.1.1.3.0", 7)
    assert packet.hex() == (
        "3026" "020101" "0406" + b"public".hex()
        + "a019" "020107" "020100" "020100" "300e" "300c" "0608" "2b06010201010300" "0500"
    )


def test_fleet_answers_every_endpoint(sim_fleet):
    assert len(sim_fleet.endpoints) == 4
    assert len({port for _, port in sim_fleet.endpoints}) == 4
    assert sim_fleet.address(2) == f"127.0.0.1:{sim_fleet.endpoints[2][1]}"
    for host, port in sim_fleet.endpoints:
        assert probe(host, port, "colour_mfp", timeout=5)  # generous: snmpsim on a loaded machine
    dead = free_udp_ports(["127.0.0.1"])
    assert probe_many(sim_fleet.endpoints + dead, "mono_laser", timeout=3) == set(dead)
    # An unknown community gets no answer at all, like a real agent.
    assert not probe(*sim_fleet.endpoints[0], "no-such-community", timeout=0.3)


@module_loop
@pytest.mark.parametrize("name", ["colour_mfp", "mono_laser", "inkjet", "non_printer", "v3_printer"])
async def test_get_sysname_returns_the_recorded_value(sim_fleet, name):
    error, status, varbinds = await snmp_get(sim_fleet.endpoints[1], CommunityData(name), SYS_NAME)
    assert (error, status) == (None, 0)
    assert varbinds == [(SYS_NAME, varbinds[0][1])]
    assert bytes(varbinds[0][1]) == recorded(name, SYS_NAME).encode("latin-1")


@module_loop
async def test_hostile_bytes_arrive_unchanged(sim_fleet):
    description = f"{SUPPLIES}.6.1.7"  # the 10,000-character one
    serial = "1.3.6.1.2.1.43.5.1.1.17.1"
    error, status, varbinds = await snmp_get(
        sim_fleet.endpoints[0], CommunityData("hostile"), description, serial)
    assert (error, status) == (None, 0)
    assert len(bytes(varbinds[0][1])) == 10_000
    assert bytes(varbinds[1][1]) == b"SN\x1b[2J123\x00\x00\x00"


@module_loop
async def test_getbulk_reply_is_truncated_to_64_varbinds(sim_fleet):
    target = await UdpTransportTarget.create(sim_fleet.endpoints[0], timeout=2, retries=1)
    columns = [ObjectType(ObjectIdentity(f"{SUPPLIES}.{c}")) for c in range(3, 10)]
    error, status, _, varbinds = await bulk_cmd(
        _engine, CommunityData("big_table"), target, ContextData(), 0, 20, *columns,
        lookupMib=False)
    # 7 columns x 20 rows asked; snmpsim answers 7 x floor(64 / 7) = 63, no tooBig.
    assert (error, int(status)) == (None, 0)
    assert len(varbinds) == 63
    assert str(varbinds[-1][0]) == f"{SUPPLIES}.9.1.9"


@module_loop
async def test_big_table_has_all_rows(sim_fleet):
    last = f"{SUPPLIES}.9.1.{BIG_TABLE_ROWS}"
    error, status, varbinds = await snmp_get(sim_fleet.endpoints[3], CommunityData("big_table"), last)
    assert (error, status) == (None, 0)
    assert int(varbinds[0][1]) == BIG_TABLE_ROWS % 101


@module_loop
async def test_numeric_variation_moves_with_time(sim_fleet):
    pages, level = "1.3.6.1.2.1.43.10.2.1.4.1.1", f"{SUPPLIES}.9.1.1"
    began = time.monotonic()
    _, _, first = await snmp_get(sim_fleet.endpoints[0], CommunityData("moving"), pages, level)
    await asyncio.sleep(0.5)
    _, _, second = await snmp_get(sim_fleet.endpoints[0], CommunityData("moving"), pages, level)
    elapsed = time.monotonic() - began
    grown = int(second[0][1]) - int(first[0][1])
    assert 100 * 0.5 - 1 <= grown <= 100 * elapsed + 1  # 100 pages per second
    assert int(first[1][1]) == int(second[1][1]) == 3  # fell fast, held at min=3


def test_numeric_record_syntax():
    assert numeric_record("1.3.6.1.2.1.43.11.1.1.9.1.1", 2, 80, -0.01, minimum=3, maximum=100) == (
        "1.3.6.1.2.1.43.11.1.1.9.1.1|2:numeric|initial=80,rate=-0.01,min=3,max=100")
    with pytest.raises(ValueError):
        numeric_record("1.3.6.1.2.1.1.5.0", 4, 1, 1)


@module_loop
@pytest.mark.parametrize("kind", list(V3_USERS))
async def test_v3_users_get_the_v3_printer(sim_v3, kind):
    expected = recorded("v3_printer", SYS_NAME).encode()
    for context in (b"", b"v3_printer"):
        error, status, varbinds = await snmp_get(
            sim_v3.endpoints[1], usm(V3_USERS[kind]), SYS_NAME, context=context)
        assert (error, status) == (None, 0)
        assert bytes(varbinds[0][1]) == expected


@module_loop
async def test_v3_wrong_key_is_refused(sim_v3):
    good = V3_USERS["authPriv"]
    wrong = UsmUserData(good.name, "not-the-key", good.priv_key,
                        authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol)
    error, _, varbinds = await snmp_get(sim_v3.endpoints[0], wrong, SYS_NAME)
    assert error is not None and "digest" in str(error).lower()
    assert varbinds == []


@module_loop
async def test_v3_unknown_context_gets_no_answer(sim_v3):
    error, _, varbinds = await snmp_get(
        sim_v3.endpoints[0], usm(V3_USERS["authPriv"]), SYS_NAME,
        context=b"colour_mfp", timeout=0.3, retries=0)
    assert error is not None and "timeout" in str(error).lower()
    assert varbinds == []


@module_loop
async def test_agents_share_a_community_on_separate_ports_and_stop_frees_them():
    first = "1.3.6.1.2.1.1.5.0|4|printer-one\n"
    second = "1.3.6.1.2.1.1.5.0|4|printer-two\n"
    fleet = SimFleet(
        agents=[Agent([Recording("public", first)]), Agent([Recording("public", second)], endpoints=2)],
        processes=2,
    )
    with fleet:
        assert len(fleet.pids) == 2 and fleet.running
        names = []
        for endpoint in fleet.endpoints:
            error, status, varbinds = await snmp_get(endpoint, CommunityData("public"), SYS_NAME)
            assert (error, status) == (None, 0)
            names.append(bytes(varbinds[0][1]))
        assert names == [b"printer-one", b"printer-two", b"printer-two"]
        assert fleet.agent_address(1, 1) == fleet.address(2)
        endpoints, workdir = list(fleet.endpoints), fleet.data_dir.parent
    assert not fleet.running and not workdir.exists()
    for host, port in endpoints:
        assert not probe(host, port, "public", timeout=0.2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, port))  # the port is free again


@module_loop
async def test_a_dead_port_does_not_answer():
    [(host, port)] = free_udp_ports(["127.0.0.1"])
    began = time.monotonic()
    assert not probe(host, port, "public", timeout=0.5)
    error, _, varbinds = await snmp_get(
        (host, port), CommunityData("public"), SYS_NAME, timeout=0.5, retries=0)
    assert error is not None and varbinds == []
    assert time.monotonic() - began < 30  # gives up by itself (1 s of timeouts): a hang guard, no speed test


def test_other_loopback_addresses_and_errors():
    with SimFleet([Recording("public", "1.3.6.1.2.1.1.3.0|67|1\n")], endpoints=2,
                  host=["127.0.0.2", "127.0.0.3"]) as fleet:
        assert [host for host, _ in fleet.endpoints] == ["127.0.0.2", "127.0.0.3"]
        assert all(probe(host, port, timeout=5) for host, port in fleet.endpoints)
    broken = SimFleet([Recording("public", "1.3.6.1.2.1.1.3.0|67|1\n")],
                      extra_args=["--no-such-option"], startup_timeout=60)
    with pytest.raises(SimFleetError, match="no-such-option"):
        broken.start()
    assert not broken.running
    # snmpsim only logs a failed bind; the fleet must notice the port is taken.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        taken = SimFleet([Recording("public", "1.3.6.1.2.1.1.3.0|67|1\n")], endpoints=2,
                         host=["127.0.0.4", "127.0.0.1"], port=squatter.getsockname()[1],
                         startup_timeout=60)
        with pytest.raises(SimFleetError, match="already in use"):
            taken.start()


def test_bad_configurations_are_refused_early():
    with pytest.raises(ValueError, match="reserved"):
        Agent([Recording("index", "")])
    with pytest.raises(ValueError, match="8 characters"):
        V3User("u", "short").args()
    with pytest.raises(ValueError, match="privacy needs"):
        V3User("u", None, "SHA", "priv-key-123").args()
    with pytest.raises(ValueError, match="'='"):
        V3User("u", "has=equals1").args()


# -- the demo fleet ---------------------------------------------------------------


def test_demo_recordings_are_what_the_generator_writes():
    from tonertrack_tui.demo import DEMO_DIR, DEMO_PRINTERS

    spec = importlib.util.spec_from_file_location("generate_demo", ROOT / "scripts" / "generate_demo.py")
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up there
    spec.loader.exec_module(generate)
    recordings = generate.recordings

    written = recordings()
    live = [p for p in DEMO_PRINTERS if not p.offline]
    assert len(live) >= 12 and sum(p.offline for p in DEMO_PRINTERS) == 1
    assert sorted(written) == sorted(f"{p.key}.snmprec" for p in live)
    for name, text in written.items():
        stale = f"{name} is stale: run python scripts/generate_demo.py"
        assert (DEMO_DIR / name).read_text(encoding="utf-8") == text, stale
        assert recording_problems(text) == [], name
    for printer in DEMO_PRINTERS:
        printer.snmp_settings().validated()


@module_loop
async def test_demo_fleet_answers_as_described():
    from tonertrack_tui.demo import DemoFleet

    with DemoFleet() as demo:
        for printer, address in demo.entries():
            host, port = address.rsplit(":", 1)
            if printer.offline:
                assert not probe(host, int(port), "public", timeout=0.3)
                continue
            if printer.snmp_version == "3":
                auth = usm(V3User(printer.v3_user, printer.v3_auth_key, printer.v3_auth_proto,
                                  printer.v3_priv_key, printer.v3_priv_proto))
            else:
                auth = CommunityData(printer.community, mpModel=0 if printer.snmp_version == "1" else 1)
            error, status, varbinds = await snmp_get((host, int(port)), auth, SYS_NAME, "1.3.6.1.2.1.1.6.0")
            assert (error, status) == (None, 0), printer.key
            assert [bytes(v).decode() for _, v in varbinds] == [printer.name, printer.location]
