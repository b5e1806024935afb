"""Settings: polling, thresholds, default SNMP credentials and the export directory.

What is saved goes to the app-owned settings.toml (Config.save_settings, tomli-w); the
user's hand-written, commented config.toml is never written. Each row says which file
its value comes from now. Only changed values are written, so a later edit of
config.toml is not shadowed by values the user never touched here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from ..app import TonerTrackApp
from ..core.config import SCHEMA, Config, ConfigError, display_path
from ..core.snmp.credentials import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from ..core.util.textsafe import safe_text
from ..keys import bindings
from .printer_form import VERSION_OPTIONS, FieldCheck
from .unsaved import field_values, leave_or_ask

MIN_KEY_LENGTH = 8
_INTEGER = re.compile(r"^-?[0-9]{1,12}$")


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # dotted config key, e.g. "polling.interval_s"
    label: str
    kind: str  # int | float | text | secret | choice
    choices: tuple[tuple[str, str], ...] = ()
    v3_only: bool = False

    @property
    def widget_id(self) -> str:
        return self.key.replace(".", "-")


SECTIONS: tuple[tuple[str, tuple[Setting, ...]], ...] = (
    ("Polling", (
        Setting("polling.interval_s", "Poll every (seconds)", "int"),
        Setting("polling.timeout_s", "Timeout (seconds)", "float"),
        Setting("polling.retries", "Retries", "int"),
        Setting("polling.concurrency", "Polls at once", "int"),
        Setting("polling.offline_after", "Offline after (fails)", "int"),
    )),
    ("Thresholds", (
        Setting("thresholds.warning_pct", "Warning below (%)", "int"),
        Setting("thresholds.error_pct", "Error below (%)", "int"),
    )),
    ("Default SNMP settings (printers without their own)", (
        Setting("snmp.version", "Version", "choice", tuple((label, value) for label, value in VERSION_OPTIONS)),
        Setting("snmp.community", "Community", "secret"),
        Setting("snmp.v3_user", "v3 user", "text", v3_only=True),
        Setting("snmp.v3_auth_proto", "v3 auth protocol", "choice", tuple((p, p) for p in AUTH_PROTOCOLS), True),
        Setting("snmp.v3_auth_key", "v3 auth key", "secret", v3_only=True),
        Setting("snmp.v3_priv_proto", "v3 priv protocol", "choice", tuple((p, p) for p in PRIV_PROTOCOLS), True),
        Setting("snmp.v3_priv_key", "v3 priv key", "secret", v3_only=True),
    )),
    ("Reports", (
        Setting("export.directory", "Export directory", "text"),
    )),
)
SETTINGS: dict[str, Setting] = {s.key: s for _, group in SECTIONS for s in group}


def current_value(config: Config, key: str) -> Any:
    section, name = key.split(".", 1)
    return getattr(getattr(config, section), name)


def source_label(config: Config, key: str) -> str:
    """Where the value comes from, in a word: default, config.toml (the user's) or settings.toml (ours)."""
    origin = config.source_of(key)
    if origin == "default":
        return "default"
    if config.paths is not None and origin == str(config.paths.settings_file):
        return f"{config.paths.settings_file.name} (app)"
    return Path(origin).name


def _problem(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class SettingsScreen(Screen[None]):
    DEFAULT_CSS = """
    SettingsScreen {
        layout: vertical;
    }
    SettingsScreen #settings-title {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    SettingsScreen #settings-files {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    SettingsScreen #settings-fields {
        height: 1fr;
        padding: 0 1;
    }
    SettingsScreen .section {
        height: 1;
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    SettingsScreen .row {
        height: 1;
    }
    SettingsScreen .field-label {
        width: 23;
        color: $text-muted;
    }
    SettingsScreen .row Input {
        width: 1fr;
        max-width: 60;
    }
    SettingsScreen .row Input:focus, SettingsScreen .row Select:focus > SelectCurrent {
        background: $accent 35%;
    }
    SettingsScreen .row Select {
        width: 1fr;
        max-width: 60;
    }
    SettingsScreen .source {
        width: 22;
        padding-left: 2;
        color: $text-muted;
    }
    SettingsScreen .source.-app {
        color: $success;
    }
    SettingsScreen .source.-user {
        color: $warning;
    }
    SettingsScreen .field-error {
        height: auto;
        padding-left: 23;
        color: $error;
        display: none;
    }
    SettingsScreen .field-error.-shown {
        display: block;
    }
    SettingsScreen .row.-hidden, SettingsScreen .field-error.-hidden {
        display: none;
    }
    SettingsScreen #show-secrets {
        margin-left: 23;
    }
    SettingsScreen #settings-problem {
        height: auto;
        max-height: 4;
        margin: 1 1 0 1;
        padding: 0 1;
        color: $text;
        background: $error 30%;
        display: none;
    }
    SettingsScreen #settings-problem.-shown {
        display: block;
    }
    SettingsScreen #settings-buttons {
        height: 1;
        margin: 1 1 0 1;
    }
    SettingsScreen #settings-status {
        width: 1fr;
        height: 1;
        color: $error;
        text-style: bold;
    }
    SettingsScreen #settings-buttons Button {
        width: auto;
        min-width: 0;
        margin-left: 2;
        padding: 0 1;
    }
    """

    BINDINGS = bindings("settings")
    app = getters.app(TonerTrackApp)

    class Saved(Message):
        def __init__(self, config: Config, changes: dict[str, Any], old_interval_s: int) -> None:
            super().__init__()
            self.config = config
            self.changes = changes
            self.old_interval_s = old_interval_s

    class SaveFailed(Message):
        def __init__(self, problem: str) -> None:
            super().__init__()
            self.problem = problem

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()
        self._save_attempted = False
        self._saving = False
        self._ready = False  # prefilled values are validated while mounting, before every field exists
        self._initial: dict[str, object] | None = None  # the fields as first shown: leaving with changes asks

    @property
    def config(self) -> Config:
        return self.app.config or Config()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.config
        yield Static("Settings", id="settings-title")
        if config.paths is not None:
            files = Text("Saved to ", style="")
            files.append(display_path(config.paths.settings_file))
            files.append(" · your ")
            files.append(display_path(config.paths.config_file))
            files.append(" is never written")
            yield Static(files, id="settings-files")
        with VerticalScroll(id="settings-fields", can_focus=False):
            for title, group in SECTIONS:
                yield Static(title, classes="section")
                for setting in group:
                    yield from self._row(config, setting)
                    if setting.key == "snmp.community":
                        yield Checkbox("Show secrets", compact=True, id="show-secrets", classes="-view-only")
        yield Static("", id="settings-problem", markup=False)
        with Horizontal(id="settings-buttons"):
            yield Static("", id="settings-status", markup=False)
            yield Button("Save ^s", id="save", variant="primary", compact=True)
            yield Button("Cancel esc", id="cancel", compact=True)
        yield Footer()

    def _row(self, config: Config, setting: Setting) -> ComposeResult:
        wid = setting.widget_id
        value = current_value(config, setting.key)
        classes = "row -v3" if setting.v3_only else "row"
        with Horizontal(classes=classes, id=f"row-{wid}"):
            yield Label(setting.label, classes="field-label")
            if setting.kind == "choice":
                yield Select(list(setting.choices), value=str(value), allow_blank=False, compact=True, id=wid)
            elif setting.kind == "secret":
                placeholder = "•••••• (blank keeps it)" if value else "not set"
                yield Input("", placeholder=placeholder, password=True, compact=True, id=wid,
                            validators=[self._validator(setting)])
            else:
                placeholder = ""
                if setting.key == "export.directory":
                    placeholder = f"blank: {display_path(config.export_dir)}"
                yield Input(_shown(value), placeholder=placeholder, compact=True, id=wid,
                            select_on_focus=False, validators=[self._validator(setting)])
            yield Label("", classes="source", id=f"src-{wid}", markup=False)
        yield Static("", classes="field-error -v3" if setting.v3_only else "field-error", id=f"err-{wid}",
                     markup=False)

    def _validator(self, setting: Setting) -> FieldCheck:
        return FieldCheck(lambda text: self._check(setting, text) if self._ready else None)

    def on_mount(self) -> None:
        self._show_sources()
        self._show_version_fields()
        self._ready = True
        self.query_one("#polling-interval_s", Input).focus()
        self.call_after_refresh(self._remember_fields)

    def _remember_fields(self) -> None:
        self._initial = field_values(self)

    def _show_sources(self) -> None:
        config = self.config
        for key, setting in SETTINGS.items():
            label = self.query_one(f"#src-{setting.widget_id}", Label)
            text = source_label(config, key)
            label.update(text)
            label.set_class(text == "default", "-default")
            label.set_class(text.endswith("(app)"), "-app")
            label.set_class(text not in ("default",) and not text.endswith("(app)"), "-user")

    # -- values ----------------------------------------------------------------------------------

    def _text(self, key: str) -> str:
        return self.query_one(f"#{SETTINGS[key].widget_id}", Input).value

    def _choice(self, key: str) -> str:
        value = self.query_one(f"#{SETTINGS[key].widget_id}", Select).value
        return value if isinstance(value, str) else ""

    @property
    def version(self) -> str:
        return self._choice("snmp.version")

    def _parsed(self, setting: Setting, text: str) -> Any:
        """The typed value of a field (ValueError with a readable message when it is not one)."""
        stripped = text.strip()
        if setting.kind == "int":
            if not _INTEGER.match(stripped):
                raise ValueError("Must be a whole number.")
            return int(stripped)
        if setting.kind == "float":
            try:
                return float(stripped)
            except ValueError:
                raise ValueError("Must be a number, e.g. 1 or 0.5.") from None
        if setting.kind == "text" and setting.key != "snmp.v3_user":
            return text.strip()
        return text

    def _check(self, setting: Setting, text: str) -> str | None:
        key = setting.key
        if setting.v3_only and self.version != "3":
            return None
        if setting.kind == "secret" and not text:
            if key in ("snmp.v3_auth_key", "snmp.v3_priv_key"):
                proto = self._choice(key.replace("_key", "_proto"))
                if proto != "none" and not current_value(self.config, key):
                    return f"Needs a key of at least {MIN_KEY_LENGTH} characters."
            return None  # blank keeps the current secret
        try:
            value = self._parsed(setting, text)
            SCHEMA[key](value)
        except ValueError as exc:
            return str(exc)
        except Exception as exc:  # config's own checker: "must be an integer between 10 and 604800, got 5"
            return _problem(exc)
        if key == "snmp.v3_user" and not value.strip():
            return "SNMPv3 needs a user name."
        if key in ("snmp.v3_auth_key", "snmp.v3_priv_key") and len(value) < MIN_KEY_LENGTH:
            return f"At least {MIN_KEY_LENGTH} characters."
        if key == "thresholds.error_pct":
            warning = self._number_or_current("thresholds.warning_pct")
            if warning is not None and value > warning:
                return f"Must not be above the warning level ({warning} %)."
        if key == "export.directory" and value:
            path = Path(value).expanduser()
            if path.exists() and not path.is_dir():
                return "That path exists and is not a directory."
        return None

    def _number_or_current(self, key: str) -> int | None:
        try:
            return int(self._text(key).strip())
        except ValueError:
            current = current_value(self.config, key)
            return current if isinstance(current, int) else None

    def changes(self) -> dict[str, Any]:
        """{dotted key: new value} for every visible field that differs from the loaded config."""
        config = self.config
        out: dict[str, Any] = {}
        for key, setting in SETTINGS.items():
            if setting.v3_only and self.version != "3":
                continue
            if setting.kind == "choice":
                value: Any = self._choice(key)
            else:
                text = self._text(key)
                if setting.kind == "secret" and not text:
                    continue
                value = self._parsed(setting, text)
            if value != current_value(config, key):
                out[key] = value
        return out

    # -- inline validation --------------------------------------------------------------------------

    def _show(self, widget_id: str, problem: str) -> None:
        label = self.query_one(f"#err-{widget_id}", Static)
        label.update(Text(problem))
        label.set_class(bool(problem), "-shown")

    def _validate(self, setting: Setting) -> bool:
        if setting.kind == "choice":
            return True
        box = self.query_one(f"#{setting.widget_id}", Input)
        result = box.validate(box.value)
        problem = "" if result is None or result.is_valid else " ".join(result.failure_descriptions)
        self._show(setting.widget_id, problem)
        return not problem

    def _revalidate(self, *keys: str) -> None:
        for key in keys:
            setting = SETTINGS[key]
            if setting.widget_id in self._touched or self._save_attempted:
                self._validate(setting)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        self._touched.add(wid)
        result = event.validation_result
        self._show(wid, "" if result is None or result.is_valid else " ".join(result.failure_descriptions))
        if wid == SETTINGS["thresholds.warning_pct"].widget_id:
            self._revalidate("thresholds.error_pct")
        self._status("")

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == SETTINGS["snmp.version"].widget_id:
            self._show_version_fields()
        self._revalidate("snmp.v3_user", "snmp.v3_auth_key", "snmp.v3_priv_key")

    @on(Checkbox.Changed, "#show-secrets")
    def _toggle_secrets(self, event: Checkbox.Changed) -> None:
        for setting in SETTINGS.values():
            if setting.kind == "secret":
                self.query_one(f"#{setting.widget_id}", Input).password = not event.value

    def _show_version_fields(self) -> None:
        hidden = self.version != "3"
        for widget in self.query(".-v3"):
            widget.set_class(hidden, "-hidden")

    # -- save --------------------------------------------------------------------------------------

    def _status(self, message: str) -> None:
        self.query_one("#settings-status", Static).update(Text(message))
        if message:
            return
        self.query_one("#settings-problem", Static).remove_class("-shown")

    def action_save(self) -> None:
        if self._saving:
            return
        self._save_attempted = True
        bad = [s for s in SETTINGS.values()
               if not (s.v3_only and self.version != "3") and not self._validate(s)]
        if bad:
            self._status("Not saved: fix the red fields.")
            self.query_one(f"#{bad[0].widget_id}").focus()
            return
        changes = self.changes()
        if not changes:
            self.notify("Nothing changed.")
            self.dismiss(None)
            return
        self._saving = True
        self.query_one("#save", Button).disabled = True
        self._status("Saving…")
        self.run_worker(self._save(changes), group="settings-save", exclusive=True, exit_on_error=False)

    async def _save(self, changes: dict[str, Any]) -> None:
        old_interval = self.config.polling.interval_s
        try:
            config = await self.app.save_settings(changes)
        except ConfigError as exc:
            self.post_message(self.SaveFailed(str(exc)))
            return
        except OSError as exc:
            self.post_message(self.SaveFailed(f"cannot write settings: {exc.strerror or exc}"))
            return
        self.post_message(self.Saved(config, changes, old_interval))

    @on(SaveFailed)
    def _save_failed(self, message: SaveFailed) -> None:
        self._saving = False
        self.query_one("#save", Button).disabled = False
        self._status("Not saved.")
        problem = self.query_one("#settings-problem", Static)
        problem.update(Text(f"Nothing was saved: {safe_text(message.problem)}"))
        problem.add_class("-shown")

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.notify(f"Saved {len(message.changes)} setting(s) to {message.config.paths.settings_file.name}"
                    if message.config.paths else "Settings saved.", title="Settings applied", markup=False)
        self.dismiss(None)

    # -- buttons -----------------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        leave_or_ask(self, self._initial, lambda: self.dismiss(None), "your changes to the settings")


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return "" if value is None else str(value)
