"""Typing in a real terminal: key written to the terminal to the screen update written back.

The app runs in a child process on a pseudo-terminal (the same device tmux gives a
program), with Textual's real Linux driver: keys go in as bytes on the terminal,
the screen comes back as escape sequences. Here we write one key at a time to the
terminal and time the app's answer: the first byte back, and the end of that
burst of output (no byte for QUIET seconds). Both apps type into a masked field:

- floor: a one-field Textual app with a bare `Input(password=True)`, focused;
- kiosk: the kiosk on real parts (the demo world: private pcscd + vpcd, the
  service, the SMTP catcher), driven to the code screen by bench/unlock.py's
  journey (a locked demo card, Continue, the answers), the code field focused.

The child tells us it is ready (and the field focused) on a pipe; keys are digits
with every 4th a backspace, at a typing pace. A text cursor blinks every 0.5 s and
the kiosk redraws its clock once a second; so each key is written just after the
output has been quiet for a while, and a sample whose burst holds more than the
key's own update is still counted (it can only make the kiosk look slower).

    python -m bench.typing_terminal [--quick|--full]
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import random
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, demo_kiosk, emit, ratio, summary

QUIET = 0.03  # seconds without output that end a burst
IDLE_BEFORE_KEY = 0.06  # quiet needed before a key is written
KEY_TIMEOUT = 3.0
SIZE = (100, 34)


# ---------------------------------------------------------------- the child side


def _ready(fd: int) -> None:
    os.write(fd, b"READY\n")


async def _floor_child(ready_fd: int) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class OneField(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(password=True, id="code")

        def on_mount(self) -> None:
            self.query_one(Input).focus()
            self.call_after_refresh(_ready, ready_fd)

    app = OneField()
    signal.signal(signal.SIGTERM, lambda *_: app.exit())
    await app.run_async()


async def _kiosk_child(ready_fd: int) -> None:
    from textual.widgets import Input

    from bench.unlock import AppJourneys
    from card.pcscd import PrivatePcscd
    from demo.world import DemoWorld

    pcscd = PrivatePcscd()
    pcscd.start()
    os.environ.update(pcscd.environ())
    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-typing-"))
    world = DemoWorld(workdir / "world", pcscd=pcscd).start()
    store = None
    try:
        holder = next(h for h in world.demo_data["holders"] if h["key"] == "locked")
        app, store = demo_kiosk(world, workdir)
        signal.signal(signal.SIGTERM, lambda *_: app.exit())
        journeys = AppJourneys(app, world, holder)

        async def at(where: str) -> None:
            if where != "code":
                return
            app.screen.query_one("#code", Input).focus()
            app.call_after_refresh(_ready, ready_fd)
            await asyncio.Event().wait()  # typed into until the app is told to exit

        async def drive() -> None:
            await asyncio.sleep(0.5)
            await journeys.one(0, at=at)

        driver = asyncio.create_task(drive())
        try:
            await app.run_async()
        finally:
            driver.cancel()
    finally:
        if store is not None:
            store.close()
        world.stop()
        pcscd.stop()


def child(kind: str, ready_fd: int) -> None:
    """Run one app on this process's terminal (stdin/stdout are the pty)."""
    runner = _floor_child if kind == "floor" else _kiosk_child
    asyncio.run(runner(ready_fd))


# ---------------------------------------------------------------- the parent side


class Terminal:
    """The master side of a pty with an app running on its slave side."""

    def __init__(self, kind: str, log: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        ready_r, ready_w = os.pipe()
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        # Textual draws on stderr: all three are the terminal, as in a real one.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.typing_terminal", "--child", kind, str(ready_w)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            pass_fds=(ready_w,),
            start_new_session=True,
            cwd=ROOT,
            env=env,
        )
        os.close(slave)
        os.close(ready_w)
        self.ready = ready_r
        self.received = 0
        self.log = log
        self.tail = b""

    def _read(self, timeout: float) -> float | None:
        """Read what is there within `timeout`; the time the first byte came, or None."""
        readable, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not readable:
            return None
        at = time.perf_counter()
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return None  # the child closed the terminal
        self.received += len(data)
        self.tail = (self.tail + data)[-20000:]  # for the log if the app fails
        return at

    def wait_ready(self, timeout: float) -> None:
        """Keep the terminal drained until the child says its field is focused."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.master, self.ready], [], [], 0.5)
            if self.ready in readable:
                if os.read(self.ready, 64).startswith(b"READY"):
                    self.settle(1.0)
                    return
            if self.master in readable:
                self._read(0)
            if self.proc.poll() is not None:
                self.log.write_bytes(self.tail)
                raise RuntimeError(
                    f"the app exited ({self.proc.returncode}) before it was ready; see {self.log}"
                )
        raise TimeoutError("the app never became ready")

    def settle(self, seconds: float) -> None:
        """Drain output for `seconds`."""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self._read(end - time.perf_counter())

    def quiet(self, needed: float, limit: float = 2.0) -> None:
        """Return once no output has come for `needed` seconds (or after `limit`)."""
        end = time.perf_counter() + limit
        while time.perf_counter() < end:
            if self._read(needed) is None:
                return

    def key(self, data: bytes) -> tuple[float, float] | None:
        """Write one key; seconds to the first byte back and to the end of that burst."""
        start = time.perf_counter()
        os.write(self.master, data)
        first = self._read(KEY_TIMEOUT)
        if first is None:
            return None
        last = first
        while (more := self._read(QUIET)) is not None:
            last = more
        return first - start, last - start

    def close(self) -> None:
        """Ask the app to exit, then make sure it has."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            end = time.monotonic() + 20
            while self.proc.poll() is None and time.monotonic() < end:
                self._read(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.master)
        os.close(self.ready)


def type_into(kind: str, keys: int, log: Path) -> dict[str, Any]:
    """Run one app on a pty and time `keys` key presses into its masked field."""
    term = Terminal(kind, log)
    firsts: list[float] = []
    ends: list[float] = []
    missed = 0
    rng = random.Random(7)
    try:
        term.wait_ready(90 if kind == "kiosk" else 30)
        typed = 0
        for i in range(keys):
            backspace = typed and i % 4 == 3
            term.quiet(IDLE_BEFORE_KEY)
            got = term.key(b"\x7f" if backspace else str(i % 10).encode())
            typed += -1 if backspace else 1
            if typed >= 7:  # keep inside the field's length; clear with backspaces
                for _ in range(typed):
                    term.quiet(IDLE_BEFORE_KEY)
                    term.key(b"\x7f")
                typed = 0
            if got is None:
                missed += 1
            else:
                firsts.append(got[0])
                ends.append(got[1])
            time.sleep(rng.uniform(0.02, 0.08))  # a typing pace
    finally:
        term.close()
    return {"first_byte": summary(firsts), "updated": summary(ends), "missed": missed}


def run(quick: bool = True) -> dict[str, Any]:
    """Both apps, the floor first, the same keys."""
    keys = int(os.environ.get("BENCH_TYPING_KEYS", 60 if quick else 200))
    logs = Path(tempfile.mkdtemp(prefix="ssu-bench-typing-logs-"))
    floor = type_into("floor", keys, logs / "floor.log")
    kiosk = type_into("kiosk", keys, logs / "kiosk.log")
    for fig in ("first_byte", "updated"):
        kiosk[fig]["ratio_median"] = ratio(kiosk[fig]["median"], floor[fig]["median"])
        kiosk[fig]["ratio_p95"] = ratio(kiosk[fig]["p95"], floor[fig]["p95"])
    return {
        "keys": keys,
        "size": list(SIZE),
        "quiet_s": QUIET,
        "floor": floor,
        "kiosk": kiosk,
        "how": (
            f"{keys} key presses (digits, every 4th a backspace) written to a pseudo-terminal "
            f"({SIZE[0]}x{SIZE[1]}, TERM=xterm-256color) with the app on its other side under "
            "Textual's real Linux driver, each after the output had been quiet for "
            f"{IDLE_BEFORE_KEY * 1000:.0f} ms; timed to the first byte of screen update back "
            f"and to the end of that burst ({QUIET * 1000:.0f} ms without a byte, not "
            "counted). Floor: a bare `Input(password=True)` in a one-field Textual app; "
            "kiosk: the code field on the code screen of a real unlock (demo world)."
        ),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
    else:
        emit(run(quick="--full" not in sys.argv))
