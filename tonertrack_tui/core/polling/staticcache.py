"""The static-column cache kept across processes: <data dir>/cache/snmp-static.json.

A printer's descriptions, types, colours and row layout rarely change; the poller keeps
them per printer (core/printer/collect.py, `TargetCache`) so a steady poll is one
request. In memory only, every fresh process (`poll --all` from cron, `daemon --once`)
walked cold again: three requests a printer instead of one (issue 14). This file keeps
them between processes.

* Compact: decoded values (ints, strings), not raw var-binds; one JSON object.
* Bounded: at most `MAX_PRINTERS` printers and `MAX_VALUES` values a printer; a file
  over `MAX_FILE_BYTES` is not read.
* Safe when two processes poll: each save re-reads the file, merges its own printers in
  (last writer wins per printer) and replaces the file atomically (temp file + rename),
  so a reader sees the old file or the new one, never half of one.
* Never fatal: a missing, unreadable, corrupt or foreign file is ignored (and replaced by
  the next save); a save that fails costs the next run a cold walk, nothing else.
* Same invalidation rules as in memory: an entry carries sysUpTime, the configuration
  change counter and its age, and collect.py drops it when the counter moves, the uptime
  goes backwards, the rows differ or it is older than STATIC_MAX_AGE_S. An entry is also
  dropped when the printer's address or SNMP version is not the one it was read with.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..printer.collect import TargetCache
from ..snmp import ber
from ..util.fsutil import atomic_write_bytes, ensure_private_dir

CACHE_DIR = "cache"
CACHE_FILE = "snmp-static.json"
FORMAT = 2  # 2: an entry's static values are one JSON string
MAX_PRINTERS = 20_000
MAX_VALUES = 4_000  # a printer with more static values than this is not kept (it walks cold)
MAX_FILE_BYTES = 64 << 20

OID = tuple[int, ...]


def cache_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / CACHE_DIR / CACHE_FILE


# --- values ------------------------------------------------------------------------------------

# Printers of one model share their OIDs: each is converted once per process (a cache of
# 1,000 printers holds ~45,000 OIDs but a few hundred distinct ones).
_TEXTS: dict[OID, str] = {}
_OIDS: dict[str, OID] = {}
_MEMO_MAX = 100_000


def _oid_text(oid: OID) -> str:
    text = _TEXTS.get(oid)
    if text is None:
        text = ".".join(map(str, oid))
        if len(_TEXTS) < _MEMO_MAX:
            _TEXTS[oid] = text
    return text


def _oid(text: str) -> OID:
    oid = _OIDS.get(text)
    if oid is None:
        oid = tuple(int(a) for a in text.split("."))
        if len(_OIDS) < _MEMO_MAX:
            _OIDS[text] = oid
    return oid


def _enc(value: Any) -> Any:
    """A decoded SNMP value as JSON: int → int, None → null, else a tagged string."""
    if value is None:
        return None
    if isinstance(value, ber.Counter64):
        return "c:" + str(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, bytes):
        return "b:" + value.decode("latin-1")
    if isinstance(value, ber.ObjectId):
        return "o:" + _oid_text(value)
    if isinstance(value, ber.IpAddress):
        return "a:" + str(value)
    raise TypeError(type(value).__name__)


def _dec(value: Any) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if not isinstance(value, str) or value[1:2] != ":":
        raise ValueError("bad value")
    tag, text = value[0], value[2:]
    if tag == "b":
        return text.encode("latin-1")
    if tag == "o":
        return ber.ObjectId(_oid(text))
    if tag == "a":
        return ber.IpAddress(text)
    if tag == "c":
        return ber.Counter64(int(text))
    raise ValueError("bad value tag")


# --- entries -----------------------------------------------------------------------------------

def static_text(cache: TargetCache) -> str | None:
    """The static values as one compact JSON string (an entry's "s"): kept as a string in the
    file's entries, so merging the file never builds an object per value; None when
    there is nothing (or too much) to keep."""
    if not cache.static or len(cache.static) > MAX_VALUES:
        return None
    try:
        return json.dumps({_oid_text(k): _enc(v) for k, v in cache.static.items()}, separators=(",", ":"))
    except TypeError:
        return None


def entry_from_cache(cache: TargetCache, address: str, version: str, static: str | None = None
                     ) -> dict[str, Any] | None:
    """What to keep of one printer's cache; `static`: its static_text() when already known."""
    if not cache.loaded_at:
        return None
    if static is None:
        static = static_text(cache)
    if static is None:
        return None
    try:
        config_changes = _enc(cache.config_changes)
    except TypeError:
        return None
    return {
        "a": address, "v": version,
        "t": round(time.time() - (time.monotonic() - cache.loaded_at), 1),
        "up": cache.uptime, "cc": config_changes, "ah": cache.alerts_hint, "b": cache.budget,
        "g": cache.getnext_only,
        "cells": [_oid_text(c) for c in cache.cells],
        "vc": [_oid_text(c) for c in cache.vendor_cells],
        "s": static,
    }


def cache_from_entry(entry: Any, address: str, version: str) -> TargetCache | None:
    """A TargetCache from a stored entry, or None when it does not fit this printer or is malformed."""
    try:
        if entry["a"] != address or entry["v"] != version:
            return None
        static = json.loads(entry["s"])
        if not isinstance(static, dict) or not static or len(static) > MAX_VALUES:
            return None
        age = max(0.0, time.time() - float(entry["t"]))
        uptime = entry["up"]
        budget = int(entry["b"])
        cache = TargetCache(
            static={_oid(k): _dec(v) for k, v in static.items()},
            cells=tuple(_oid(c) for c in entry["cells"]),
            config_changes=_dec(entry["cc"]),
            uptime=uptime if isinstance(uptime, int) and not isinstance(uptime, bool) else None,
            alerts_hint=max(0, int(entry["ah"])),
            budget=max(1, min(budget, 1000)),
            getnext_only=bool(entry["g"]),
            loaded_at=time.monotonic() - age,
            vendor_cells=tuple(_oid(c) for c in entry["vc"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        return None
    return cache


# --- the file ----------------------------------------------------------------------------------

def read_entries(path: Path) -> dict[str, Any]:
    """The file's entries by printer id; {} for a missing, oversized, corrupt or foreign file."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return {}
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("printers"), dict):
        return {}
    printers: dict[str, Any] = data["printers"]
    return printers


def write_entries(path: Path, updates: dict[str, dict[str, Any] | None],
                  inventory: set[str] | None = None) -> bool:
    """Merge `updates` (printer id → entry, None to forget) into the file and replace it
    atomically; with `inventory` (every printer id there is), entries of printers no longer
    in it are dropped. Returns False when it could not be written (never raises for that)."""
    try:
        ensure_private_dir(path.parent)
        merged = read_entries(path)
        if inventory is not None:
            merged = {k: v for k, v in merged.items() if k in inventory}
        for printer_id, entry in updates.items():
            merged.pop(printer_id, None)  # re-inserted last: the newest entries are kept
            if entry is not None:
                merged[printer_id] = entry
        if len(merged) > MAX_PRINTERS:
            for printer_id in list(merged)[: len(merged) - MAX_PRINTERS]:
                del merged[printer_id]
        data = json.dumps({"format": FORMAT, "printers": merged}, separators=(",", ":")).encode()
        if len(data) > MAX_FILE_BYTES:
            return False
        atomic_write_bytes(path, data)  # mode 0600; on error the old file stays and the temp is removed
    except OSError:
        return False
    return True
