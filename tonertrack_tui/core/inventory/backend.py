"""The one place that picks the inventory's backend from the config (issue 19).

Every command and the App open the inventory here: `[storage] backend = "json"` (the
default: printers.json in the data dir) or `"postgresql"` (core/inventory/pgstore.py, with
psycopg from the `postgresql` extra). Both are a `Store`; nothing else needs to know which.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .store import Store


def open_store(config: Any, data_dir: Path | str) -> Store:
    storage = getattr(config, "storage", None)
    if storage is None or storage.backend == "json":
        return Store(data_dir)
    from .pgstore import PgStore, read_password

    return PgStore(data_dir, storage.dsn, read_password(storage.password_file))
