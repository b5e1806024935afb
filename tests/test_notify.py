"""Notifications against real local servers: transitions from snmpsim recordings that change between polls."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tonertrack_tui.core.config import CommandHook, EmailChannel, NotifyConfig, Webhook, load_config, resolve_paths
from tonertrack_tui.core.inventory.printer import Printer
from tonertrack_tui.core.inventory.store import Store
from tonertrack_tui.core.notify.notifier import FAILED_FILE, PENDING_FILE, STATE_FILE, Notifier, mask_url
from tonertrack_tui.core.polling.fleet import FleetPoller
from tonertrack_tui.demo.simulator import Recording, SimFleet

DATA = Path(__file__).parent / "data"
EVIL_NAME = 'Evil "}], {"x": 1} \\ $text'


def inkjet_versions() -> list[Recording]:
    base = (DATA / "inkjet.snmprec").read_text("latin-1").splitlines()
    no_alert = [line for line in base if not line.startswith("1.3.6.1.2.1.43.18.1.1.")]

    def level(lines, value):
        return [f"1.3.6.1.2.1.43.11.1.1.9.1.3|2|{value}" if line.startswith("1.3.6.1.2.1.43.11.1.1.9.1.3|") else line
                for line in lines]

    evil = [f"1.3.6.1.2.1.1.5.0|4|{EVIL_NAME}" if line.startswith("1.3.6.1.2.1.1.5.0|") else line for line in base]
    return [
        Recording("ink_ok", "\n".join(level(no_alert, 80)) + "\n"),
        Recording("ink_low", "\n".join(base) + "\n"),
        Recording("ink_empty", "\n".join(level(base, 5)) + "\n"),
        Recording("ink_evil", "\n".join(evil) + "\n"),
    ]


@pytest.fixture(scope="module")
def ink_fleet():
    with SimFleet(inkjet_versions(), endpoints=1) as fleet:
        yield fleet


class Recorder:
    """An HTTP server on 127.0.0.1 recording POST bodies; `plan` scripts the answers."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        # per request: an HTTP status, ("hang", seconds) or ("block", threading.Event): answer 200 once set
        self.plan: list[object] = []
        self.blocked = 0  # requests held by a ("block", event) step right now
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                step = recorder.plan.pop(0) if recorder.plan else 200
                recorder.paths.append(self.path)
                if isinstance(step, tuple) and step[0] == "block":
                    recorder.blocked += 1
                    step[1].wait(120)
                    recorder.blocked -= 1
                    step = 200
                elif isinstance(step, tuple):
                    time.sleep(step[1])
                    step = 200
                else:
                    recorder.bodies.append(json.loads(body))
                self.send_response(step)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook/T000/SECRET-TOKEN-123") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    r = Recorder()
    yield r
    r.close()


HOOK_SCRIPT = """\
import json, os, sys
data = sys.stdin.read()
env = {k: v for k, v in os.environ.items() if k.startswith("TONERTRACK_")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"stdin": json.loads(data), "env": env}) + "\\n")
"""


@pytest.fixture
def hook(tmp_path):
    script = tmp_path / "hook.py"
    script.write_text(HOOK_SCRIPT)
    out = tmp_path / "hook.jsonl"
    return [sys.executable, str(script), str(out)], out


def wait_until(condition, what: str, timeout: float = 60.0) -> None:
    """Wait for a real condition (generous bound: this is no speed test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout} s"
        time.sleep(0.02)


def hook_calls(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


class Fleet:
    """One inventory printer on `ink_fleet` whose recording we switch by changing its community."""

    def __init__(self, tmp_path: Path, address: str, community: str) -> None:
        config_file = tmp_path / "config" / "config.toml"
        config_file.parent.mkdir(parents=True, exist_ok=True)
        # generous for snmpsim on a loaded machine: a printer that should answer is never taken for offline
        config_file.write_text("[polling]\ntimeout_s = 1\nretries = 1\noffline_after = 1\n")
        self.paths = resolve_paths(config_file, tmp_path / "data")
        self.config = load_config(self.paths)
        self.store = Store(self.paths.data_dir)
        self.printer = Printer.new(address, snmp={"community": community})
        self.store.transact(lambda printers: printers.append(self.printer), audit="add")

    def switch(self, community: str) -> None:
        def change(printers):
            printers[0].snmp["community"] = community
        self.store.transact(change, audit=None)

    def poll(self) -> list[Printer]:
        poller = FleetPoller(self.store, self.config)

        async def go():
            try:
                await poller.poll_all(by="test")
            finally:
                poller.close()

        asyncio.run(go())
        return self.store.load()


def notify_config(**kw) -> NotifyConfig:
    kw.setdefault("retry_backoff_s", 0.05)
    return NotifyConfig(**kw)


def test_transitions_dedupe_and_restart(ink_fleet, tmp_path, recorder, hook):
    argv, out = hook
    fleet = Fleet(tmp_path, ink_fleet.address(0), "ink_ok")
    config = notify_config(webhooks=(Webhook(url=recorder.url()),), commands=(CommandHook(argv=tuple(argv)),))
    notifier = Notifier(fleet.paths.data_dir, config)
    try:
        assert notifier.process(fleet.poll()) == []  # first poll: Unknown -> OK is no news

        fleet.switch("ink_low")
        events = notifier.process(fleet.poll())
        assert [(e.type, e.status) for e in events] == [("status", "Warning"), ("supply_low", "Warning")]
        assert events[0].old_status == "OK"
        assert events[1].supply["label"] == "Magenta ink" and events[1].supply["remaining_pct"] == 18
        assert notifier.wait_idle(60)
        texts = [b["text"] for b in recorder.bodies]
        # the device's "Magenta ink low" alert is the same problem and says nothing more (core/printer/problems.py)
        assert texts == [f"EPSON3A7F21 ({ink_fleet.address(0)}) is now Warning: Magenta ink 18 %",
                         f"EPSON3A7F21 ({ink_fleet.address(0)}): Magenta ink 18 % (low)"]
        body = recorder.bodies[0]
        assert body["source"] == "tonertrack" and body["count"] == 1
        assert body["events"][0]["type"] == "status" and body["events"][0]["printer_id"] == fleet.printer.id
        calls = hook_calls(out)
        assert len(calls) == 2
        assert calls[0]["stdin"] == body
        assert calls[0]["env"]["TONERTRACK_STATUS"] == "Warning"
        assert calls[0]["env"]["TONERTRACK_OLD_STATUS"] == "OK"
        assert calls[0]["env"]["TONERTRACK_NAME"] == "EPSON3A7F21"
        assert calls[1]["env"]["TONERTRACK_EVENT"] == "supply_low"
        assert calls[1]["env"]["TONERTRACK_REMAINING_PCT"] == "18"

        # no change: nothing sent
        assert notifier.process(fleet.poll()) == []

        fleet.switch("ink_empty")
        events = notifier.process(fleet.poll())
        assert [(e.type, e.status) for e in events] == [("status", "Error"), ("supply_low", "Error")]
        assert "very low" in events[1].text

        fleet.switch("no_such_community")  # silence: Offline after 1 failed poll (offline_after = 1)
        events = notifier.process(fleet.poll())
        assert [(e.type, e.status, e.old_status) for e in events] == [("status", "Offline", "Error")]

        fleet.switch("ink_ok")
        events = notifier.process(fleet.poll())
        assert [(e.type, e.status, e.old_status) for e in events] == [("status", "OK", "Offline")]
        assert "back to OK" in events[0].text
        assert notifier.wait_idle(60)
        assert len(recorder.bodies) == 6 and len(hook_calls(out)) == 6
    finally:
        notifier.close()

    state = json.loads((fleet.paths.data_dir / STATE_FILE).read_text())
    assert state["printers"][fleet.printer.id]["status"] == "OK"
    # a restarted notifier (the daemon after a restart) sends nothing for a state already notified
    again = Notifier(fleet.paths.data_dir, config)
    try:
        assert again.process(fleet.store.load()) == []
        fleet.switch("ink_low")
        assert [e.type for e in again.process(fleet.poll())] == ["status", "supply_low"]
    finally:
        again.close()


def test_webhook_500_is_retried_and_logged_with_token_masked(ink_fleet, tmp_path, recorder, caplog):
    caplog.set_level(logging.INFO, logger="tonertrack")
    fleet = Fleet(tmp_path, ink_fleet.address(0), "ink_low")
    recorder.plan = [500, 500]
    notifier = Notifier(fleet.paths.data_dir, notify_config(webhooks=(Webhook(url=recorder.url()),), retries=3,
                                                            events=("warning",)))
    try:
        assert len(notifier.process(fleet.poll())) == 1
        assert notifier.wait_idle(60)
    finally:
        notifier.close()
    assert len(recorder.paths) == 3  # two 500s, then delivered
    assert recorder.bodies[0] == recorder.bodies[2]
    assert "HTTP 500" in caplog.text and "retry 1 of 3" in caplog.text and "retry 2 of 3" in caplog.text
    assert "SECRET-TOKEN-123" not in caplog.text
    assert f"webhook http://127.0.0.1:{recorder.server.server_address[1]}/…" in caplog.text
    assert not (fleet.paths.data_dir / FAILED_FILE).exists()


def test_hanging_webhook_never_delays_polling_or_other_channels(ink_fleet, tmp_path, recorder, hook, caplog):
    # No clock: the webhook server holds every request until the test releases it. "slow" would
    # wait 60 s for its answer, so a process() or a command hook that waited for it could not
    # return / run before the release; "quick" gives up after 2 x 0.3 s without an answer.
    caplog.set_level(logging.INFO, logger="tonertrack")
    argv, out = hook
    fleet = Fleet(tmp_path, ink_fleet.address(0), "ink_low")
    release = threading.Event()
    recorder.plan = [("block", release)] * 3  # slow's one request, quick's two
    config = notify_config(webhooks=(Webhook(url=recorder.url("/slow/SECRET-TOKEN-123"), name="slow", timeout_s=60),
                                     Webhook(url=recorder.url("/quick/SECRET-TOKEN-123"), name="quick",
                                             timeout_s=0.3)),
                           commands=(CommandHook(argv=tuple(argv)),), retries=1, events=("warning",))
    notifier = Notifier(fleet.paths.data_dir, config)
    try:
        printers = fleet.poll()
        assert len(notifier.process(printers)) == 1  # returned: process() only queues
        wait_until(lambda: len(hook_calls(out)) == 1, "the command hook")
        wait_until(lambda: "giving up after 2 attempts" in caplog.text, "quick to give up")
        # the hook ran, quick gave up, and slow is still waiting for its answer
        assert "/slow/" in " ".join(recorder.paths) and recorder.blocked >= 1
        assert "no answer within 60 s" not in caplog.text
        release.set()
        assert notifier.wait_idle(60)
    finally:
        release.set()
        notifier.close()
    assert len(hook_calls(out)) == 1
    assert "no answer within 0.3 s" in caplog.text and "no answer within 60 s" not in caplog.text
    failed = [json.loads(x) for x in (fleet.paths.data_dir / FAILED_FILE).read_text().splitlines()]
    assert len(failed) == 1 and failed[0]["kind"] == "webhook"
    assert failed[0]["message"]["events"][0]["status"] == "Warning"


def test_template_json_escapes_device_strings(ink_fleet, tmp_path, recorder):
    fleet = Fleet(tmp_path, ink_fleet.address(0), "ink_evil")
    template = '{"text": "Printer: $name is $status", "attachments": [{"fallback": "$text"}], "all": "$events"}'
    notifier = Notifier(fleet.paths.data_dir, notify_config(webhooks=(Webhook(url=recorder.url(), template=template),),
                                                            events=("warning",)))
    try:
        notifier.process(fleet.poll())
        assert notifier.wait_idle(60)
    finally:
        notifier.close()
    [body] = recorder.bodies
    assert body["text"] == f"Printer: {EVIL_NAME} is Warning"
    assert body["attachments"][0]["fallback"].startswith(f"{EVIL_NAME} (")
    assert body["all"][0]["name"] == EVIL_NAME and set(body) == {"text", "attachments", "all"}


def test_hook_failures_are_logged_and_bounded(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="tonertrack")
    data = tmp_path / "data"
    store = Store(data)
    printer = Printer.new("10.9.9.9", name="P1", status="Error")
    store.transact(lambda r: r.append(printer), audit=None)
    sleeper = (sys.executable, "-c", "import time; time.sleep(120)")
    failing = (sys.executable, "-c", "import sys; sys.stderr.write('ticket system down'); sys.exit(3)")
    config = notify_config(commands=(CommandHook(argv=sleeper, timeout_s=0.3, name="slow"),
                                     CommandHook(argv=failing, name="bad")), retries=1)
    notifier = Notifier(data, config)
    try:
        assert [e.status for e in notifier.process(store.load())] == ["Error"]
        assert notifier.wait_idle(60)  # bounded: idle long before the 120 s sleeper could end by itself
    finally:
        notifier.close()
    assert "timed out after 0.3 s (killed)" in caplog.text
    assert "exited with status 3: ticket system down" in caplog.text
    assert len((data / FAILED_FILE).read_text().splitlines()) == 2


def test_rate_limit_holds_events_and_never_loses_them(tmp_path, recorder):
    data = tmp_path / "data"
    store = Store(data)
    printers = [Printer.new(f"10.9.9.{i}", name=f"P{i}", status="Error") for i in range(5)]
    store.transact(lambda r: r.extend(printers), audit=None)
    notifier = Notifier(data, notify_config(webhooks=(Webhook(url=recorder.url()),), max_per_hour=2))
    try:
        assert len(notifier.process(store.load())) == 5
        wait_until(lambda: len(recorder.bodies) >= 2, "two messages")
        time.sleep(0.2)  # a chance for a third to slip through (it never may: this cannot fail by slowness)
        assert len(recorder.bodies) == 2
    finally:
        saved = notifier.close()
    assert saved == 3
    pending = json.loads((data / PENDING_FILE).read_text())
    assert sum(len(p["events"]) for p in pending) == 3
    # the next run re-queues them (and the state says they were notified: no new events)
    again = Notifier(data, notify_config(webhooks=(Webhook(url=recorder.url()),), max_per_hour=100))
    try:
        assert again.process(store.load()) == []
        assert again.wait_idle(60)
    finally:
        again.close()
    assert len(recorder.bodies) == 5 and not (data / PENDING_FILE).exists()


def test_digest_sends_one_message_per_round(tmp_path, recorder):
    data = tmp_path / "data"
    store = Store(data)
    store.transact(lambda r: r.extend([Printer.new(f"10.9.9.{i}", name=f"P{i}", status="Warning") for i in range(3)]),
                   audit=None)
    notifier = Notifier(data, notify_config(webhooks=(Webhook(url=recorder.url()),), digest=True))
    try:
        notifier.process(store.load())
        assert notifier.wait_idle(60)
    finally:
        notifier.close()
    [body] = recorder.bodies
    assert body["count"] == 3 and body["text"].startswith("3 printer events:\n- P0 (10.9.9.0) is now Warning")


def test_mask_url():
    assert mask_url("https://hooks.slack.com/services/T0/B0/XXXX") == "https://hooks.slack.com/…"
    assert mask_url("https://user:pw@example.com:8443/?token=abc") == "https://example.com:8443/…"
    assert mask_url("http://example.com") == "http://example.com"


# ---------------------------------------------------------------- e-mail


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"tonertrack" and auth_data.password == b"s3cret-pass"
        return AuthResult(success=ok, handled=False)

    handler = Handler()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    yield controller, handler
    controller.stop()


def _email(controller, password: str, **kw) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=controller.port,
                        security="none", username="tonertrack", password=password, sender="tt@example.com",
                        to=("helpdesk@example.com",), timeout_s=5, **kw)


def test_email_sent_and_login_refused(tmp_path, smtp_server, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="tonertrack")
    controller, handler = smtp_server
    data = tmp_path / "data"
    store = Store(data)
    store.transact(lambda r: r.append(Printer.new("10.9.9.9", name='P "1"', status="Error")), audit=None)
    (tmp_path / "pw").write_text("s3cret-pass\n")
    monkeypatch.setenv("TT_SMTP_WRONG", "wrong-password-xyz")
    config = notify_config(emails=(_email(controller, "", password_file=str(tmp_path / "pw"), name="good"),
                                   _email(controller, "", password_env="TT_SMTP_WRONG", name="bad")), retries=1)
    notifier = Notifier(data, config)
    try:
        notifier.process(store.load())
        assert notifier.wait_idle(60)
    finally:
        notifier.close()
    [envelope] = handler.messages
    assert envelope.rcpt_tos == ["helpdesk@example.com"]
    text = envelope.content.decode()
    assert 'Subject: [TonerTrack] P "1" (10.9.9.9) is now Error' in text
    assert "login refused: 535" in caplog.text
    assert "wrong-password-xyz" not in caplog.text and "s3cret-pass" not in caplog.text


def test_a_site_s_daemon_tells_only_of_its_own_site(tmp_path, hook):
    """Each site's daemon notifies its own printers: 4 site daemons never send a problem 4 times."""
    argv, out = hook
    from test_netsim import NetSim

    config_file = tmp_path / "config.toml"
    config_file.write_text("[polling]\ntimeout_s = 0.3\nretries = 0\noffline_after = 1\n"
                           f"[notify]\nevents = [\"offline\"]\n[[notify.commands]]\nargv = {json.dumps(argv)}\n")
    with NetSim(live=0, dead=2) as sim:
        store = Store(tmp_path / "data")
        south = Printer.new(f"127.0.0.1:{sim.dead_ports[1]}", site="south")
        south.status, south.consecutive_failures = "Offline", 3  # as its own site's daemon left it
        store.transact(lambda rs: rs.extend([Printer.new(f"127.0.0.1:{sim.dead_ports[0]}", site="north"), south]))
        env = {**os.environ, "TONERTRACK_CONFIG": str(config_file), "TONERTRACK_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run([sys.executable, "-m", "tonertrack_tui", "daemon", "--site", "north", "--once"],
                              env=env, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {p.site: p.status for p in store.load()} == {"north": "Offline", "south": "Offline"}
    calls = hook_calls(out)
    assert [c["env"]["TONERTRACK_ADDRESS"] for c in calls] == [f"127.0.0.1:{sim.dead_ports[0]}"]
