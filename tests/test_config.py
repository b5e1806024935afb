"""Config: defaults, the example file, validation messages, settings.toml layering."""

import os
import stat
import tomllib
from pathlib import Path

import pytest

from tonertrack_tui.core import config as cfg
from tonertrack_tui.core.config import Config, ConfigError, Paths, load_config, resolve_paths, save_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


@pytest.fixture
def paths(tmp_path) -> Paths:
    config_dir = tmp_path / "cfg"
    return Paths(config_dir / "config.toml", config_dir / "settings.toml", tmp_path / "data")


def write_config(paths: Paths, text: str) -> None:
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text)


def _flat_keys(table: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in table.items():
        dotted = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            keys |= _flat_keys(v, dotted + ".")
        else:
            keys.add(dotted)
    return keys


def test_missing_files_give_defaults(paths):
    c = load_config(paths)
    assert c == Config()
    assert c.polling.interval_s == 300 and c.polling.timeout_s == 1.0 and c.polling.retries == 1
    assert c.polling.concurrency == 64 and c.polling.offline_after == 3
    assert c.snmp.version == "2c" and c.snmp.community == "public"
    assert (c.thresholds.warning_pct, c.thresholds.error_pct) == (20, 10)
    assert c.export.forecast_horizon_days == 30
    assert c.ui.keys["poll_all"] == "P" and c.ui.mouse is True
    assert c.sync.sources == ()
    assert c.warnings == ()
    assert c.source_of("polling.interval_s") == "default"


def test_example_file_loads_to_exactly_the_defaults(paths):
    write_config(paths, EXAMPLE.read_text())
    c = load_config(paths)
    assert c == Config()
    assert c.warnings == ()
    # and it documents every key: nothing in the defaults is missing from the example
    example_keys = _flat_keys(tomllib.loads(EXAMPLE.read_text()))
    default_keys = set(cfg._flatten_defaults())
    assert default_keys - example_keys == set()
    assert example_keys - default_keys - {"thresholds.kinds"} == set()


def test_values_are_read(paths):
    write_config(paths, """
[polling]
interval_s = 60
timeout_s = 2
concurrency = 16
[snmp]
community = "corp"
[thresholds]
warning_pct = 30
[thresholds.kinds.drum]
warning_pct = 10
error_pct = 3
[ui.keys]
poll_all = "ctrl+r"
[[sync.sources]]
name = "dc3"
kind = "windows-export"
path = "/srv/dc3.csv"
location = "B2"
""")
    c = load_config(paths)
    assert c.polling.interval_s == 60 and c.polling.timeout_s == 2.0 and isinstance(c.polling.timeout_s, float)
    assert c.snmp.community == "corp"
    assert c.default_snmp().community == "corp" and c.default_snmp().timeout == 2.0
    assert c.thresholds.for_kind("drum") == (10, 3)
    assert c.thresholds.for_kind("toner") == (30, 10)
    assert c.ui.keys["poll_all"] == "ctrl+r" and c.ui.keys["quit"] == "q"
    assert [(s.name, s.kind, s.location) for s in c.sync.sources] == [("dc3", "windows-export", "B2")]
    assert c.source_of("polling.interval_s") == str(paths.config_file)
    assert c.source_of("polling.retries") == "default"


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ('[polling]\nconcurrency = "lots"', "polling.concurrency", "must be an integer between 1 and 1024, got 'lots'"),
        ("[polling]\nconcurrency = 0", "polling.concurrency", "must be an integer between 1 and 1024, got 0"),
        ("[polling]\nretries = true", "polling.retries", "must be an integer between 0 and 10, got True"),
        ("[polling]\ntimeout_s = 0", "polling.timeout_s", "must be a number between 0.05 and 60, got 0"),
        ("[snmp]\nversion = 2", "snmp.version", "must be a string"),
        ('[snmp]\nversion = "4"', "snmp.version", "must be one of '1', '2c', '3', got '4'"),
        ('[snmp]\ncommunity = ""', "snmp.community", "must not be empty"),
        ('[snmp]\nv3_auth_proto = "rot13"', "snmp.v3_auth_proto", "unknown v3 auth protocol"),
        ("[thresholds]\nwarning_pct = 120", "thresholds.warning_pct", "between 0 and 100, got 120"),
        ("[thresholds]\nerror_pct = 30", "thresholds.error_pct", "must not be above thresholds.warning_pct"),
        ("[thresholds.kinds.drum]\nerror_pct = 50", "thresholds.kinds.drum.error_pct", "must not be above"),
        ('[thresholds.kinds]\ndrum = 5', "thresholds.kinds.drum", "must be a table"),
        ("[ui]\nmouse = 1", "ui.mouse", "must be true or false, got 1"),
        ('[ui.keys]\npoll_all = ""', "ui.keys.poll_all", "must not be empty"),
        ('polling = 5', "polling", "must be a table"),
        ('[[sync.sources]]\nkind = "cups"', "sync.sources[0].name", "is required"),
        ('[[sync.sources]]\nname = "x"\nkind = "ldap"', "sync.sources[0].kind", "must be one of"),
        ('[[sync.sources]]\nname = "x"\nkind = "cups"\n[[sync.sources]]\nname = "x"\nkind = "csv"',
         "sync.sources[1].name", "duplicate source name 'x'"),
        ('[snmp]\nversion = "3"', "snmp.v3_user", "SNMPv3 needs a user name"),
        ("[history]\nsample_interval_s = 5", "history.sample_interval_s", "between 60 and 86400"),
    ],
)
def test_validation_errors_name_file_key_and_problem(paths, text, key, problem):
    write_config(paths, text)
    with pytest.raises(ConfigError) as info:
        load_config(paths)
    message = str(info.value)
    assert message.startswith(f"{cfg.display_path(paths.config_file)}: {key}: "), message
    assert problem in message


def test_home_is_shown_as_tilde(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    p = Paths(tmp_path / ".config/tonertrack/config.toml", tmp_path / ".config/tonertrack/settings.toml", tmp_path / "d")
    write_config(p, '[polling]\nconcurrency = "lots"\n')
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert str(info.value) == (
        "~/.config/tonertrack/config.toml: polling.concurrency: must be an integer between 1 and 1024, got 'lots'"
    )


def test_toml_syntax_error_names_file_line_and_column(paths):
    write_config(paths, "[polling]\ninterval_s = 300\ntimeout_s = = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(paths)
    message = str(info.value)
    assert message.startswith(f"{cfg.display_path(paths.config_file)}: line 3, column ")
    assert "invalid TOML" in message


def test_unknown_keys_are_warnings(paths):
    write_config(paths, "colour = 1\n[polling]\nintervall = 5\n[ui.keys]\nfrobnicate = 'z'\n[thresholds.kinds.paper]\nwarning_pct = 5\n")
    c = load_config(paths)
    assert c == Config()
    shown = cfg.display_path(paths.config_file)
    assert f"{shown}: colour: unknown key (ignored)" in c.warnings
    assert f"{shown}: polling.intervall: unknown key (ignored)" in c.warnings
    [keys] = [w for w in c.warnings if "frobnicate" in w]
    assert keys.startswith(f"{shown}: ui.keys.frobnicate (binding ids: help, quit, poll_all,")
    assert keys.endswith("unknown key (ignored)") and "settings" in keys and "back" in keys  # every id listed
    assert any("thresholds.kinds.paper" in w for w in c.warnings)
    assert len(c.warnings) == 4


def test_settings_layer_over_config_and_config_is_never_written(paths):
    original = "# my comments\n[polling]\ninterval_s = 120  # two minutes\nretries = 2\n"
    write_config(paths, original)
    before = paths.config_file.read_bytes()
    c = save_settings({"polling.interval_s": 600, "thresholds.kinds.drum.warning_pct": 15, "ui.keys.poll_all": "R"}, paths)
    assert paths.config_file.read_bytes() == before  # byte-identical
    assert c.polling.interval_s == 600 and c.polling.retries == 2
    assert c.thresholds.for_kind("drum") == (15, 10)
    assert c.ui.keys["poll_all"] == "R"
    assert c.source_of("polling.interval_s") == str(paths.settings_file)
    assert c.source_of("polling.retries") == str(paths.config_file)
    assert c.source_of("polling.timeout_s") == "default"
    assert c.source_of("thresholds.kinds.drum") == str(paths.settings_file)
    # reloading gives the same, and the settings file is the app's own TOML
    again = load_config(paths)
    assert again == c
    assert tomllib.loads(paths.settings_file.read_text())["polling"] == {"interval_s": 600}
    # None removes a key: the value falls back to config.toml
    c = save_settings({"polling.interval_s": None}, paths)
    assert c.polling.interval_s == 120 and c.source_of("polling.interval_s") == str(paths.config_file)
    assert paths.config_file.read_bytes() == before


def test_save_settings_validates_before_writing(paths):
    save_settings({"polling.retries": 3}, paths)
    before = paths.settings_file.read_bytes()
    with pytest.raises(ConfigError) as info:
        save_settings({"polling.concurrency": "lots"}, paths)
    assert str(info.value).startswith(f"{cfg.display_path(paths.settings_file)}: polling.concurrency: ")
    assert paths.settings_file.read_bytes() == before


def test_broken_settings_file_is_reported_and_not_overwritten(paths):
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text("[polling\n")
    with pytest.raises(ConfigError) as info:
        load_config(paths)
    assert "settings.toml: line 1" in str(info.value)
    with pytest.raises(ConfigError):
        save_settings({"polling.retries": 3}, paths)
    assert paths.settings_file.read_text() == "[polling\n"


def test_settings_file_and_dir_are_private(paths):
    old = os.umask(0o022)
    try:
        save_settings({"snmp.community": "s3cret"}, paths)
    finally:
        os.umask(old)
    assert stat.S_IMODE(paths.settings_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.config_file.parent.stat().st_mode) == 0o700
    assert load_config(paths).snmp.community == "s3cret"


def test_sync_sources_can_be_saved(paths):
    c = save_settings({"sync.sources": [{"name": "cups1", "kind": "cups", "server": "print.example.org"}]}, paths)
    assert c.sync.sources[0].server == "print.example.org"
    assert c.source_of("sync.sources") == str(paths.settings_file)


def test_resolve_paths_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("TONERTRACK_CONFIG", str(tmp_path / "env" / "c.toml"))
    monkeypatch.setenv("TONERTRACK_DATA_DIR", str(tmp_path / "envdata"))
    p = resolve_paths()
    assert p.config_file == tmp_path / "env" / "c.toml"
    assert p.settings_file == tmp_path / "env" / "settings.toml"
    assert p.data_dir == tmp_path / "envdata"
    p = resolve_paths(tmp_path / "arg.toml", tmp_path / "argdata")
    assert (p.config_file, p.data_dir) == (tmp_path / "arg.toml", tmp_path / "argdata")
    monkeypatch.delenv("TONERTRACK_CONFIG")
    monkeypatch.delenv("TONERTRACK_DATA_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdgc"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdgd"))
    p = resolve_paths()
    assert p.config_file == tmp_path / "xdgc" / "tonertrack" / "config.toml"
    assert p.data_dir == tmp_path / "xdgd" / "tonertrack"


def test_export_dir_default_and_override(paths, tmp_path):
    c = save_settings({"export.directory": str(tmp_path / "reports")}, paths)
    assert c.export_dir == tmp_path / "reports"


def test_inconsistent_thresholds_blame_the_key_just_set(paths):
    with pytest.raises(ConfigError) as info:
        save_settings({"thresholds.kinds.drum.warning_pct": 5}, paths)
    assert str(info.value) == (
        f"{cfg.display_path(paths.settings_file)}: thresholds.kinds.drum.warning_pct: "
        "must not be below thresholds.error_pct (5 < 10)"
    )
    assert not paths.settings_file.exists()


def test_every_binding_of_the_ui_can_be_remapped(tmp_path):
    """One keymap: each binding the App, its screens and the table declare has an id [ui.keys] knows."""
    import importlib
    import pkgutil

    from textual.binding import Binding

    import tonertrack_tui.screens as screens
    from tonertrack_tui.app import TonerTrackApp
    from tonertrack_tui.core.keymap import DEFAULT_KEYS
    from tonertrack_tui.widgets.printer_table import PrinterTable

    classes = [TonerTrackApp, PrinterTable]
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"tonertrack_tui.screens.{info.name}")
        classes += [c for c in vars(module).values() if isinstance(c, type) and "BINDINGS" in vars(c)
                    and c.__module__ == module.__name__]
    declared = [b for c in classes for b in Binding.make_bindings(vars(c)["BINDINGS"])]
    assert len(declared) > 40
    assert all(b.id in DEFAULT_KEYS for b in declared), [b.key for b in declared if b.id not in DEFAULT_KEYS]
    paths = resolve_paths(tmp_path / "c.toml", tmp_path / "d")
    (tmp_path / "c.toml").write_text('[ui.keys]\nsettings = "f2"\nback = "escape,backspace"\n')
    config = load_config(paths)
    assert config.warnings == () and config.ui.keys["settings"] == "f2" and config.ui.keys["back"] == "escape,backspace"
