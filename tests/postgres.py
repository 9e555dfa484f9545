"""A private PostgreSQL cluster for the test session, from Debian's `postgresql` package.

The cluster is this session's own: `initdb` in a fresh temporary directory, the server
on a unix socket in that directory and on a free loopback port, stopped with
`pg_ctl stop -m fast` at the end. The system's cluster (if Debian's package started
one) is never touched. PostgreSQL refuses to run as root, and the tests run as root:
then every server command runs as the `postgres` system user the package creates, in a
directory that user owns. Local (socket) connections are trusted, since only root and
that user can reach a socket in a 0700 directory; loopback connections need a random
password, so another user on the machine cannot walk into the tests' databases.

Each caller gets a fresh database (`new_database`), so no test sees another's rows.
Speed over durability (fsync off): the cluster is thrown away after the session.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

#: The system user Debian's postgresql package creates; servers run as it when we are root.
SERVER_USER = "postgres"
#: The cluster's superuser (initdb -U); the tests connect as it.
SUPERUSER = "ssu_test"


def bin_dir() -> Path | None:
    """Debian's PostgreSQL server programs (the newest major version), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """One private cluster: start, hand out fresh databases, stop."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or bin_dir()
        if found is None:
            raise RuntimeError("no PostgreSQL server: install Debian's postgresql (make test)")
        self.bindir = found
        self.root: Path | None = None
        self.port = 0
        self.password = secrets.token_hex(16)
        self._admin: Engine | None = None

    # -- lifecycle -------------------------------------------------------------------

    def _as_server_user(self, *command: str | Path) -> list[str]:
        args = [str(c) for c in command]
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *args]
        return args

    def _run(self, *command: str | Path) -> None:
        done = subprocess.run(
            self._as_server_user(*command), capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.root and self.log.exists() else ""
            raise RuntimeError(
                f"{Path(str(command[0])).name} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{log[-2000:]}"
            )

    @property
    def data(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def log(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def start(self) -> PrivatePostgres:
        """initdb in a fresh directory and start the server; returns self."""
        # Not under pytest's tmp_path: its parents are 0700 root, which the server user
        # cannot enter. A short path also keeps the socket name within its limit.
        self.root = Path(tempfile.mkdtemp(prefix="ssu-pg-"))
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVER_USER, SERVER_USER)
            shutil.chown(pwfile, SERVER_USER, SERVER_USER)
        pwfile.chmod(0o600)
        self._run(
            self.bindir / "initdb",
            *("-D", self.data, "-U", SUPERUSER, "--pwfile", pwfile),
            *("--auth-local=trust", "--auth-host=scram-sha-256"),
            *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
        )
        pwfile.unlink()
        self.port = _free_port()
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c port={self.port}",
                f"-c unix_socket_directories={self.root}",
                # Thrown away after the session: durability buys nothing here.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                # Three service instances with their pools, plus the tests' own engines.
                "-c max_connections=300",
            ]
        )
        self._run(
            self.bindir / "pg_ctl",
            *("-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start"),
        )
        return self

    def running(self) -> bool:
        """Whether this cluster's server is up."""
        if self.root is None or not self.data.exists():
            return False
        status = subprocess.run(
            self._as_server_user(self.bindir / "pg_ctl", "-D", self.data, "status"),
            capture_output=True,
        )
        return status.returncode == 0

    def stop(self) -> None:
        """Stop the server (fast: open sessions are ended) and remove its directory."""
        if self.root is None:
            return
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        try:
            if self.running():
                self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    # -- databases -------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A psycopg 3 URL for database over loopback TCP (as a deployment connects)."""
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=self.password,
            host="127.0.0.1",
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        return self._admin

    def new_database(self) -> str:
        """Create a fresh, empty database; its URL."""
        name = f"ssu_test_{secrets.token_hex(6)}"
        with self._admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by new_database, ending any session still on it."""
        database = make_url(url).database
        assert database and database.startswith("ssu_test_"), url
        with self._admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
