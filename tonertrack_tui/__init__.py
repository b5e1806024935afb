"""TonerTrack TUI: a terminal monitor for office printer fleets."""

__version__ = "0.1.0"
