"""Sub-commands of `tonertrack`. Each module exposes `register(subparsers)`.

A module's parser sets `func=run`, where `run(args) -> int` returns the exit code
(0 success, 1 the work found problems, 2 usage error).
"""
