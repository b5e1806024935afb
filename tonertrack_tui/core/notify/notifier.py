"""Notifications on transitions: what changed since the last message, and the channels that carry it.

## Transitions (`Notifier.process(printers)`)
Each printer's last *notified* state is kept in `<data dir>/notify_state.json` (written
atomically): its status, the supplies already reported low ({index: "warning"|"error"})
and those already forecast to run out. After every poll round the inventory's printers are
compared with it; an event is made only for a change, so one transition = one message,
whoever polled (the daemon, a TUI, a cron `poll --all`), and a restart does not resend.
On the postgresql backend the daemons keep that state in the database, one per site
(PgStore.with_notify_state, locked while a round is compared): the daemons of a shared site,
on several jump boxes, tell of each change once between them.

* status  to Warning, Error or Offline (from anything else); back to OK from Warning,
          Error or Offline. Unknown (first poll pending, not a printer) never notifies.
* supply_low  a supply's severity rises to warning or error (its threshold). A supply
          back at ok (replaced) is forgotten, so the next fall notifies again.
* forecast  a supply forecast (core/forecast.py, from the level history) to run out
          within `notify.forecast_days`; forgotten when the forecast goes above again.
A printer seen for the first time counts as coming from Unknown with nothing reported.

## Delivery
`process()` only queues: each channel has a worker thread of its own, so a hanging
webhook never delays polling nor the other channels. A failed send is retried with
exponential back-off (`retries`, `retry_backoff_s`, at most an hour between tries) and
logged with its reason (webhook URLs and SMTP passwords masked); a message that still
fails is logged as an error and appended to `notify_failed.jsonl`. Each channel sends
at most `max_per_hour` messages; beyond that, events are held and go out together as
one digest when the window allows. On `close()` unsent messages are saved to
`notify_pending.json` and queued again by the next Notifier on that data dir.

## The message body (webhook POST, command hook stdin)
    {"source": "tonertrack", "text": "<human summary>", "count": N, "events": [event, ...]}
event: {"type": "status"|"supply_low"|"forecast", "printer_id", "address", "name",
"location", "model", "status", "old_status", "reasons": [...], "supply": null |
{"index", "label", "kind", "color", "remaining_pct", "full_pct", "severity"},
"days_left": null | number, "time": ISO 8601 UTC, "text": one line}
"""

from __future__ import annotations

import json
import logging
import os
import signal
import smtplib
import ssl
import string
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ..inventory.printer import Printer
from ..printer.words import supply_name
from ..util.fsutil import append_lines, atomic_write_bytes, ensure_private_dir
from ..util.textsafe import safe_text

log = logging.getLogger("tonertrack.notify")

STATE_FILE = "notify_state.json"
PENDING_FILE = "notify_pending.json"
FAILED_FILE = "notify_failed.jsonl"
PROBLEM_STATUSES = ("Warning", "Error", "Offline")
MAX_BACKOFF_S = 3600.0
FORECAST_CANDIDATE_PCT = 50  # forecasts are read from history only for supplies below this
_SEVERITY_RANK = {"warning": 1, "error": 2}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- events


@dataclass(slots=True)
class Event:
    type: str  # status | supply_low | forecast
    printer_id: str
    address: str
    name: str
    location: str
    model: str
    status: str
    old_status: str | None
    reasons: list[str]
    text: str
    supply: dict[str, Any] | None = None
    days_left: float | None = None
    time: str = field(default_factory=utc_now)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Event:
        return cls(**{k: d.get(k) for k in cls.__slots__})  # type: ignore[arg-type]


def _printer_fields(printer: Printer) -> dict[str, Any]:
    address = safe_text(printer.address, limit=120)
    return {
        "printer_id": printer.id,
        "address": address,
        "name": safe_text(printer.name, limit=120) or address,
        "location": safe_text(printer.location, limit=120),
        "model": safe_text(printer.model, limit=120),
    }


def _who(p: dict[str, Any]) -> str:
    return p["name"] if p["name"] == p["address"] else f"{p['name']} ({p['address']})"


def status_event(printer: Printer, old: str | None, new: str) -> Event:
    p = _printer_fields(printer)
    result = printer.last_poll
    reasons = [safe_text(r, limit=200) for r in (result.reasons if result and new != "Offline" else [])]
    if new == "Offline":
        reasons = [printer.no_reply_text]
    if new == "OK":
        text = f"{_who(p)} is back to OK (was {old})"
    else:
        text = f"{_who(p)} is now {new}" + (f": {'; '.join(reasons[:4])}" if reasons else "")
    return Event("status", status=new, old_status=old, reasons=reasons, text=text, **p)


def _supply_json(supply: Any, siblings: list[Any]) -> dict[str, Any]:
    return {
        "index": safe_text(supply.index, limit=40),
        "label": safe_text(supply_name(supply, siblings), limit=120),
        "kind": supply.kind,
        "color": safe_text(supply.color, limit=40) or None,
        "remaining_pct": supply.remaining_pct,
        "full_pct": supply.full_pct if supply.is_receptacle else None,
        "severity": supply.severity,
    }


def supply_event(printer: Printer, supply: Any, siblings: list[Any]) -> Event:
    p = _printer_fields(printer)
    s = _supply_json(supply, siblings)
    level = f"{s['full_pct']} % full" if s["full_pct"] is not None else f"{s['remaining_pct']} %"
    word = "low" if supply.severity == "warning" else "very low"
    text = f"{_who(p)}: {s['label']} {level} ({word})"
    return Event("supply_low", status=printer.status, old_status=None, reasons=[f"{s['label']} {level}"],
                 text=text, supply=s, **p)


def forecast_event(printer: Printer, supply: Any, siblings: list[Any], days_left: float) -> Event:
    p = _printer_fields(printer)
    s = _supply_json(supply, siblings)
    goal = "until full" if supply.is_receptacle else "left"
    text = f"{_who(p)}: {s['label']} ~{max(0, int(days_left))} days {goal} (forecast)"
    return Event("forecast", status=printer.status, old_status=None, reasons=[text], text=text,
                 supply=s, days_left=round(float(days_left), 1), **p)


def _forecasts(history: Any, printer: Printer, supplies: list[Any], now: datetime) -> dict[str, Any]:
    try:
        from ..analysis.forecast import forecast_supplies
    except ImportError:  # core/forecast.py not there: the forecast event stays silent
        return {}
    try:
        return forecast_supplies(history, printer.id, supplies, now=now)
    except Exception as exc:  # a damaged history file must not stop notifications
        log.warning("forecast for %s failed: %s", safe_text(printer.address), exc)
        return {}


def compute_events(printers: Iterable[Printer], state: dict[str, Any], *, events: Iterable[str],
                   forecast_days: int = 0, history: Any = None, now: datetime | None = None) -> list[Event]:
    """Events for what changed since `state` (the last notified state), updating `state` in place."""
    wanted = set(events)
    now = now or datetime.now(UTC)
    notified = state.setdefault("printers", {})
    seen: set[str] = set()
    out: list[Event] = []
    for printer in printers:
        pid = printer.id
        seen.add(pid)
        known = notified.setdefault(pid, {"status": "Unknown", "low": {}, "forecast": []})
        old, new = known.get("status") or "Unknown", printer.status
        if new != old:
            if new in PROBLEM_STATUSES and new.lower() in wanted:
                out.append(status_event(printer, old, new))
            elif new == "OK" and old in PROBLEM_STATUSES and "ok" in wanted:
                out.append(status_event(printer, old, new))
            if new != "Unknown":  # Unknown is "no news": keep the last real status
                known["status"] = new
        result = printer.last_poll
        if result is None or printer.stale or not result.reachable:
            continue  # no fresh supply levels: what was reported stays reported
        low: dict[str, str] = known.setdefault("low", {})
        current = {s.index: s for s in result.supplies}
        for index in list(low):
            if index not in current or current[index].severity == "ok":
                del low[index]
        for supply in result.supplies:
            rank = _SEVERITY_RANK.get(supply.severity, 0)
            if rank and rank > _SEVERITY_RANK.get(low.get(supply.index, ""), 0):
                low[supply.index] = supply.severity
                if "supply_low" in wanted:
                    out.append(supply_event(printer, supply, result.supplies))
        if "forecast" in wanted and forecast_days > 0 and history is not None:
            forecast_sent = set(known.get("forecast") or [])
            candidates = [s for s in result.supplies
                          if s.remaining_pct is not None and s.remaining_pct < FORECAST_CANDIDATE_PCT]
            forecasts = _forecasts(history, printer, candidates, now) if candidates else {}
            still = set()
            for supply in candidates:
                f = forecasts.get(supply.index)
                days = getattr(f, "days_left", None)
                if days is not None and days <= forecast_days:
                    still.add(supply.index)
                    if supply.index not in forecast_sent:
                        out.append(forecast_event(printer, supply, result.supplies, days))
            known["forecast"] = sorted(still)
    for pid in list(notified):
        if pid not in seen:
            del notified[pid]  # removed from the inventory
    return out


# ---------------------------------------------------------------- messages


@dataclass(slots=True)
class Message:
    events: list[Event]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def text(self) -> str:
        if len(self.events) == 1:
            return self.events[0].text
        return f"{len(self.events)} printer events:\n" + "\n".join(f"- {e.text}" for e in self.events)

    @property
    def subject(self) -> str:
        if len(self.events) == 1:
            return "[TonerTrack] " + safe_text(self.events[0].text, limit=150)
        return f"[TonerTrack] {len(self.events)} printer events"

    def body(self) -> dict[str, Any]:
        return {"source": "tonertrack", "text": self.text, "count": len(self.events),
                "events": [e.to_json() for e in self.events]}

    def fields(self) -> dict[str, str]:
        """Template placeholders: the message's and its first event's."""
        first = self.events[0] if self.events else None
        out = {"text": self.text, "count": str(len(self.events)), "subject": self.subject}
        for key in ("type", "printer_id", "address", "name", "location", "model", "status", "old_status"):
            out[key] = "" if first is None or getattr(first, key) is None else str(getattr(first, key))
        return out


def render_template(template: str, message: Message) -> Any:
    """The template's JSON with $placeholders filled in *inside* its strings.

    The template is parsed first and values are substituted into the parsed strings, so
    a device string full of quotes and braces is escaped when the result is serialised,
    never pasted into JSON text. A string that is exactly "$events" becomes the list.
    """
    values = message.fields()
    events = [e.to_json() for e in message.events]

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            if node == "$events":
                return events
            return string.Template(node).safe_substitute(values)
        if isinstance(node, list):
            return [fill(x) for x in node]
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        return node

    return fill(json.loads(template))


# ---------------------------------------------------------------- masking


def mask_url(url: str) -> str:
    """scheme://host[:port]/… : webhook tokens live in paths, queries and user info."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<url>"
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}{port}{rest}"


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "••••••")
    return text


# ---------------------------------------------------------------- channels


class SendError(Exception):
    """A send failed; the message says why (secrets already masked)."""


class CommandSender:
    kind = "command"

    def __init__(self, hook: Any, name: str) -> None:
        self.argv = list(hook.argv)
        self.timeout = hook.timeout_s
        self.name = name

    @property
    def shown(self) -> str:
        return f"command {safe_text(self.argv[0], limit=80)}"

    def environment(self, message: Message) -> dict[str, str]:
        env = dict(os.environ)
        first = message.events[0] if message.events else None
        values = {
            "EVENT": "digest" if len(message.events) > 1 else (first.type if first else ""),
            "TEXT": message.text,
            "COUNT": str(len(message.events)),
            "MESSAGE_ID": message.id,
        }
        if first is not None:
            values.update({
                "PRINTER_ID": first.printer_id, "ADDRESS": first.address, "NAME": first.name,
                "LOCATION": first.location, "MODEL": first.model, "STATUS": first.status,
                "OLD_STATUS": first.old_status or "", "REASONS": "; ".join(first.reasons),
                "SUPPLY": (first.supply or {}).get("label") or "",
                "REMAINING_PCT": "" if not first.supply or first.supply.get("remaining_pct") is None
                else str(first.supply["remaining_pct"]),
                "DAYS_LEFT": "" if first.days_left is None else str(first.days_left),
            })
        for key, value in values.items():
            # no NUL or control characters can reach the environment (TEXT keeps its newlines)
            text = "\n".join(safe_text(line, limit=2000) for line in str(value).split("\n"))
            env[f"TONERTRACK_{key}"] = text
        return env

    def send(self, message: Message) -> None:
        data = json.dumps(message.body(), ensure_ascii=False).encode("utf-8")
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self.environment(message),
                                    start_new_session=True, close_fds=True)
        except OSError as exc:
            raise SendError(f"cannot run {self.argv[0]}: {exc.strerror or exc}") from None
        try:
            _out, err = proc.communicate(data, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the hook and whatever it started
            except OSError:
                proc.kill()
            proc.communicate()
            raise SendError(f"timed out after {self.timeout:g} s (killed)") from None
        if proc.returncode != 0:
            detail = safe_text(err.decode("utf-8", "replace"), limit=200)
            raise SendError(f"exited with status {proc.returncode}" + (f": {detail}" if detail else ""))


class WebhookSender:
    kind = "webhook"

    def __init__(self, hook: Any, name: str) -> None:
        self.url = hook.url
        self.template = hook.template
        self.timeout = hook.timeout_s
        self.headers = dict(hook.headers)
        self.name = name

    @property
    def shown(self) -> str:
        return f"webhook {mask_url(self.url)}"

    def payload(self, message: Message) -> bytes:
        body = render_template(self.template, message) if self.template.strip() else message.body()
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def send(self, message: Message) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "tonertrack"}
        headers.update(self.headers)
        request = urllib.request.Request(self.url, data=self.payload(message), headers=headers, method="POST")
        secrets = [self.url, *self.headers.values()]
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
                code = response.status
        except urllib.error.HTTPError as exc:
            raise SendError(f"HTTP {exc.code} {safe_text(exc.reason, limit=80)}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or isinstance(exc, TimeoutError):
                raise SendError(f"no answer within {self.timeout:g} s") from None
            raise SendError(scrub(safe_text(reason, limit=200), secrets)) from None
        if not 200 <= code < 300:
            raise SendError(f"HTTP {code}")


class EmailSender:
    kind = "email"

    def __init__(self, channel: Any, name: str) -> None:
        self.c = channel
        self.name = name

    @property
    def shown(self) -> str:
        return f"e-mail via {safe_text(self.c.host, limit=80)}"

    def password(self) -> str:
        c = self.c
        if c.password:
            return str(c.password)
        if c.password_file:
            try:
                return Path(c.password_file).expanduser().read_text("utf-8").splitlines()[0].strip()
            except (OSError, IndexError) as exc:
                raise SendError(f"cannot read the SMTP password file {c.password_file}: "
                                f"{getattr(exc, 'strerror', None) or exc}") from None
        if c.password_env:
            return os.environ.get(c.password_env, "")
        return ""

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.c.sender
        mail["To"] = ", ".join(self.c.to)
        mail["X-TonerTrack-Message-Id"] = message.id
        mail.set_content(message.text + "\n")
        mail.add_attachment(json.dumps(message.body(), indent=2, ensure_ascii=False), subtype="json",
                            filename="tonertrack-events.json")
        return mail

    def send(self, message: Message) -> None:
        c = self.c
        password = self.password()
        port = c.port or {"ssl": 465, "starttls": 587}.get(c.security, 25)
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, port, timeout=c.timeout_s,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(c.host, port, timeout=c.timeout_s)
            with smtp:
                if c.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if c.username:
                    smtp.login(c.username, password)
                smtp.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(scrub(f"login refused: {exc.smtp_code} {_smtp_text(exc.smtp_error)}", [password])) from None
        except smtplib.SMTPException as exc:
            raise SendError(scrub(f"SMTP error: {safe_text(exc, limit=200)}", [password])) from None
        except (OSError, ssl.SSLError) as exc:
            raise SendError(scrub(f"cannot talk to {c.host}:{port}: {safe_text(exc, limit=200)}", [password])) from None


def _smtp_text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return safe_text(value, limit=200)


# ---------------------------------------------------------------- delivery


@dataclass(slots=True)
class _Try:
    due: float
    attempt: int
    message: Message


class ChannelWorker:
    """One channel's queue and thread: rate limit, retries with back-off, give-up log."""

    def __init__(self, sender: Any, *, retries: int, backoff_s: float, max_per_hour: int,
                 on_gave_up: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.sender = sender
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_per_hour = max_per_hour
        self.on_gave_up = on_gave_up
        self.clock = clock
        self.sent_at: deque[float] = deque()
        self.sent = 0
        self.failures = 0
        self._tries: list[_Try] = []
        self._held: list[Message] = []
        self._inflight: Message | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name=f"notify-{sender.name}", daemon=True)
        self._thread.start()

    def submit(self, message: Message) -> None:
        with self._lock:
            self._tries.append(_Try(self.clock(), 0, message))
            self._idle.clear()
        self._wake.set()

    def _allowed(self, now: float) -> bool:
        while self.sent_at and now - self.sent_at[0] >= 3600:
            self.sent_at.popleft()
        return len(self.sent_at) < self.max_per_hour

    def _next(self) -> tuple[_Try | None, float | None]:
        """The next try that is due (taken off the list), else how long to wait."""
        with self._lock:
            now = self.clock()
            if self._held and self._allowed(now):
                held, self._held = self._held, []
                events = [e for m in held for e in m.events]
                return _Try(now, 0, Message(events)), None
            due = sorted((t for t in self._tries), key=lambda t: t.due)
            for t in due:
                if t.due <= now:
                    if not self._allowed(now):
                        self._tries.remove(t)
                        self._held.append(t.message)  # goes out later, merged into one digest
                        log.warning("%s: more than %d messages this hour; holding events for a digest",
                                    self.sender.shown, self.max_per_hour)
                        continue
                    self._tries.remove(t)
                    self._inflight = t.message
                    return t, None
            waits = [t.due - now for t in self._tries]
            if self._held:
                waits.append(3600 - (now - self.sent_at[0]) if self.sent_at else 0)
            if not waits:
                self._idle.set()
            return None, (max(0.01, min(waits)) if waits else None)

    def _run(self) -> None:
        while not self._stopping:
            item, wait = self._next()
            if item is None:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            self._attempt(item)

    def _attempt(self, item: _Try) -> None:
        name = self.sender.shown
        try:
            self.sender.send(item.message)
        except Exception as exc:  # a channel must never kill its worker
            reason = str(exc) if isinstance(exc, SendError) else f"{type(exc).__name__}: {safe_text(exc, limit=200)}"
            self.failures += 1
            with self._lock:
                self._inflight = None
                if item.attempt < self.retries and not self._stopping:
                    delay = min(MAX_BACKOFF_S, self.backoff_s * (2 ** item.attempt))
                    self._tries.append(_Try(self.clock() + delay, item.attempt + 1, item.message))
                    log.warning("%s: send failed (%s); retry %d of %d in %.1f s", name, reason,
                                item.attempt + 1, self.retries, delay)
                    return
            if self._stopping:
                with self._lock:
                    self._tries.append(_Try(self.clock(), item.attempt, item.message))
                return
            log.error("%s: giving up after %d attempts (%s): %s", name, item.attempt + 1, reason,
                      safe_text(item.message.text, limit=200))
            self.on_gave_up(self.sender, item.message, reason)
            return
        with self._lock:
            self._inflight = None
            self.sent += 1
            self.sent_at.append(self.clock())
        log.info("%s: sent %d event(s)", name, len(item.message.events))

    def wait_idle(self, timeout: float) -> bool:
        return self._idle.wait(timeout)

    def stop(self, timeout: float) -> list[Message]:
        """Stop after the send in progress (at most `timeout` s); returns what was not sent."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        with self._lock:
            unsent = [t.message for t in self._tries] + self._held
            if self._inflight is not None and self._thread.is_alive():
                unsent.insert(0, self._inflight)  # may be sent twice: better than lost
            self._tries, self._held = [], []
        return unsent


def build_senders(notify: Any) -> list[Any]:
    senders: list[Any] = []
    for i, hook in enumerate(notify.commands):
        senders.append(CommandSender(hook, hook.name or f"command-{i}"))
    for i, hook in enumerate(notify.webhooks):
        senders.append(WebhookSender(hook, hook.name or f"webhook-{i}"))
    for i, channel in enumerate(notify.emails):
        senders.append(EmailSender(channel, channel.name or f"email-{i}"))
    return senders


class Notifier:
    """Turns poll rounds into messages and hands them to the channels' workers."""

    def __init__(self, data_dir: Path | str, notify: Any, *, senders: list[Any] | None = None,
                 shared_state: Callable[[Callable[[dict[str, Any]], list[Event]]], list[Event]] | None = None
                 ) -> None:
        self.data_dir = Path(data_dir)
        self.notify = notify
        # the daemons of a site on postgresql share the notified state (PgStore.with_notify_state):
        # `shared_state(fn)` runs fn on it, locked, and saves it; otherwise it is the data dir's file
        self.shared_state = shared_state
        self.state_path = self.data_dir / STATE_FILE
        self.state = self._load_state()
        senders = build_senders(notify) if senders is None else senders
        self.workers = {
            s.name: ChannelWorker(s, retries=notify.retries, backoff_s=notify.retry_backoff_s,
                                  max_per_hour=notify.max_per_hour, on_gave_up=self._gave_up)
            for s in senders
        }
        self._requeue_pending()

    # -- state

    def _load_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text("utf-8"))
            if isinstance(data, dict) and isinstance(data.get("printers"), dict):
                return data
            log.warning("%s has an unexpected shape; starting afresh", self.state_path)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s); starting afresh", self.state_path, exc)
        return {"version": 1, "printers": {}}

    def _save_state(self) -> None:
        ensure_private_dir(self.data_dir)
        atomic_write_bytes(self.state_path, json.dumps(self.state, sort_keys=True).encode("utf-8"))

    # -- events in

    def process(self, printers: Iterable[Printer], *, history: Any = None,
                now: datetime | None = None) -> list[Event]:
        """Compare the inventory with the last notified state; queue messages for what changed."""
        printers = list(printers)

        def compare(state: dict[str, Any]) -> list[Event]:
            return compute_events(printers, state, events=self.notify.events,
                                  forecast_days=self.notify.forecast_days, history=history, now=now)

        if self.shared_state is not None:
            events = self.shared_state(compare)
        else:
            before = json.dumps(self.state, sort_keys=True)
            events = compare(self.state)
            if json.dumps(self.state, sort_keys=True) != before:
                self._save_state()
        if events and self.notify.enabled:
            for event in events:
                log.info("notify: %s", event.text)
            self.send(events)
        return events

    def send(self, events: list[Event]) -> None:
        if not self.workers:
            return
        messages = [Message(list(events))] if self.notify.digest else [Message([e]) for e in events]
        for worker in self.workers.values():
            for message in messages:
                worker.submit(Message(message.events))

    # -- delivery bookkeeping

    def _gave_up(self, sender: Any, message: Message, reason: str) -> None:
        line = {"time": utc_now(), "channel": sender.name, "kind": sender.kind, "reason": reason,
                "message": message.body()}
        try:
            ensure_private_dir(self.data_dir)
            append_lines(self.data_dir / FAILED_FILE, [json.dumps(line, ensure_ascii=False).encode("utf-8")])
        except OSError as exc:
            log.error("cannot record the failed notification in %s: %s", FAILED_FILE, exc)

    def _requeue_pending(self) -> None:
        path = self.data_dir / PENDING_FILE
        try:
            pending = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s); its messages are lost", path, exc)
            return
        count = 0
        for item in pending if isinstance(pending, list) else []:
            worker = self.workers.get(item.get("channel"))
            if worker is None:
                log.warning("a pending message for channel %r is dropped: no such channel now",
                            safe_text(item.get("channel")))
                continue
            events = [Event.from_json(e) for e in item.get("events") or []]
            worker.submit(Message(events, id=item.get("id") or uuid.uuid4().hex))
            count += 1
        try:
            path.unlink()
        except OSError:
            pass
        if count:
            log.info("re-queued %d unsent notification(s) from the last run", count)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(w.wait_idle(max(0.0, deadline - time.monotonic())) for w in self.workers.values())

    def close(self, timeout: float = 2.0) -> int:
        """Stop the workers; save what was not sent for the next run. Returns how many were saved."""
        pending = []
        deadline = time.monotonic() + timeout
        for name, worker in self.workers.items():
            for message in worker.stop(max(0.0, deadline - time.monotonic())):
                pending.append({"channel": name, "id": message.id, "events": [e.to_json() for e in message.events]})
        if pending:
            try:
                ensure_private_dir(self.data_dir)
                atomic_write_bytes(self.data_dir / PENDING_FILE, json.dumps(pending).encode("utf-8"))
                log.info("saved %d unsent notification(s) for the next run", len(pending))
            except OSError as exc:
                log.error("cannot save unsent notifications: %s", exc)
        return len(pending)
