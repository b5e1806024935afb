"""The TOML configuration: defaults ← the user's config.toml ← the app-owned settings.toml.

* `config.toml` is the user's hand-edited file (comments and all). It is read with
  `tomllib` and **never written** by TonerTrack.
* `settings.toml` sits beside it and belongs to the app: changes made from the TUI
  (`save_settings`) go there, written with `tomli-w`, atomically, mode 0600. A key
  in it wins over the same key in config.toml; `Config.source_of("polling.timeout_s")`
  says which file a value came from.
* Paths come from platformdirs (`user_config_dir("tonertrack")/config.toml`,
  `user_data_dir("tonertrack")`), overridable by `--config`/`TONERTRACK_CONFIG` and
  `--data-dir`/`TONERTRACK_DATA_DIR` (`resolve_paths`).

Every validation error is a `ConfigError` whose message names the file, the dotted key
and what is wrong; unknown keys are warnings (`Config.warnings`), not errors.
`config.example.toml` documents every key and loads to exactly these defaults.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import platformdirs
import tomli_w

from .keymap import DEFAULT_KEYS, describe_ids
from .printer.mib import KINDS
from .printer.status import Thresholds
from .snmp.credentials import CredentialError, SnmpSettings, normalise_auth_proto, normalise_priv_proto
from .util.fsutil import FileLock, atomic_write_bytes, ensure_private_dir

_S = TypeVar("_S")
_Fail = Callable[[str, str], "ConfigError"]  # (dotted key, problem) -> the error to raise
_Unknown = Callable[[str], None]  # an unknown dotted key: warn

APP_NAME = "tonertrack"
CONFIG_ENV = "TONERTRACK_CONFIG"
DATA_DIR_ENV = "TONERTRACK_DATA_DIR"
SETTINGS_NAME = "settings.toml"

SUPPLY_KINDS = KINDS  # the supply kinds decode gives (core/printer/mib.py)
SYNC_KINDS = ("windows-export", "windows-rpc", "cups", "csv")

# Binding id -> Textual key string (comma-separated alternatives). Users remap them in [ui.keys].


class ConfigError(ValueError):
    """The config cannot be used; the message names the file, the key and the problem."""


# ---------------------------------------------------------------- paths


@dataclass(frozen=True, slots=True)
class Paths:
    config_file: Path
    settings_file: Path
    data_dir: Path

    @property
    def config_dir(self) -> Path:
        return self.config_file.parent


def resolve_paths(config_arg: str | os.PathLike[str] | None = None,
                  data_dir_arg: str | os.PathLike[str] | None = None) -> Paths:
    """Command-line argument, else environment variable, else the platformdirs default."""
    config = config_arg or os.environ.get(CONFIG_ENV) or Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    data = data_dir_arg or os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
    config_file = Path(config).expanduser().absolute()
    return Paths(
        config_file=config_file,
        settings_file=config_file.with_name(SETTINGS_NAME),
        data_dir=Path(data).expanduser().absolute(),
    )


def display_path(path: Path | str) -> str:
    """A path as people write it: the home directory as '~'."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text


# ---------------------------------------------------------------- the config objects


@dataclass(frozen=True, slots=True)
class PollingConfig:
    interval_s: int = 300
    timeout_s: float = 1.0
    retries: int = 1
    concurrency: int = 64
    offline_after: int = 3


@dataclass(frozen=True, slots=True)
class SnmpConfig:
    version: str = "2c"
    community: str = "public"
    v3_user: str = ""
    v3_auth_proto: str = "none"
    v3_auth_key: str = ""
    v3_priv_proto: str = "none"
    v3_priv_key: str = ""


@dataclass(frozen=True, slots=True)
class KindThresholds:
    warning_pct: int | None = None
    error_pct: int | None = None


@dataclass(frozen=True, slots=True)
class ThresholdsConfig:
    warning_pct: int = 20
    error_pct: int = 10
    kinds: Mapping[str, KindThresholds] = field(default_factory=dict)

    def for_kind(self, kind: str) -> tuple[int, int]:
        """(warning_pct, error_pct) for a supply kind: its override, else the global value."""
        k = self.kinds.get(kind) or KindThresholds()
        return (
            self.warning_pct if k.warning_pct is None else k.warning_pct,
            self.error_pct if k.error_pct is None else k.error_pct,
        )


@dataclass(frozen=True, slots=True)
class ExportConfig:
    directory: str = ""  # "" = ~/Documents/TonerTrack when that folder exists, else <data dir>/exports
    forecast_horizon_days: int = 30


@dataclass(frozen=True, slots=True)
class UiConfig:
    keys: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_KEYS))
    mouse: bool = True


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    sample_interval_s: int = 3600
    raw_days: int = 31
    retention_days: int = 0  # 0 = keep daily samples forever


@dataclass(frozen=True, slots=True)
class SyncSource:
    name: str
    kind: str
    server: str = ""
    path: str = ""
    location: str = ""
    enabled: bool = True
    ports_path: str = ""  # windows-export: Get-PrinterPort | Export-Csv, joined for PrinterHostAddress
    timeout_s: float = 30.0  # cups, windows-rpc: the lpstat / rpcclient run
    username: str = ""  # windows-rpc
    domain: str = ""  # windows-rpc
    credentials_file: str = ""  # windows-rpc: a Samba auth file (username=, password=, domain=)
    password_env: str = ""  # windows-rpc: the environment variable holding the password


@dataclass(frozen=True, slots=True)
class SyncConfig:
    sources: tuple[SyncSource, ...] = ()


NOTIFY_EVENTS = ("warning", "error", "offline", "ok", "supply_low", "forecast")
EMAIL_SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True, slots=True)
class CommandHook:
    """[[notify.commands]]: a program run per message; argv as given (no shell), JSON on stdin."""
    argv: tuple[str, ...]
    name: str = ""
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Webhook:
    """[[notify.webhooks]]: a JSON POST; `template` ("" = the documented body) may use $text etc."""
    url: str
    name: str = ""
    template: str = ""
    timeout_s: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EmailChannel:
    """[[notify.emails]]: SMTP with STARTTLS/SSL and optional login."""
    host: str
    to: tuple[str, ...]
    sender: str
    name: str = ""
    port: int = 0  # 0 = 587 for starttls, 465 for ssl, 25 for none
    security: str = "starttls"
    username: str = ""
    password: str = ""
    password_file: str = ""
    password_env: str = ""
    timeout_s: float = 20.0


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    enabled: bool = True
    events: tuple[str, ...] = NOTIFY_EVENTS
    forecast_days: int = 14
    digest: bool = False
    max_per_hour: int = 30
    retries: int = 5
    retry_backoff_s: float = 10.0
    commands: tuple[CommandHook, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    emails: tuple[EmailChannel, ...] = ()


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    sync_interval_s: int = 3600  # 0 = the daemon never syncs
    log_level: str = "info"


@dataclass(frozen=True, slots=True)
class StorageConfig:
    """Where the inventory lives (issue 19): "json" (printers.json in the data dir) or "postgresql"."""
    backend: str = "json"
    dsn: str = ""  # postgresql://USER@HOST:PORT/DB, no password in it
    password_file: str = ""  # 0600; else TONERTRACK_DB_PASSWORD


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    listen: str = "127.0.0.1:9469"
    textfile: str = ""  # the daemon rewrites it after every poll when set


@dataclass(frozen=True)
class Config:
    polling: PollingConfig = field(default_factory=PollingConfig)
    snmp: SnmpConfig = field(default_factory=SnmpConfig)
    thresholds: ThresholdsConfig = field(default_factory=ThresholdsConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    paths: Paths | None = field(default=None, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def source_of(self, key: str) -> str:
        """"default", or the path of the file (config.toml or settings.toml) the value came from."""
        if key in self.sources:
            return self.sources[key]
        prefix = key + "."
        origins = [origin for k, origin in self.sources.items() if k.startswith(prefix)]
        if self.paths is not None and str(self.paths.settings_file) in origins:
            return str(self.paths.settings_file)
        return origins[0] if origins else "default"

    def default_snmp(self) -> SnmpSettings:
        """The SNMP settings a new printer gets: [snmp] plus the polling timeout and retries."""
        s = self.snmp
        return SnmpSettings(
            version=s.version, community=s.community, v3_user=s.v3_user,
            v3_auth_proto=s.v3_auth_proto, v3_auth_key=s.v3_auth_key,
            v3_priv_proto=s.v3_priv_proto, v3_priv_key=s.v3_priv_key,
            timeout=self.polling.timeout_s, retries=self.polling.retries,
        )

    def base_thresholds(self) -> Thresholds:
        """The fleet-wide supply thresholds (a printer's own are applied over these)."""
        t = self.thresholds
        kinds = {name: (k.warning_pct, k.error_pct) for name, k in (t.kinds or {}).items()}
        return Thresholds(t.warning_pct, t.error_pct, kinds)

    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir if self.paths else Path(platformdirs.user_data_dir(APP_NAME))

    @property
    def export_dir(self) -> Path:
        if self.export.directory:
            return Path(self.export.directory).expanduser()
        documents = Path(platformdirs.user_documents_dir())
        if documents.is_dir():
            return documents / "TonerTrack"
        return self.data_dir / "exports"

    def save_settings(self, changes: Mapping[str, Any]) -> Config:
        if self.paths is None:
            raise ConfigError("this config was not loaded from files: nowhere to save settings")
        return save_settings(changes, self.paths)


# ---------------------------------------------------------------- validation


class _Invalid(Exception):
    """What is wrong with one value (the caller adds file and key)."""


def _int(lo: int, hi: int) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise _Invalid(f"must be an integer between {lo} and {hi}, got {v!r}")
        return v
    return check


def _number(lo: float, hi: float) -> Callable[[Any], float]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise _Invalid(f"must be a number between {lo:g} and {hi:g}, got {v!r}")
        return float(v)
    return check


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Invalid(f"must be true or false, got {v!r}")
    return v


def _string(*, nonempty: bool = False, choices: tuple[str, ...] | None = None) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise _Invalid(f"must be a string (in quotes), got {v!r}")
        if nonempty and not v.strip():
            raise _Invalid("must not be empty")
        if any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise _Invalid("must not contain control characters")
        if choices is not None and v not in choices:
            raise _Invalid(f"must be one of {', '.join(repr(c) for c in choices)}, got {v!r}")
        return v
    return check


def _proto(normalise: Callable[[str], str]) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        _string()(v)
        try:
            return normalise(v)
        except CredentialError as exc:
            raise _Invalid(str(exc)) from None
    return check


_PCT = _int(0, 100)

def _dsn(v: Any) -> str:
    """A PostgreSQL URI without a password (the password comes from the environment or a 0600 file)."""
    text = _string()(v)
    if not text:
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres"):
        raise _Invalid("must be a postgresql://USER@HOST:PORT/DB URI")
    if parts.password is not None or "password=" in parts.query:
        raise _Invalid("must not hold the password: put it in TONERTRACK_DB_PASSWORD or storage.password_file")
    return text


# Fixed keys: "section.key" -> checker. Dynamic keys (kinds, key bindings, sync sources) apart.
SCHEMA: dict[str, Callable[[Any], Any]] = {
    "polling.interval_s": _int(10, 7 * 86400),
    "polling.timeout_s": _number(0.05, 60),
    "polling.retries": _int(0, 10),
    "polling.concurrency": _int(1, 1024),
    "polling.offline_after": _int(1, 1000),
    "snmp.version": _string(choices=("1", "2c", "3")),
    "snmp.community": _string(nonempty=True),
    "snmp.v3_user": _string(),
    "snmp.v3_auth_proto": _proto(normalise_auth_proto),
    "snmp.v3_auth_key": _string(),
    "snmp.v3_priv_proto": _proto(normalise_priv_proto),
    "snmp.v3_priv_key": _string(),
    "thresholds.warning_pct": _PCT,
    "thresholds.error_pct": _PCT,
    "export.directory": _string(),
    "export.forecast_horizon_days": _int(1, 3650),
    "ui.mouse": _bool,
    "history.sample_interval_s": _int(60, 86400),
    "history.raw_days": _int(1, 366),
    "history.retention_days": _int(0, 36500),
}
SCHEMA.update({
    "notify.enabled": _bool,
    "notify.forecast_days": _int(0, 3650),
    "notify.digest": _bool,
    "notify.max_per_hour": _int(1, 100000),
    "notify.retries": _int(0, 20),
    "notify.retry_backoff_s": _number(0.01, 3600),
    "daemon.sync_interval_s": _int(0, 30 * 86400),
    "daemon.log_level": _string(choices=("debug", "info", "warning", "error")),
    "metrics.listen": _string(nonempty=True),
    "metrics.textfile": _string(),
    "storage.backend": _string(choices=("json", "postgresql")),
    "storage.dsn": _dsn,
    "storage.password_file": _string(),
})
SECTIONS = ("polling", "snmp", "thresholds", "export", "ui", "history", "sync", "notify", "daemon", "metrics",
            "storage")
_BINDING_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SOURCE_KEYS: dict[str, Callable[[Any], Any]] = {
    "name": _string(nonempty=True),
    "kind": _string(choices=SYNC_KINDS),
    "server": _string(),
    "path": _string(),
    "location": _string(),
    "enabled": _bool,
    "ports_path": _string(),
    "timeout_s": _number(1, 600),
    "username": _string(),
    "domain": _string(),
    "credentials_file": _string(),
    "password_env": _string(),
}


def _validate_layer(raw: Mapping[str, Any], origin: str) -> tuple[dict[str, Any], list[str]]:
    """One file's table -> ({dotted key: checked value}, warnings). Raises ConfigError."""
    shown = display_path(origin)
    flat: dict[str, Any] = {}
    warnings: list[str] = []

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{shown}: {key}: {problem}")

    def unknown(key: str) -> None:
        warnings.append(f"{shown}: {key}: unknown key (ignored)")

    for section, table in raw.items():
        if section not in SECTIONS:
            unknown(section)
            continue
        if not isinstance(table, dict):
            raise fail(section, f"must be a table ([{section}]), got {table!r}")
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if dotted == "thresholds.kinds":
                flat.update(_validate_kinds(value, fail, unknown))
            elif dotted == "ui.keys":
                flat.update(_validate_keys(value, fail, unknown))
            elif dotted == "notify.events":
                flat[dotted] = _validate_events(value, fail)
            elif dotted in _CHANNEL_KEYS:
                flat[dotted] = _validate_channels(dotted, value, fail, unknown)
            elif dotted == "sync.sources":
                flat[dotted] = _validate_sources(value, fail, unknown)
            elif dotted in SCHEMA:
                try:
                    flat[dotted] = SCHEMA[dotted](value)
                except _Invalid as exc:
                    raise fail(dotted, str(exc)) from None
            else:
                unknown(dotted)
    return flat, warnings


def _validate_kinds(value: Any, fail: _Fail, unknown: _Unknown) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail("thresholds.kinds", f"must be a table of supply kinds, got {value!r}")
    out = {}
    for kind, table in value.items():
        base = f"thresholds.kinds.{kind}"
        if kind not in SUPPLY_KINDS:
            unknown(f"{base} (supply kinds: {', '.join(SUPPLY_KINDS)})")
            continue
        if not isinstance(table, dict):
            raise fail(base, f"must be a table with warning_pct and/or error_pct, got {table!r}")
        for key, v in table.items():
            if key not in ("warning_pct", "error_pct"):
                unknown(f"{base}.{key}")
                continue
            try:
                out[f"{base}.{key}"] = _PCT(v)
            except _Invalid as exc:
                raise fail(f"{base}.{key}", str(exc)) from None
    return out


def _validate_keys(value: Any, fail: _Fail, unknown: _Unknown) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail("ui.keys", f"must be a table of binding id = key, got {value!r}")
    out = {}
    for binding, key in value.items():
        dotted = f"ui.keys.{binding}"
        if not _BINDING_ID.match(binding) or binding not in DEFAULT_KEYS:
            unknown(f"{dotted} (binding ids: {describe_ids()})")
            continue
        try:
            out[dotted] = _string(nonempty=True)(key)
        except _Invalid as exc:
            raise fail(dotted, str(exc)) from None
    return out


def _validate_sources(value: Any, fail: _Fail, unknown: _Unknown) -> list[dict[str, Any]]:
    out = _validate_tables("sync.sources", value, _SOURCE_KEYS, ("name", "kind"), fail, unknown)
    names: set[str] = set()
    for i, src in enumerate(out):
        if src["name"] in names:
            raise fail(f"sync.sources[{i}].name", f"duplicate source name {src['name']!r}")
        names.add(src["name"])
    return out


def check_sync_source(table: Mapping[str, Any], others: Iterable[SyncSource] = ()) -> SyncSource:
    """One [[sync.sources]] table checked as the config loader checks it (and its name unique among
    `others`): the source, or ConfigError("key: problem") naming the first field that is wrong."""
    for key in ("name", "kind"):
        if not str(table.get(key, "")).strip():
            raise ConfigError(f"{key}: is required")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _SOURCE_KEYS:
            raise ConfigError(f"{key}: not a sync source setting")
        try:
            values[key] = _SOURCE_KEYS[key](value)
        except _Invalid as exc:
            raise ConfigError(f"{key}: {exc}") from None
    if any(o.name == values["name"] for o in others):
        raise ConfigError(f"name: another source is already called {values['name']!r}")
    return SyncSource(**values)


def sync_source_table(source: SyncSource) -> dict[str, Any]:
    """What settings.toml keeps of a source: its name and kind, and every field not at its default."""
    default = SyncSource(name="", kind="")
    table: dict[str, Any] = {"name": source.name, "kind": source.kind}
    for f in fields(SyncSource):
        value = getattr(source, f.name)
        if f.name not in table and value != getattr(default, f.name):
            table[f.name] = value
    return table


def _str_list(*, nonempty: bool = False) -> Callable[[Any], tuple[str, ...]]:
    def check(v: Any) -> tuple[str, ...]:
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _Invalid(f"must be an array of strings, got {v!r}")
        if nonempty and not v:
            raise _Invalid("must not be empty")
        for x in v:
            _string()(x)
        return tuple(v)
    return check


def _headers(v: Any) -> dict[str, str]:
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
        raise _Invalid(f"must be a table of header = \"value\", got {v!r}")
    for k, x in v.items():
        _string(nonempty=True)(k)
        _string()(x)
    return dict(v)


def _url(v: Any) -> str:
    url = _string(nonempty=True)(v)
    if not re.match(r"^https?://[^/\s]+", url):
        raise _Invalid(f"must be an http:// or https:// URL, got {url!r}")
    return url


def _template(v: Any) -> str:
    import json

    _string()(v.replace("\n", " ").replace("\t", " ") if isinstance(v, str) else v)
    assert isinstance(v, str)
    if v.strip():
        try:
            json.loads(v)
        except ValueError as exc:
            raise _Invalid(f"must be JSON (placeholders like $text go inside strings): {exc}") from None
    return v


# [[notify.X]] array -> (dataclass, {key: checker}, required keys)
_CHANNEL_KEYS: dict[str, tuple[type, dict[str, Callable[[Any], Any]], tuple[str, ...]]] = {
    "notify.commands": (CommandHook, {
        "name": _string(), "argv": _str_list(nonempty=True), "timeout_s": _number(0.1, 3600),
    }, ("argv",)),
    "notify.webhooks": (Webhook, {
        "name": _string(), "url": _url, "template": _template, "timeout_s": _number(0.1, 600),
        "headers": _headers,
    }, ("url",)),
    "notify.emails": (EmailChannel, {
        "name": _string(), "host": _string(nonempty=True), "port": _int(0, 65535),
        "security": _string(choices=EMAIL_SECURITY), "username": _string(), "password": _string(),
        "password_file": _string(), "password_env": _string(), "sender": _string(nonempty=True),
        "to": _str_list(nonempty=True), "timeout_s": _number(0.1, 600),
    }, ("host", "sender", "to")),
}


def _validate_events(value: Any, fail: _Fail) -> tuple[str, ...]:
    try:
        events = _str_list()(value)
    except _Invalid as exc:
        raise fail("notify.events", str(exc)) from None
    for e in events:
        if e not in NOTIFY_EVENTS:
            raise fail("notify.events", f"unknown event {e!r} (events: {', '.join(NOTIFY_EVENTS)})")
    return events


def _validate_channels(dotted: str, value: Any, fail: _Fail, unknown: _Unknown) -> list[dict[str, Any]]:
    _cls, keys, required = _CHANNEL_KEYS[dotted]
    return _validate_tables(dotted, value, keys, required, fail, unknown)


def _validate_tables(dotted: str, value: Any, keys: Mapping[str, Callable[[Any], Any]],
                     required: Sequence[str], fail: _Fail, unknown: _Unknown) -> list[dict[str, Any]]:
    """An array of tables ([[dotted]]): each table's keys checked, required ones present."""
    if not isinstance(value, list):
        raise fail(dotted, f"must be an array of tables ([[{dotted}]])")
    out = []
    for i, table in enumerate(value):
        base = f"{dotted}[{i}]"
        if not isinstance(table, dict):
            raise fail(base, f"must be a table, got {table!r}")
        for key in required:
            if key not in table:
                raise fail(f"{base}.{key}", "is required")
        item = {}
        for key, v in table.items():
            if key not in keys:
                unknown(f"{base}.{key}")
                continue
            try:
                item[key] = keys[key](v)
            except _Invalid as exc:
                raise fail(f"{base}.{key}", str(exc)) from None
        out.append(item)
    return out


# ---------------------------------------------------------------- loading


def _flatten_defaults() -> dict[str, Any]:
    d = Config()
    flat: dict[str, Any] = {}
    for section in ("polling", "snmp", "export", "history", "daemon", "metrics", "storage"):
        obj = getattr(d, section)
        for name in obj.__dataclass_fields__:
            flat[f"{section}.{name}"] = getattr(obj, name)
    flat["thresholds.warning_pct"] = d.thresholds.warning_pct
    flat["thresholds.error_pct"] = d.thresholds.error_pct
    flat["ui.mouse"] = d.ui.mouse
    for binding, key in DEFAULT_KEYS.items():
        flat[f"ui.keys.{binding}"] = key
    flat["sync.sources"] = []
    for name in ("enabled", "events", "forecast_days", "digest", "max_per_hour", "retries", "retry_backoff_s"):
        flat[f"notify.{name}"] = getattr(d.notify, name)
    for dotted in _CHANNEL_KEYS:
        flat[dotted] = []
    return flat


def _read_toml(path: Path) -> dict[str, Any] | None:
    """The file's table, None when it does not exist; ConfigError naming file/line/column otherwise."""
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
        if m:
            msg = msg[: m.start()]
            raise ConfigError(f"{shown}: line {m.group(1)}, column {m.group(2)}: invalid TOML: {msg}") from None
        raise ConfigError(f"{shown}: invalid TOML: {msg}") from None


def _build(flat: dict[str, Any], sources: dict[str, str], paths: Paths | None, warnings: list[str]) -> Config:
    def section(name: str, cls: type[_S]) -> _S:
        kwargs = {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith(name + ".") and k.count(".") == 1}
        return cls(**kwargs)

    kinds: dict[str, KindThresholds] = {}
    for kind in SUPPLY_KINDS:
        w = flat.get(f"thresholds.kinds.{kind}.warning_pct")
        e = flat.get(f"thresholds.kinds.{kind}.error_pct")
        if w is not None or e is not None:
            kinds[kind] = KindThresholds(w, e)
    thresholds = ThresholdsConfig(flat["thresholds.warning_pct"], flat["thresholds.error_pct"], kinds)

    def rank(key: str) -> int:
        origin = sources.get(key, "default")
        if origin == "default":
            return 0
        return 2 if paths is not None and origin == str(paths.settings_file) else 1

    def where(key: str) -> str:
        origin = sources.get(key, "default")
        return "defaults" if origin == "default" else display_path(origin)

    def check_pair(w: int, e: int, wkey: str, ekey: str) -> None:
        # blame the key set in the later layer: that is the value the user just changed
        if e <= w:
            return
        if rank(wkey) > rank(ekey):
            raise ConfigError(f"{where(wkey)}: {wkey}: must not be below {ekey} ({w} < {e})")
        raise ConfigError(f"{where(ekey)}: {ekey}: must not be above {wkey} ({e} > {w})")

    check_pair(thresholds.warning_pct, thresholds.error_pct, "thresholds.warning_pct", "thresholds.error_pct")
    for kind in kinds:
        w, e = thresholds.for_kind(kind)
        base = f"thresholds.kinds.{kind}"
        wkey = f"{base}.warning_pct" if kinds[kind].warning_pct is not None else "thresholds.warning_pct"
        ekey = f"{base}.error_pct" if kinds[kind].error_pct is not None else "thresholds.error_pct"
        check_pair(w, e, wkey, ekey)

    keys = {k.removeprefix("ui.keys."): v for k, v in flat.items() if k.startswith("ui.keys.")}
    snmp = section("snmp", SnmpConfig)
    if snmp.version == "3" and not snmp.v3_user:
        raise ConfigError(f"{where('snmp.version')}: snmp.v3_user: SNMPv3 needs a user name")
    return Config(
        polling=section("polling", PollingConfig),
        snmp=snmp,
        thresholds=thresholds,
        export=section("export", ExportConfig),
        ui=UiConfig(keys=keys, mouse=flat["ui.mouse"]),
        storage=section("storage", StorageConfig),
        history=section("history", HistoryConfig),
        sync=SyncConfig(tuple(SyncSource(**s) for s in flat["sync.sources"])),
        notify=NotifyConfig(
            **{k: flat[f"notify.{k}"] for k in ("enabled", "events", "forecast_days", "digest", "max_per_hour",
                                                "retries", "retry_backoff_s")},
            commands=tuple(CommandHook(**c) for c in flat["notify.commands"]),
            webhooks=tuple(Webhook(**w) for w in flat["notify.webhooks"]),
            emails=tuple(EmailChannel(**e) for e in flat["notify.emails"]),
        ),
        daemon=section("daemon", DaemonConfig),
        metrics=section("metrics", MetricsConfig),
        paths=paths,
        warnings=tuple(warnings),
        sources=dict(sources),
    )


def _load(paths: Paths, settings_override: dict[str, Any] | None = None) -> Config:
    flat = _flatten_defaults()
    sources: dict[str, str] = {}
    warnings: list[str] = []
    layers = [(paths.config_file, _read_toml(paths.config_file))]
    settings = settings_override if settings_override is not None else _read_toml(paths.settings_file)
    layers.append((paths.settings_file, settings))
    for path, raw in layers:
        if raw is None:
            continue
        values, layer_warnings = _validate_layer(raw, str(path))
        warnings.extend(layer_warnings)
        for key, value in values.items():
            flat[key] = value
            sources[key] = str(path)
    return _build(flat, sources, paths, warnings)


def load_config(paths: Paths | None = None) -> Config:
    """Defaults ← config.toml ← settings.toml. Missing files are fine; bad ones raise ConfigError."""
    return _load(paths or resolve_paths())


def save_settings(changes: Mapping[str, Any], paths: Paths | None = None) -> Config:
    """Write `changes` ({dotted key: value}; None removes the key) into settings.toml.

    The user's config.toml is never touched. The result is validated as a whole before
    anything is written; a settings.toml that is not valid TOML is never overwritten.
    Returns the newly loaded Config.
    """
    paths = paths or resolve_paths()
    ensure_private_dir(paths.config_dir)
    with FileLock(paths.config_dir / ".settings.lock"):
        current = _read_toml(paths.settings_file) or {}
        for key, value in changes.items():
            parts = key.split(".")
            if key == "sync.sources" or key.startswith("sync.sources."):
                parts = ["sync", "sources"]
            table = current
            for part in parts[:-1]:
                nxt = table.get(part)
                if not isinstance(nxt, dict):
                    if value is None:
                        break
                    nxt = table[part] = {}
                table = nxt
            else:
                if value is None:
                    table.pop(parts[-1], None)
                else:
                    table[parts[-1]] = list(value) if isinstance(value, tuple) else value
        _prune_empty(current)
        config = _load(paths, settings_override=current)  # raises before anything is written
        atomic_write_bytes(paths.settings_file, tomli_w.dumps(current).encode("utf-8"))
    return replace(config)


def _prune_empty(table: dict[str, Any]) -> None:
    for key in list(table):
        value = table[key]
        if isinstance(value, dict):
            _prune_empty(value)
            if not value:
                del table[key]
