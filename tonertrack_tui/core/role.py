"""What a session may do: the read-only role and the viewer (a session that never polls).

`tonertrack --read-only` (or TONERTRACK_READ_ONLY=1, or `tonertrack serve --read-only`) looks and
never changes anything: no add, edit, delete, settings, sync, import, discover, poll, export to a
file. A viewer (every `tonertrack serve` session) never polls: it shows what the daemon or another
TonerTrack last stored, so ten browsers do not poll the fleet ten times.

The App refuses in one place (`TonerTrackApp.refuse`) by the action names below, which are the
actions of the key bindings in core/keymap.py; the CLI refuses the write commands
(commands/readonly.py). This is a guard against mistakes and a role for a shared screen, not a
security boundary between OS users: that is the file permissions of the data dir.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .inventory.store import StoreError

READ_ONLY_ENV = "TONERTRACK_READ_ONLY"
VIEWER_ENV = "TONERTRACK_VIEWER"

# action name (as bound in core/keymap.py, or an App method) → what it would have done, in words
CHANGES = {
    "add": "adding a printer",
    "edit": "editing a printer",
    "delete": "deleting a printer",
    "save": "saving",
    "settings": "changing settings",
    "save_settings": "saving settings",
    "sync": "print-server sync",
    "apply": "applying a sync",
    "import_inventory": "importing printers",
    "run_import": "importing printers",
    "discover": "discovering printers",
    "add_checked": "adding discovered printers",
    "move_aside": "moving the inventory file aside",
    "export": "exporting to a file",
    "screenshot": "saving a screenshot",
    "new": "adding a sync source",
    "switch": "turning a sync source on or off",
}
POLLS = {
    "poll_all": "polling the fleet",
    "poll": "polling a printer",
    "poll_one": "polling a printer",
    "test": "a connectivity test",
    "test_connection": "a connectivity test",
    "discover": "discovering printers",
}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "yes", "true", "on"}


@dataclass(frozen=True, slots=True)
class Role:
    read_only: bool = False
    viewer: bool = False  # never polls (auto-poll off, poll-now refused): shows what is stored

    @classmethod
    def from_env(cls, read_only: bool = False, viewer: bool = False) -> Role:
        """The role from the command line, widened (never narrowed) by the environment."""
        return cls(read_only=read_only or _flag(os.environ.get(READ_ONLY_ENV)),
                   viewer=viewer or _flag(os.environ.get(VIEWER_ENV)))

    @property
    def polls(self) -> bool:
        return not (self.read_only or self.viewer)

    @property
    def label(self) -> str:
        """The marker on screen ("" for a full session)."""
        if self.read_only:
            return "READ-ONLY"
        return "VIEWER" if self.viewer else ""

    def refusal(self, action: str) -> str | None:
        """Why this session may not run the action (None: it may). `action` is a binding's
        action string ("app.poll_all", "toggle_status('OK')") or an App method name."""
        name = action.rpartition(".")[2].partition("(")[0]
        if self.read_only and name in CHANGES:
            return f"Read-only session: {CHANGES[name]} is off."
        if (self.read_only or self.viewer) and name in POLLS:
            who = "Read-only session" if self.read_only else "Viewer session"
            return (f"{who}: {POLLS[name]} is off; it shows what the daemon or another "
                    "TonerTrack last stored.")
        return None


FULL = Role()


class ReadOnlyError(StoreError):
    """A change (or a poll) asked of a session whose role does not allow it (a StoreError, so
    every screen that shows why a save failed shows this too)."""
