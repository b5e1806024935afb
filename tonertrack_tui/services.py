"""Everything the TUI needs from core, built once: config, store, history, fleet poller.

Loading never raises: a broken config or a corrupt printers.json ends up in
`load_error`, and the app opens an error screen that names the file instead of
starting on an empty (and then saved-over) inventory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .core.config import Config, ConfigError, Paths, load_config, resolve_paths
from .core.inventory.backend import open_store
from .core.inventory.printer import Printer
from .core.inventory.store import Store, StoreError
from .core.polling.fleet import FleetPoller
from .core.util.timeutil import utc_now


@dataclass
class Services:
    paths: Paths
    config: Config | None
    store: Store | None
    poller: FleetPoller | None
    clock: Callable[[], datetime] = utc_now
    load_error: str | None = None
    load_error_file: str | None = None
    printers: list[Printer] = field(default_factory=list)

    def reload_config(self) -> None:
        self.config = load_config(self.paths)
        if self.poller is not None:
            self.poller.config = self.config


def build_services(config_path: str | None = None, data_dir: str | None = None, *,
                   clock: Callable[[], datetime] | None = None) -> Services:
    paths = resolve_paths(config_path, data_dir)
    services = Services(paths=paths, config=None, store=None, poller=None, clock=clock or utc_now)
    try:
        services.config = load_config(paths)
    except ConfigError as exc:
        services.load_error = str(exc)
        services.load_error_file = str(paths.config_file)
        return services
    try:
        store = open_store(services.config, paths.data_dir)
    except StoreError as exc:
        services.load_error = str(exc)
        services.load_error_file = str(paths.config_file)
        return services
    services.store = store
    try:
        services.printers = store.load()
    except StoreError as exc:
        services.load_error = str(exc)
        services.load_error_file = str(store.path)
        return services
    services.poller = FleetPoller(store, services.config)
    return services
