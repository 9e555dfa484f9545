"""A private pcscd with the vpcd virtual reader, for tests and the demo.

Follows the hermetic recipe of docs/design.md section 3: a reader.conf.d of our own
naming vpcd on our own ports, and pcscd started in a private mount namespace
with our directory bind-mounted over /run/pcscd, so its socket lands in our
directory and nobody else's pcscd is touched. Clients reach it through
PCSCLITE_CSOCK_NAME=<dir>/pcscd.comm (set before their first PC/SC call:
libpcsclite reads it once per process).

Needs root (unshare -m, mount --bind). vpcd listens on 0.0.0.0: this belongs on
development and test machines only, never on a production kiosk.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VPCD_LIBRARY_CANDIDATES = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so.0.8",
)


def vpcd_library() -> str:
    """Path of the vpcd reader driver (Debian package vsmartcard-vpcd)."""
    for path in VPCD_LIBRARY_CANDIDATES:
        if os.path.exists(path):
            return path
    raise FileNotFoundError("vpcd driver not found: install the vsmartcard-vpcd package")


def die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the process that started it dies.

    A demo or test killed outright must not leave its private pcscd (or service)
    running behind it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def free_port_pair(start: int = 36000, end: int = 40000) -> int:
    """A port P such that P and P+1 are free on this machine (vpcd uses two slots)."""
    rng = int.from_bytes(os.urandom(2), "big")
    for i in range(0, end - start, 2):
        port = start + (rng + i) % (end - start - 1)
        if all(_port_free(p) for p in (port, port + 1)):
            return port
    raise RuntimeError("no free port pair for vpcd")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


class PrivatePcscd:
    """Starts, stops and restarts one private pcscd with a vpcd reader."""

    def __init__(self, directory: Path | None = None, port: int | None = None) -> None:
        self.dir = Path(directory or tempfile.mkdtemp(prefix="ssu-pcscd-"))
        self.port = port or free_port_pair()
        self.run_dir = self.dir / "run"
        self.conf_dir = self.dir / "reader.conf.d"
        self.log_path = self.dir / "pcscd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        #: False to start without a vpcd reader (as if it were unplugged).
        self.write_config = True

    @property
    def socket_path(self) -> str:
        """Value for PCSCLITE_CSOCK_NAME."""
        return str(self.run_dir / "pcscd.comm")

    @property
    def reader_names(self) -> tuple[str, str]:
        """The two vpcd slots as pcscd names them."""
        return ("Virtual PCD 00 00", "Virtual PCD 00 01")

    def _write_config(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        if not self.write_config:
            (self.conf_dir / "vpcd").unlink(missing_ok=True)
            return
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME /dev/null:0x{self.port:04X}\n"
            f"LIBPATH {vpcd_library()}\n"
            f"CHANNELID 0x{self.port:04X}\n"
        )

    def start(self, timeout: float = 10.0) -> None:
        """Start pcscd and wait until it serves clients and vpcd listens."""
        if shutil.which("pcscd") is None:
            raise FileNotFoundError("pcscd not found: install the pcscd package")
        self._write_config()
        sock = Path(self.socket_path)
        if sock.exists():
            sock.unlink()
        script = 'mount --bind "$1" /run/pcscd && exec pcscd -f -c "$2"'
        os.makedirs("/run/pcscd", exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
                str(self.run_dir),
                str(self.conf_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pcscd exited early; see {self.log_path}")
            if sock.exists() and (not self.write_config or not _port_free(self.port)):
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"pcscd did not start within {timeout}s; see {self.log_path}")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop pcscd (SIGTERM, then SIGKILL) and wait for vpcd's port to close."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self._wait_port_free(timeout)

    def kill(self) -> None:
        """Kill pcscd at once (SIGKILL), as a crash would."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        self._wait_port_free(5)

    def _wait_port_free(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not _port_free(self.port):
            time.sleep(0.05)

    def restart(self) -> None:
        """Stop then start again on the same directory and ports."""
        self.stop()
        self.start()

    def environ(self) -> dict[str, str]:
        """Environment for client processes of this pcscd."""
        return {"PCSCLITE_CSOCK_NAME": self.socket_path}

    def __enter__(self) -> PrivatePcscd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
