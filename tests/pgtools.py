"""A real PostgreSQL server for the tests (issue 19): initdb + pg_ctl in a temporary directory,
a free port, its socket in that directory; run as an unprivileged user when the tests run as root
(postgres refuses root). One server per test session (per xdist worker); each test gets its own
database. Skipped, saying why, where the server binaries are missing."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return str(Path(found[-1]).parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


def missing() -> str | None:
    if _bin_dir() is None:
        return "PostgreSQL's server is not installed (Debian: apt install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'tonertrack-tui[postgresql]')"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            return "running as root with no unprivileged user to run postgres as"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    USER = "tonertrack"
    PASSWORD = "s3cret-db-pass"

    def __init__(self) -> None:
        self.bin = _bin_dir() or ""
        self.dir = Path(tempfile.mkdtemp(prefix="tt-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []

    def _run(self, argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.as_user + argv, check=True, capture_output=True, text=True, timeout=120, **kw)

    def start(self) -> PgServer:
        data = self.dir / "data"
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o755)
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                            "env", f"HOME={self.dir}"]
        pwfile = self.dir / "pw"
        pwfile.write_text(self.PASSWORD + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, pwd.getpwnam("nobody").pw_uid, -1)
        self._run([f"{self.bin}/initdb", "-D", str(data), "-U", self.USER, "--pwfile", str(pwfile),
                   "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"])
        pwfile.unlink()
        self._run([f"{self.bin}/pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-w", "-t", "60",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                         f"-c max_connections=200", "start"])
        return self

    def stop(self) -> None:
        try:
            self._run([f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"])
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def _ctl(self, action: str) -> None:
        self._run([f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-t", "60",
                   "-m", "fast", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                                     f"-c max_connections=200", action])

    def stop_only(self) -> None:
        """Stop the server, keeping its data (start_again brings it back on the same port)."""
        self._ctl("stop")

    def start_again(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._run([f"{self.bin}/pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "-t", "60",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "restart"])

    def dsn(self, db: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg

        name = f"tt_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), password=self.PASSWORD, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def started_server() -> PgServer:
    """A server of the test's own, started; the test skips, saying why, where it cannot run."""
    import pytest

    why = missing()
    if why:
        pytest.skip(f"no PostgreSQL server here: {why}")
    return PgServer().start()
