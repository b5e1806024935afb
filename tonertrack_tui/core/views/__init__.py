"""What people read, without any UI: list rows, filter and sort, wording."""
