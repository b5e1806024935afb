"""Add or edit one printer: a modal form with inline validation and a connectivity test.

Dismisses with the saved printer's id, or None when cancelled. Secrets are never
prefilled: when editing, a blank community or key keeps the current one. Saving goes
through the store in a thread (audit lines come from the store); the Test button polls
the device once with what is on the form, without saving anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.worker import get_current_worker

from ..app import TonerTrackApp
from ..core.address import AddressError, parse_address
from ..core.inventory import validate
from ..core.inventory.printer import DEFAULT_SITE, Printer, PrinterThresholds
from ..core.inventory.store import DuplicatePrinter, StoreError
from ..core.printer.model import PollResult
from ..core.printer.status import Thresholds
from ..core.snmp.credentials import AUTH_PROTOCOLS, PRIV_PROTOCOLS, CredentialError, SnmpSettings
from ..core.util.textsafe import safe_text
from ..core.views.fleet import supply_view
from ..keys import bindings
from ..widgets.status_badge import status_text
from .unsaved import field_values, leave_or_ask

VERSION_OPTIONS = [("SNMPv1", "1"), ("SNMPv2c", "2c"), ("SNMPv3", "3")]
# an ipp:// address is IPP whatever is chosen here
PROTOCOL_OPTIONS = [("SNMP", "snmp"), ("IPP (port 631)", "ipp"), ("Auto: SNMP, else IPP", "auto")]
MIN_KEY_LENGTH = validate.MIN_KEY_LENGTH
SECRET_INPUTS = ("community", "v3_auth_key", "v3_priv_key")
V3_INPUTS = ("v3_user", "v3_auth_key", "v3_priv_key")


class FieldCheck(Validator):
    """A Validator around a function that returns what is wrong with a value, or None."""

    def __init__(self, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        problem = self.check(value)
        return self.success() if problem is None else self.failure(problem)


def _pct(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


class PrinterFormScreen(ModalScreen[str | None]):
    """`PrinterFormScreen(None)` adds a printer; `PrinterFormScreen(printer_id)` edits one."""

    DEFAULT_CSS = """
    PrinterFormScreen {
        align: center middle;
    }
    PrinterFormScreen #dialog {
        width: 78;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $accent;
        background: $panel;
        padding: 0 1;
    }
    PrinterFormScreen #title {
        height: 1;
        text-style: bold;
    }
    PrinterFormScreen #fields {
        height: auto;
    }
    PrinterFormScreen .row {
        height: 1;
    }
    PrinterFormScreen .field-label {
        width: 15;
        color: $text-muted;
    }
    PrinterFormScreen .row Input {
        width: 1fr;
    }
    PrinterFormScreen .row Input:focus, PrinterFormScreen .row Select:focus > SelectCurrent {
        background: $accent 35%;
    }
    PrinterFormScreen .row Select {
        width: 16;
    }
    PrinterFormScreen .row Checkbox {
        margin-left: 2;
    }
    PrinterFormScreen .row #protocol {
        width: 26;
    }
    PrinterFormScreen #warning_pct, PrinterFormScreen #error_pct, PrinterFormScreen #timeout,
    PrinterFormScreen #retries {
        width: 8;
    }
    PrinterFormScreen .gap-label {
        width: auto;
        margin-left: 3;
        margin-right: 1;
        color: $text-muted;
    }
    PrinterFormScreen .section {
        height: 1;
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    PrinterFormScreen .field-error {
        height: auto;
        padding-left: 15;
        color: $error;
        display: none;
    }
    PrinterFormScreen .field-error.-shown {
        display: block;
    }
    PrinterFormScreen #address-warning {
        height: auto;
        padding-left: 15;
        color: $warning;
        display: none;
    }
    PrinterFormScreen #address-warning.-shown {
        display: block;
    }
    PrinterFormScreen #v3 {
        height: auto;
        display: none;
    }
    PrinterFormScreen #v3.-shown {
        display: block;
    }
    PrinterFormScreen #community-row.-hidden, PrinterFormScreen #community-error.-hidden {
        display: none;
    }
    PrinterFormScreen #test-result {
        height: auto;
        margin-top: 1;
        display: none;
    }
    PrinterFormScreen #test-result.-shown {
        display: block;
    }
    PrinterFormScreen #form-status {
        width: 1fr;
        height: 1;
        color: $error;
        text-style: bold;
    }
    PrinterFormScreen #buttons {
        height: 1;
        margin-top: 1;
    }
    PrinterFormScreen #buttons Button {
        width: auto;
        min-width: 0;
        margin-left: 2;
        padding: 0 1;
    }
    """

    BINDINGS = bindings("form")
    app = getters.app(TonerTrackApp)

    class TestFinished(Message):
        def __init__(self, result: PollResult, seq: int) -> None:
            super().__init__()
            self.result = result
            self.seq = seq

    class Saved(Message):
        def __init__(self, printer_id: str, warnings: list[str] | None = None) -> None:
            super().__init__()
            self.printer_id = printer_id
            self.warnings = warnings or []  # the same-printer check run at save: the form never showed them

    class AddressResolved(Message):
        def __init__(self, address: str, warnings: list[str]) -> None:
            super().__init__()
            self.address = address
            self.warnings = warnings

    class SaveFailed(Message):
        def __init__(self, problem: str, field: str | None = None) -> None:
            super().__init__()
            self.problem = problem
            self.field = field

    def __init__(self, printer_id: str | None = None) -> None:
        super().__init__()
        self.printer_id = printer_id
        self.record: dict[str, Any] = {}
        self._touched: set[str] = set()
        self._resolved: dict[str, list[str]] = {}  # address -> what the same-printer check found
        self._save_attempted = False
        self._saving = False
        self._test_seq = 0
        self._ready = False  # prefilled values are validated while mounting, before every field exists
        self._initial: dict[str, object] | None = None  # the fields as first shown: leaving with changes asks

    # -- what the form starts from --------------------------------------------------------

    @property
    def editing(self) -> bool:
        return self.printer_id is not None

    def _defaults(self) -> SnmpSettings:
        config = self.app.config
        return config.default_snmp() if config is not None else SnmpSettings()

    def _own_snmp(self) -> dict[str, Any]:
        return {k: v for k, v in (self.record.get("snmp") or {}).items() if v not in (None, "")}

    def _current(self, key: str) -> Any:
        """The printer's effective SNMP value: its own, else the config default."""
        own = self._own_snmp()
        return own[key] if key in own else getattr(self._defaults(), key)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        if self.printer_id is not None:
            printer = self.app.printer(self.printer_id)
            self.record = printer.to_json(with_last_poll=False) if printer else {}
        record = self.record
        thresholds = record.get("thresholds") or {}
        config = self.app.config
        global_warning = config.thresholds.warning_pct if config else 20
        global_error = config.thresholds.error_pct if config else 10
        has_community = bool(self._own_snmp().get("community"))
        keep = "blank keeps the current one"
        if has_community:
            community_hint = f"•••••• ({keep})"
        elif self._default_community():
            community_hint = "•••••• (blank: the default from Settings)"
        else:
            community_hint = "e.g. public"
        defaults = self._defaults()

        def text_input(field: str, value: str = "", placeholder: str = "", *, password: bool = False,
                       check: Callable[[str], str | None]) -> Input:
            return Input(value=value, placeholder=placeholder, password=password, id=field, compact=True,
                         validators=[FieldCheck(lambda v: check(v) if self._ready else None)],
                         select_on_focus=False)

        def error(field: str) -> Static:
            return Static("", id=f"{field}-error", classes="field-error", markup=False)

        with Vertical(id="dialog"):
            title = Text("Edit printer  " if self.editing else "Add a printer", style="bold")
            if self.editing:
                title.append(safe_text(record.get("name") or record.get("address"), limit=50), style="")
            yield Static(title, id="title")
            with VerticalScroll(id="fields", can_focus=False):
                with Horizontal(classes="row"):
                    yield Label("Address", classes="field-label")
                    yield text_input("address", record.get("address", ""),
                                     "IP or host name (:port if not 161), or an ipp:// URI", check=self._check_address)
                yield error("address")
                yield Static("", id="address-warning", markup=False)
                with Horizontal(classes="row"):
                    yield Label("Name", classes="field-label")
                    yield text_input("name", self._shown("name"), "blank: the printer's sysName",
                                     check=validate.check_name)
                yield error("name")
                with Horizontal(classes="row"):
                    yield Label("Location", classes="field-label")
                    yield text_input("location", self._shown("location"), "e.g. 2nd floor east",
                                     check=validate.check_location)
                yield error("location")
                with Horizontal(classes="row"):
                    yield Label("Site", classes="field-label")
                    yield text_input("site", self._shown_site(), f"blank: {DEFAULT_SITE} (which daemons poll it)",
                                     check=validate.check_site)
                yield error("site")
                with Horizontal(classes="row"):
                    yield Label("Notes", classes="field-label")
                    yield text_input("notes", self._shown("notes", validate.NOTES_MAX), "free text, e.g. the key "
                                     "to the cabinet is at reception", check=validate.check_notes)
                yield error("notes")

                with Horizontal(classes="row"):
                    yield Label("Protocol", classes="field-label")
                    yield Select(PROTOCOL_OPTIONS, value=record.get("protocol") or "snmp", allow_blank=False,
                                 compact=True, id="protocol")
                yield Static("SNMP", classes="section")
                with Horizontal(classes="row"):
                    yield Label("Version", classes="field-label")
                    yield Select(VERSION_OPTIONS, value=str(self._current("version")), allow_blank=False,
                                 compact=True, id="version")
                    yield Checkbox("Show secrets", compact=True, id="show-secrets", classes="-view-only")
                with Horizontal(classes="row", id="community-row"):
                    yield Label("Community", classes="field-label")
                    yield text_input("community", "", community_hint, password=True, check=self._check_community)
                yield error("community")
                with Vertical(id="v3"):
                    with Horizontal(classes="row"):
                        yield Label("User", classes="field-label")
                        yield text_input("v3_user", str(self._own_snmp().get("v3_user", "")),
                                         "SNMPv3 user name", check=self._check_v3_user)
                    yield error("v3_user")
                    with Horizontal(classes="row"):
                        yield Label("Auth protocol", classes="field-label")
                        yield Select([(p, p) for p in AUTH_PROTOCOLS], value=self._proto("v3_auth_proto", "SHA"),
                                     allow_blank=False, compact=True, id="v3_auth_proto")
                    with Horizontal(classes="row"):
                        yield Label("Auth key", classes="field-label")
                        yield text_input("v3_auth_key", "", self._key_placeholder("v3_auth_key"), password=True,
                                         check=self._key_check("v3_auth_key", "v3_auth_proto"))
                    yield error("v3_auth_key")
                    with Horizontal(classes="row"):
                        yield Label("Priv protocol", classes="field-label")
                        yield Select([(p, p) for p in PRIV_PROTOCOLS], value=self._proto("v3_priv_proto", "AES"),
                                     allow_blank=False, compact=True, id="v3_priv_proto")
                    with Horizontal(classes="row"):
                        yield Label("Priv key", classes="field-label")
                        yield text_input("v3_priv_key", "", self._key_placeholder("v3_priv_key"), password=True,
                                         check=self._key_check("v3_priv_key", "v3_priv_proto"))
                    yield error("v3_priv_key")
                with Horizontal(classes="row"):
                    yield Label("Timeout", classes="field-label")
                    yield text_input("timeout", _own_text(self._own_snmp().get("timeout")),
                                     f"{defaults.timeout:g}", check=self._check_timeout)
                    yield Label("s    Retries", classes="gap-label")
                    yield text_input("retries", _own_text(self._own_snmp().get("retries")),
                                     f"{defaults.retries}", check=self._check_retries)
                    yield Label("(blank = default)", classes="gap-label")
                yield error("timeout")
                yield error("retries")

                yield Static("Thresholds  (blank = the global default)", classes="section")
                with Horizontal(classes="row"):
                    yield Label("Warning below", classes="field-label")
                    yield text_input("warning_pct", _own_text(thresholds.get("warning_pct")),
                                     f"{global_warning}", check=self._check_warning)
                    yield Label("%    Error below", classes="gap-label")
                    yield text_input("error_pct", _own_text(thresholds.get("error_pct")),
                                     f"{global_error}", check=self._check_error)
                    yield Label("%", classes="gap-label")
                yield error("warning_pct")
                yield error("error_pct")
                with Horizontal(classes="row"):
                    yield Label("", classes="field-label")
                    yield Checkbox("Waste boxes report how full they are (inverted)", compact=True,
                                   value=bool(record.get("invert_receptacles")), id="invert-receptacles")
                yield Static("", id="test-result", markup=False)
            with Horizontal(id="buttons"):
                yield Static("", id="form-status", markup=False)
                yield Button("Test ^t", id="test", compact=True)
                yield Button("Save ^s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def _shown(self, field: str, limit: int = validate.NAME_MAX) -> str:
        """A name, location or notes as the form shows it: a sysName may carry escape sequences."""
        return safe_text(self.record.get(field), limit=limit)

    def _shown_site(self) -> str:
        """The printer's site; blank for the default one (most fleets have only that)."""
        site = self._shown("site", validate.SITE_MAX)
        return "" if site == DEFAULT_SITE else site

    def _default_community(self) -> str:
        """The community a printer without its own follows (the config's), or ''."""
        return self._defaults().community if self.app.config is not None else ""

    def _proto(self, key: str, new_default: str) -> str:
        if self.editing or self._defaults().version == "3":
            return str(self._current(key))
        return new_default

    def _key_placeholder(self, key: str) -> str:
        if self._own_snmp().get(key):
            return "•••••• (blank keeps the current key)"
        return f"at least {MIN_KEY_LENGTH} characters"

    def on_mount(self) -> None:
        if self.editing and not self.record:
            self.notify("That printer is no longer in the inventory.", severity="warning")
            self.dismiss(None)
            return
        self._show_version_fields()
        self._ready = True
        self.query_one("#address", Input).focus()
        self.call_after_refresh(self._remember_fields)

    def _remember_fields(self) -> None:
        self._initial = field_values(self)

    def on_resize(self) -> None:
        # border, title, button row and its margin: the fields scroll in what is left (80x24 too)
        self.query_one("#fields").styles.max_height = max(3, self.size.height - 5)

    # -- values --------------------------------------------------------------------------------

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def _select(self, field: str) -> str:
        value = self.query_one(f"#{field}", Select).value
        return value if isinstance(value, str) else ""

    @property
    def version(self) -> str:
        return self._select("version") or "2c"

    def _effective_pcts(self) -> tuple[int | None, int | None]:
        config = self.app.config
        warning = _pct(self._value("warning_pct"))
        error = _pct(self._value("error_pct"))
        if self._value("warning_pct").strip() == "":
            warning = config.thresholds.warning_pct if config else 20
        if self._value("error_pct").strip() == "":
            error = config.thresholds.error_pct if config else 10
        return warning, error

    # -- checks (each returns what is wrong, or None) ----------------------------------------------

    def _check_address(self, value: str) -> str | None:
        return validate.check_address(value, self.app.fleet.printers.values(), exclude_id=self.printer_id)

    def _check_community(self, value: str) -> str | None:
        if self.version == "3":
            return None
        # editing: blank keeps the printer's own community, or the default it follows
        return validate.check_community(value, default=self._default_community(), keeps_current=self.editing)

    def _check_v3_user(self, value: str) -> str | None:
        if self.version != "3":
            return None
        return validate.check_v3_user(value)

    def _key_check(self, key: str, proto_field: str) -> Callable[[str], str | None]:
        def check(value: str) -> str | None:
            if self.version != "3":
                return None
            return validate.check_v3_key(key, value, proto=self._select(proto_field),
                                         auth_proto=self._select("v3_auth_proto"),
                                         keeps_current=bool(self._own_snmp().get(key)))
        return check

    def _check_timeout(self, value: str) -> str | None:
        return validate.check_timeout(value) if value.strip() else None

    def _check_retries(self, value: str) -> str | None:
        return validate.check_retries(value) if value.strip() else None

    def _check_warning(self, value: str) -> str | None:
        return validate.check_pct("warning", value)

    def _check_error(self, value: str) -> str | None:
        problem = validate.check_pct("error", value)
        if problem:
            return problem
        warning, error = self._effective_pcts()
        own = value.strip() or self._value("warning_pct").strip()
        return validate.check_thresholds(warning, error) if own else None

    # -- showing problems --------------------------------------------------------------------------

    def _show(self, field: str, result: ValidationResult | None) -> None:
        problem = "" if result is None or result.is_valid else " ".join(result.failure_descriptions)
        label = self.query_one(f"#{field}-error", Static)
        label.update(Text(problem))
        label.set_class(bool(problem), "-shown")

    def _validate(self, field: str) -> bool:
        box = self.query_one(f"#{field}", Input)
        result = box.validate(box.value)
        self._show(field, result)
        return result is None or result.is_valid

    def _revalidate(self, *fields: str) -> None:
        for field in fields:
            if field in self._touched or self._save_attempted:
                self._validate(field)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        self._touched.add(field)
        self._show(field, event.validation_result)
        if field == "warning_pct":
            self._revalidate("error_pct")
        self._status("")

    @on(Input.Blurred)
    def _input_blurred(self, event: Input.Blurred) -> None:
        field = event.input.id or ""
        if self.is_attached and (event.value or field in self._touched):
            self._touched.add(field)
            self._show(field, event.validation_result)
            if field == "address" and (event.validation_result is None or event.validation_result.is_valid):
                self._look_for_same_printer(event.value)

    # -- the same printer under another name (localhost vs 127.0.0.1): a warning, never a block

    def _look_for_same_printer(self, value: str) -> None:
        self._show_address_warning([])
        try:
            address = str(parse_address(value))
        except AddressError:
            return
        printers = list(self.app.fleet.printers.values())
        exclude = self.printer_id

        def look() -> None:  # in a thread: name resolution may take up to RESOLVE_TIMEOUT_S
            warnings = validate.same_printer_warnings(address, printers, exclude_id=exclude)
            if not get_current_worker().is_cancelled:
                self.post_message(self.AddressResolved(address, warnings))

        self.run_worker(look, thread=True, group="form-resolve", exclusive=True, exit_on_error=False)

    @on(AddressResolved)
    def _address_resolved(self, message: AddressResolved) -> None:
        self._resolved[message.address] = message.warnings
        try:
            current = str(parse_address(self._value("address")))
        except AddressError:
            current = ""
        if current == message.address:
            self._show_address_warning(message.warnings)

    def _show_address_warning(self, warnings: list[str]) -> None:
        label = self.query_one("#address-warning", Static)
        label.update(Text("\n".join(f"Warning: {w}" for w in warnings)))
        label.set_class(bool(warnings), "-shown")

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "version":
            self._show_version_fields()
        self._revalidate("community", *V3_INPUTS)

    @on(Checkbox.Changed, "#show-secrets")
    def _toggle_secrets(self, event: Checkbox.Changed) -> None:
        for field in SECRET_INPUTS:
            self.query_one(f"#{field}", Input).password = not event.value

    def _show_version_fields(self) -> None:
        v3 = self.version == "3"
        self.query_one("#v3").set_class(v3, "-shown")
        self.query_one("#community-row").set_class(v3, "-hidden")
        self.query_one("#community-error").set_class(v3, "-hidden")

    def _fields_in_use(self) -> list[str]:
        fields = ["address", "name", "location", "site", "notes"]
        fields += list(V3_INPUTS) if self.version == "3" else ["community"]
        return fields + ["timeout", "retries", "warning_pct", "error_pct"]

    # -- what would be saved ---------------------------------------------------------------------------

    def _snmp_from_form(self) -> dict[str, Any]:
        """The record's `snmp` dict: only what the user set; blank secrets keep the current ones."""
        own = dict(self.record.get("snmp") or {})
        snmp = dict(own)

        def put(key: str, value: Any) -> None:
            # on edit, a value equal to what the printer follows already is not pinned
            if self.editing and key not in own and value == self._current(key):
                return
            snmp[key] = value

        version = self.version
        put("version", version)
        if version == "3":
            put("v3_user", self._value("v3_user").strip())
            put("v3_auth_proto", self._select("v3_auth_proto"))
            put("v3_priv_proto", self._select("v3_priv_proto"))
            for key in ("v3_auth_key", "v3_priv_key"):
                if self._value(key):
                    snmp[key] = self._value(key)
        elif self._value("community"):
            snmp["community"] = self._value("community")
        for key, convert in (("timeout", float), ("retries", int)):
            text = self._value(key).strip()
            if text:
                put(key, convert(text))
            else:
                snmp.pop(key, None)  # blank: follow the config's default
        return snmp

    def _thresholds_from_form(self) -> dict[str, Any]:
        thresholds = dict(self.record.get("thresholds") or PrinterThresholds().to_json())
        thresholds["warning_pct"] = _pct(self._value("warning_pct"))
        thresholds["error_pct"] = _pct(self._value("error_pct"))
        thresholds.setdefault("kinds", {})
        return thresholds

    def _settings_from_form(self) -> SnmpSettings:
        return self._defaults().overridden(self._snmp_from_form()).validated()

    # -- test -------------------------------------------------------------------------------------

    def action_test(self) -> None:
        self._test_seq += 1  # a result still on its way for older values is dropped
        try:
            address = str(parse_address(self._value("address")))
        except AddressError as exc:
            self._validate("address")
            self._show_test(Text(f"Cannot test: {safe_text(str(exc))}", style="red"))
            return
        snmp_fields = [*(V3_INPUTS if self.version == "3" else ["community"]), "timeout", "retries"]
        if not all([self._validate(field) for field in snmp_fields]):
            self._show_test(Text("Cannot test: fix the SNMP settings marked in red.", style="red"))
            return
        try:
            settings = self._settings_from_form()
        except (CredentialError, ValueError, TypeError) as exc:
            for field in self._fields_in_use():
                self._validate(field)
            self._show_test(Text(f"Cannot test: {safe_text(str(exc))}", style="red"))
            return
        config = self.app.config
        thresholds = PrinterThresholds.from_json(self._thresholds_from_form()).over(
            config.base_thresholds()) if config else None
        window = settings.timeout * (settings.retries + 1)
        self._show_test(Text(f"Testing {address} with SNMPv{settings.version}… (up to {window:g} s; "
                             "the form stays usable)", style="italic"))
        self.run_worker(self._run_test(address, settings, thresholds, self._test_seq, self._inverted()),
                        group="form-test",
                        exclusive=True, exit_on_error=False)

    def _show_test(self, text: Text) -> None:
        box = self.query_one("#test-result", Static)
        box.update(text)
        box.add_class("-shown")
        self.call_after_refresh(box.scroll_visible, animate=False)

    async def _run_test(self, address: str, settings: SnmpSettings, thresholds: Thresholds | None, seq: int,
                        inverted: bool = False) -> None:
        result = await self.app.test_connection(address, settings, thresholds, invert_receptacles=inverted)
        self.post_message(self.TestFinished(result, seq))

    @on(TestFinished)
    def _test_finished(self, message: TestFinished) -> None:
        if message.seq != self._test_seq:
            return
        self._show_test(describe_test(message.result))

    # -- save -------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        self._save_attempted = True
        bad = [field for field in self._fields_in_use() if not self._validate(field)]
        if bad:
            self._status("Not saved: fix the red fields.")
            self.query_one(f"#{bad[0]}", Input).focus()
            return
        if self.app.store is None:
            self._status("Not saved.")
            self.notify("The inventory could not be opened.", severity="error", markup=False)
            return
        self._status("")
        self._set_saving(True)
        self.run_worker(self._save(), group="form-save", exclusive=True, exit_on_error=False)

    def _status(self, message: str | Text) -> None:
        status = self.query_one("#form-status", Static)
        status.update(Text(message) if isinstance(message, str) else message)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.query_one("#save", Button).disabled = saving

    def _changes(self) -> dict[str, Any]:
        """Fields to give Store.update: only what differs from the record."""
        record = self.record
        changes: dict[str, Any] = {}
        address = str(parse_address(self._value("address")))
        if address != record.get("address"):
            changes["address"] = address
        name = self._value("name").strip()
        if name != self._shown("name"):
            changes["name"] = name
            changes["user_overridden"] = bool(name)  # cleared: let the sysName name it again
        location = self._value("location").strip()
        if location != self._shown("location"):
            changes["location"] = location
            changes["location_user_set"] = bool(location)
        notes = self._value("notes").strip()
        if notes != self._shown("notes", validate.NOTES_MAX):
            changes["notes"] = notes
        site = self._value("site").strip() or DEFAULT_SITE
        if site != (record.get("site") or DEFAULT_SITE):
            changes["site"] = site
        snmp = self._snmp_from_form()
        if snmp != (record.get("snmp") or {}):
            changes["snmp"] = snmp
        thresholds = self._thresholds_from_form()
        if thresholds != (record.get("thresholds") or PrinterThresholds().to_json()):
            changes["thresholds"] = PrinterThresholds.from_json(thresholds)
        if self._inverted() != bool(record.get("invert_receptacles")):
            changes["invert_receptacles"] = self._inverted()
        if self._select("protocol") != (record.get("protocol") or "snmp"):
            changes["protocol"] = self._select("protocol")
        return changes

    def _inverted(self) -> bool:
        return self.query_one("#invert-receptacles", Checkbox).value

    async def _unseen_same_printer_warnings(self) -> list[str]:
        """The same-printer check for an address typed and saved without leaving the field (a fast typist
        never blurs it): run now, in a thread, bounded like the check on blur."""
        try:
            address = str(parse_address(self._value("address")))
        except AddressError:
            return []
        if address in self._resolved or address == self.record.get("address"):
            return []
        printers = list(self.app.fleet.printers.values())
        return await asyncio.to_thread(validate.same_printer_warnings, address, printers,
                                       exclude_id=self.printer_id)

    async def _save(self) -> None:
        try:
            warnings = await self._unseen_same_printer_warnings()
            if self.printer_id is None:
                printer = Printer.new(self._value("address"), name=self._value("name").strip(),
                                      location=self._value("location").strip(), snmp=self._snmp_from_form(),
                                      thresholds=PrinterThresholds.from_json(self._thresholds_from_form()),
                                      invert_receptacles=self._inverted(), notes=self._value("notes").strip(),
                                      protocol=self._select("protocol"),
                                      site=self._value("site").strip() or DEFAULT_SITE)
                saved_id = (await self.app.add_printer(printer)).id
            else:
                changes = self._changes()
                if changes:
                    await self.app.update_printer(self.printer_id, **changes)
                saved_id = self.printer_id
        except DuplicatePrinter as exc:
            other = validate.find_duplicate(exc.address, self.app.fleet.printers.values(), self.printer_id)
            message = (validate.duplicate_message(exc.address, other) if other is not None
                       else f"{exc.address} is already in the inventory")
            self.post_message(self.SaveFailed(message, "address"))
        except validate.FieldError as exc:
            self.post_message(self.SaveFailed(exc.message, exc.field))
        except AddressError as exc:
            self.post_message(self.SaveFailed(str(exc), "address"))
        except StoreError as exc:
            self.post_message(self.SaveFailed(f"Not saved: {exc}"))
        except (TypeError, ValueError, OSError) as exc:
            self.post_message(self.SaveFailed(f"Not saved: {type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Saved(saved_id, warnings))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.notify("Printer saved." if self.editing else "Printer added.")
        for warning in message.warnings:
            self.app.notify(warning, title="The same printer twice?", severity="warning", timeout=15, markup=False)
        self.dismiss(message.printer_id)

    @on(SaveFailed)
    def _save_failed(self, message: SaveFailed) -> None:
        self._set_saving(False)
        problem = Text(safe_text(message.problem))
        if message.field:
            label = self.query_one(f"#{message.field}-error", Static)
            label.update(problem)
            label.add_class("-shown")
            self.query_one(f"#{message.field}", Input).focus()
            self._status("Not saved.")
        else:
            self._status("Not saved.")
            self.notify(safe_text(message.problem), title="Not saved", severity="error", timeout=15, markup=False)

    # -- buttons ------------------------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    async def _test_pressed(self) -> None:
        await self.run_action("test")  # as the key does: a session that may not poll says so (core/role.py)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        def leave() -> None:
            self.dismiss(None)

        leave_or_ask(self, self._initial, leave,
                     "this new printer" if not self.editing else "your changes to this printer")


def _own_text(value: Any) -> str:
    """A printer's own number as the form shows it ('' = it follows the default)."""
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def describe_test(result: PollResult) -> Text:
    """What a test poll found, as plain Text (device strings are never markup)."""
    text = Text()
    if not result.reachable:
        text.append("✖ Not reachable: ", style="bold red")
        text.append(safe_text(result.reasons[0] if result.reasons else "no reply", limit=200))
        return text
    ident = result.identity
    text.append("✔ Reachable", style="bold green")
    text.append(f"  {result.duration_ms:.0f} ms, {result.requests} requests\n", style="dim")
    for label, value in (("Name", ident.name), ("Model", ident.model), ("Serial", ident.serial)):
        text.append(f"{label}: ", style="dim")
        text.append(safe_text(value, limit=40) or "—")
        text.append("  ")
    text.append("\nStatus: ", style="dim")
    text.append_text(status_text(result.status))
    if result.reasons:
        text.append("  " + "; ".join(safe_text(r, limit=60) for r in result.reasons[:3]))
    # the ones that need attention first: with 8 shown, a full waste box must not be the one cut
    order = {"error": 0, "warning": 1}
    supplies = sorted((supply_view(s, result.supplies) for s in result.supplies),
                      key=lambda v: order.get(v.severity, 2))
    text.append("\nSupplies: ", style="dim")
    if supplies:
        text.append(", ".join(f"{v.label} {v.text}" for v in supplies[:8]))
        if len(supplies) > 8:
            text.append(f" (+{len(supplies) - 8} more)", style="dim")
    else:
        text.append("none reported")
    return text
