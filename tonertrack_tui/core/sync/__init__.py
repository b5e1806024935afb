"""Print-server sync: read a source's queues, plan the changes, apply them."""
