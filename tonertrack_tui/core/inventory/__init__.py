"""The inventory: the printer model, validation, printers.json, audit log, history, imports."""
