"""End to end: `ssu-kiosk` in a real terminal (tmux), driven by keys like a holder.

Real parts throughout: the kiosk process talks to a private pcscd with the vpcd
reader holding the demo locked card, to the unlock service over HTTP on
loopback, and the code is read from what the real SMTP server received. At the
end `card/` checks that the card accepts the new passcode, and the kiosk's store,
its log and every captured screen are scanned for the secrets used.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER
from tests.support import wait_for

pytestmark = pytest.mark.pcsc

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = {
    q["text"]: q["id"]
    for q in tomllib.loads((ROOT / "config" / "questions.toml").read_text())["questions"]
}
NEW_PASSCODE = "368142"


class Terminal:
    """One tmux session on a private tmux server."""

    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.socket = f"ssu-e2e-{os.getpid()}-{name}"
        self.name = name
        self.screens: list[str] = []
        env_args = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self._tmux(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "32",
            f"env {env_args} {command}; sleep 30",
        )

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def capture(self) -> str:
        text = self._tmux("capture-pane", "-p", "-t", self.name)
        self.screens.append(text)
        return text

    def wait_text(self, text: str, timeout: float = 20) -> str:
        def seen() -> str:
            screen = self.capture()
            return screen if text in screen else ""

        try:
            return wait_for(seen, timeout=timeout, interval=0.1, what=f"{text!r} on screen")
        except AssertionError:
            last = self.screens[-1]
            raise AssertionError(f"{text!r} not on screen; last screen:\n{last}") from None

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def close(self) -> None:
        self._tmux("kill-server")


def kiosk_command(world: DemoWorld, store: Path) -> tuple[str, dict[str, str]]:
    """The shell command and environment that run `ssu-kiosk` against the world."""
    env = {
        "PCSCLITE_CSOCK_NAME": os.environ["PCSCLITE_CSOCK_NAME"],
        "SSU_KIOSK_KIOSK_TOKEN": world.kiosk_token,
        "TERM": "xterm-256color",
    }
    args = [
        sys.executable,
        "-m",
        "kiosk",
        "--service-url",
        world.service_url,
        "--reader",
        READER,
        "--store",
        str(store),
    ]
    return " ".join(shlex.quote(a) for a in args), env


@pytest.fixture
def terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it")
    term = Terminal("kiosk", *kiosk_command(world, tmp_path / "kiosk.sqlite"))
    yield term
    term.close()


def test_unlock_in_a_real_terminal(world: DemoWorld, terminal: Terminal, tmp_path: Path) -> None:
    alex = holder(world, "locked")
    assert world.cards is not None
    terminal.wait_text("Insert your smartcard")
    # Lock-down: none of these keys gets the holder out of the app.
    for key in ("C-c", "C-q", "C-p", "C-z", "C-\\"):
        terminal.keys(key)
    terminal.wait_text("Insert your smartcard")

    world.cards.insert("locked")
    terminal.wait_text("Your card is locked")
    terminal.keys("Enter")
    screen = terminal.wait_text("Answer your security questions")
    asked = [qid for text, qid in QUESTIONS.items() if text in screen]
    assert len(asked) == 3, screen
    # the fields are in the order the questions are shown
    order = sorted(asked, key=lambda qid: screen.index(_text(qid)))
    for qid in order:
        terminal.type(alex["answers"][qid])
        terminal.keys("Enter")
    terminal.wait_text("Check your email")
    code = latest_code(world, alex["email"])
    terminal.type(code)
    # The code shows as typed, in groups of four, to check against the email.
    grouped = f"{code[:4]} {code[4:]}"
    terminal.wait_text(grouped)
    terminal.keys("Enter")
    terminal.wait_text("Choose a new passcode")
    left_code_screen = len(terminal.screens)
    terminal.type(NEW_PASSCODE)
    terminal.keys("Enter")
    terminal.type(NEW_PASSCODE)
    terminal.keys("Enter")
    terminal.wait_text("Your card is unlocked", timeout=30)

    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)

    secrets = [NEW_PASSCODE, code, *alex["answers"].values()]
    files = [p for p in tmp_path.glob("kiosk.*") if p.is_file()]
    assert files, "the kiosk wrote no store"
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path.name}"
    for shown in terminal.screens:
        for secret in secrets:
            assert secret not in shown, "a secret was on screen"
    for shown in terminal.screens[left_code_screen - 1 :]:
        assert grouped not in shown, "the code stayed on screen after its screen was left"


def _text(qid: str) -> str:
    return next(text for text, id_ in QUESTIONS.items() if id_ == qid)
