"""The browser view (`tonertrack serve`): needs the `web` extra (textual-serve)."""
