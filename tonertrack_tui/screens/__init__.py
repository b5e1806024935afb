"""One screen per file, named for what the user sees."""
