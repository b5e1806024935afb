"""Crash-safe file primitives: private directories, atomic replace, O_APPEND lines, flock.

Every file TonerTrack writes may hold SNMP secrets, so files are created 0600 and the
directories it creates 0700, whatever the umask says.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import os
import secrets
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_MARK = ".tmp-"
TEST_STOP_ENV = "TONERTRACK_TEST_STOP_AT"  # test-only: see _test_stop
TEST_STOP_POINTS = ("before-write", "before-rename", "after-rename")
TEST_STOPPED = "TONERTRACK_TEST_STOPPED"


def file_token(path: Path | str) -> tuple[int, int, int] | None:
    """A cheap fingerprint of a file (mtime, size, inode) that any replacement changes; None
    when it is absent. Readers parse a file again only when its token moved."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) 0700; a directory we did not create keeps its mode."""
    path = Path(path)
    if path.is_dir():
        return path
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(d, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A temp file beside `path`; its name says which file it was going to become."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def stale_temps(path: Path) -> list[Path]:
    """Temp files of `path` left by a writer that died (call only while holding its lock)."""
    prefix = f".{path.name}{TEMP_MARK}"
    try:
        return [p for p in path.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def atomic_write_bytes(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace `path` with `data` all or nothing: temp file, fsync, rename, fsync the directory.

    On any error the old file is untouched, the temp file removed and the OSError raised.
    """
    path = Path(path)
    _test_stop(path, "before-write")
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:  # pragma: no cover - a write never returns 0 for regular files
                    raise OSError(errno.EIO, "short write")
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        _test_stop(path, "before-rename")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
    _test_stop(path, "after-rename")


def _test_stop(path: Path, point: str) -> None:
    """TEST-ONLY hook of the kill -9 drills (tests/adversarial/test_drills.py); inert unless the
    environment sets TONERTRACK_TEST_STOP_AT, which nothing but those tests does.

    With TONERTRACK_TEST_STOP_AT="<file name>:<point>" (e.g. "printers.json:before-rename") a write
    of that file stops at that point of `atomic_write_bytes` — before-write (nothing written yet),
    before-rename (temp file written and fsynced), after-rename (the new file in place; a Store
    has not appended its audit lines yet) — prints "TONERTRACK_TEST_STOPPED <file>:<point>" on
    stderr and waits until its stdin is closed, so a test kills it exactly there."""
    wanted = os.environ.get(TEST_STOP_ENV)
    if not wanted or wanted != f"{path.name}:{point}":  # the usual case: one dict lookup
        return
    os.write(2, f"{TEST_STOPPED} {wanted} {os.getpid()}\n".encode())
    try:
        while os.read(0, 4096):  # b"" once stdin is closed (or is /dev/null): carry on
            pass
    except OSError:
        pass


def append_lines(path: Path, lines: list[bytes], *, fsync: bool = True, mode: int = PRIVATE_FILE) -> None:
    """Append whole lines: one os.write per line on an O_APPEND fd, so concurrent writers never interleave.

    A writer killed in the middle of a write (SIGKILL between two pages of it) leaves a torn
    line without its newline: the next append starts on a fresh line, so the fragment never
    swallows a whole line that follows it."""
    if not lines:
        return
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, mode)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            _write_all(fd, b"\n")
        for line in lines:
            if not line.endswith(b"\n"):
                line += b"\n"
            _write_all(fd, line)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


class FileLock:
    """An exclusive fcntl.flock on a separate lock file, released on exit (or when the process dies).

    flock locks belong to the open file description, so two FileLocks on one path block each
    other even inside a single process.
    """

    def __init__(self, path: Path, *, shared: bool = False):
        self.path = Path(path)
        self.shared = shared
        self._fd: int | None = None

    def acquire(self, *, blocking: bool = True) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
        flags = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        if not blocking:
            flags |= fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def os_user() -> str:
    """Who is doing this, for the audit log and the fleet-poll lock."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry, no LOGNAME (containers)
        return f"uid:{os.getuid()}"
