"""`ssu-kiosk` in a real terminal (tmux), and the steps a holder takes there with keys.

Shared by the end-to-end tests: the terminal, the command that runs the kiosk
against a demo world, and the few steps several journeys take alike (choosing
and answering questions, a new passcode, locking the card elsewhere, checking
that no secret was kept or shown).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from card import apdu
from card.apdu import PinState
from card.applet import CardPersonalisation
from card.piv_applet import PivPersonalisation
from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER, reader_has_card
from tests.faults.stall import Held
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = tomllib.loads((ROOT / "config" / "questions.toml").read_text())["questions"]
QUESTIONS = {q["text"]: q["id"] for q in CATALOGUE}
"""The catalogue's questions: English text to id."""


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
            # After the kiosk ends, the shell says how and keeps what was printed (a
            # start-up error, a traceback) on screen until close(), for the failure.
            f'env {env_args} {command}; echo "[the kiosk ended: status $?]"; sleep 3600',
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
            raise AssertionError(f"{text!r} not on screen; {self.last_seen()}") from None

    def last_seen(self) -> str:
        """The last screen captured, and the last one that was not blank if it was."""
        last = self.screens[-1] if self.screens else ""
        told = f"last screen:\n{last}"
        if not last.strip():
            shown = next((s for s in reversed(self.screens) if s.strip()), "")
            told += f"\nlast screen that was not blank:\n{shown}"
        return told

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def enter(self, *texts: str) -> None:
        """Type each text and press Enter after it, as a holder fills field after field."""
        for text in texts:
            self.type(text)
            self.keys("Enter")

    def pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def close(self) -> None:
        self._tmux("kill-server")


def need_tmux() -> None:
    """Fail (never skip) where tmux is missing."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it")


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


@contextmanager
def kiosk_terminal(
    name: str, world: DemoWorld, store: Path, env: Mapping[str, str] | None = None
) -> Iterator[Terminal]:
    """The kiosk running in a terminal of its own (extra environment over the usual);
    closed at the end."""
    need_tmux()
    command, usual = kiosk_command(world, store)
    term = Terminal(name, command, {**usual, **(env or {})})
    try:
        yield term
    finally:
        term.close()


# -- steps ---------------------------------------------------------------------------------


def asked_in_order(screen: str, texts: Mapping[str, str]) -> list[str]:
    """The ids of the questions on screen (texts: id to the text shown), top first."""
    shown = [qid for qid, text in texts.items() if text in screen]
    return sorted(shown, key=lambda qid: screen.index(texts[qid]))


ENGLISH = {qid: text for text, qid in QUESTIONS.items()}
"""The catalogue's questions: id to English text."""


def answer_questions(term: Terminal, screen: str, answers: Mapping[str, str]) -> list[str]:
    """Type the answers to the three questions on screen, in the order shown; their ids."""
    asked = asked_in_order(screen, ENGLISH)
    assert len(asked) == 3, screen
    for qid in asked:
        term.enter(answers[qid])
    return asked


def choose_questions(term: Terminal, chosen: Iterable[str]) -> None:
    """Choose the questions by keyboard: Down to each in the catalogue, Space to choose."""
    position = 0
    for qid in chosen:
        target = next(i for i, q in enumerate(CATALOGUE) if q["id"] == qid)
        for _ in range(target - position):
            term.keys("Down")
        term.keys("Space")
        position = target


def answer_each_twice(term: Terminal, answers: Mapping[str, str]) -> None:
    """Each answer typed twice, in the order the questions were chosen."""
    for answer in answers.values():
        term.enter(answer, answer)


@dataclass(frozen=True)
class RegistrationScreens:
    """What the registration screens say in one language: how a test knows where it is."""

    contact_details: str
    none_chosen: str
    all_chosen: str
    answers: str
    code: str


IN_ENGLISH = RegistrationScreens(
    contact_details="Your contact details",
    none_chosen="Chosen: 0 of 4",
    all_chosen="Chosen: 4 of 4",
    answers="Type each answer twice",
    code="This code finishes your registration",
)


def register_up_to_the_code(
    term: Terminal,
    email: str,
    chosen: Iterable[str],
    answers: Mapping[str, str],
    says: RegistrationScreens = IN_ENGLISH,
) -> None:
    """From the terms accepted to the registration code's screen: the contact details
    (checked on the kiosk first; the refusals are in the Pilot tests), four questions
    chosen by keyboard, each answer twice in the order chosen."""
    term.wait_text(says.contact_details)
    term.enter(email, "07700 900003")
    term.wait_text(says.none_chosen)
    choose_questions(term, chosen)
    term.wait_text(says.all_chosen)
    term.keys("Enter")
    term.wait_text(says.answers)
    answer_each_twice(term, answers)
    term.wait_text(says.code)


def lock_the_card_elsewhere(wrong: Iterable[str] = ("000001", "000002", "000003")) -> None:
    """Three wrong passcodes straight through `card/`, as a holder guessing elsewhere."""
    with CardSession.open(READER) as session:
        for passcode in wrong:
            with pytest.raises((apdu.WrongPin, apdu.PinBlocked)):
                session.verify(passcode)
        assert session.pin_status().state is PinState.BLOCKED


def take_the_card_out(world: DemoWorld) -> None:
    """Remove the card and wait until the reader is empty."""
    assert world.cards is not None
    world.cards.remove()
    wait_for(lambda: reader_has_card(False, READER), what="the card to be out")


def locked_elsewhere_and_back(
    world: DemoWorld, term: Terminal, waiting: str, locked: str, key: str = "unregistered"
) -> None:
    """Three wrong passcodes elsewhere lock the card; out of the reader (the kiosk says
    `waiting`) and in again, the kiosk says it is `locked`, and Enter starts the unlock."""
    lock_the_card_elsewhere()
    take_the_card_out(world)
    term.wait_text(waiting, timeout=30)
    assert world.cards is not None
    world.cards.insert(key)
    term.wait_text(locked)
    term.keys("Enter")


def assert_nothing_kept_or_shown(
    term: Terminal, secrets: Iterable[str], store_dir: Path | None = None
) -> None:
    """No secret in the kiosk's store files (when store_dir is given; there must be
    some) nor on any screen captured."""
    secrets = list(secrets)
    if store_dir is not None:
        files = [p for p in store_dir.glob("kiosk.*") if p.is_file()]
        assert files, "the kiosk wrote no store"
        for path in files:
            data = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data, f"a secret is in {path.name}"
    for shown in term.screens:
        for secret in secrets:
            assert secret not in shown, "a secret was on screen"


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def kill_kiosk(term: Terminal) -> None:
    """kill -9 the kiosk process (the child of the pane's shell)."""
    kiosk_pid = wait_for(lambda: _children(term.pid()), what="the kiosk process")[0]
    os.kill(kiosk_pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{kiosk_pid}").exists(), what="the kiosk to die")


def reach_code_step(world: DemoWorld, term: Terminal, key: str = "locked") -> None:
    """Insert the locked card `key`, start, answer its questions: at the code step."""
    who = holder(world, key)
    assert world.cards is not None
    term.wait_text("Insert your smartcard")
    world.cards.insert(key)
    term.wait_text("Your card is locked")
    term.keys("Enter")
    screen = term.wait_text("Answer your security questions")
    answer_questions(term, screen, who["answers"])
    term.wait_text("Check your email")


def kill_during_the_card_write(
    world: DemoWorld, store: Path, key: str, passcode: str, stall: Held
) -> CardPersonalisation | PivPersonalisation:
    """Take the locked card `key` to its new passcode, type it, and kill -9 the kiosk once
    the write has reached the card (the test's `stall` holds it there), then let the
    held command go: the card as the killed kiosk left it."""
    with kiosk_terminal("first", world, store) as first:
        reach_code_step(world, first, key=key)
        first.enter(latest_code(world, holder(world, key)["email"]))
        first.wait_text("Choose a new passcode")
        first.enter(passcode, passcode)
        wait_for(stall.reached.is_set, timeout=20, what="the write to reach the card")
        kill_kiosk(first)
    stall.release.set()
    assert world.cards is not None
    return world.cards.personalisation(key)


def resume_at_the_new_passcode(world: DemoWorld, store: Path, passcode: str) -> None:
    """Start the kiosk again (the card still in): it is back at the new passcode, and
    the unlock completes with `passcode`."""
    with kiosk_terminal("second", world, store) as second:
        second.wait_text("Choose a new passcode")
        second.enter(passcode, passcode)
        second.wait_text("Your card is unlocked", timeout=30)


def up_to_the_terms(world: DemoWorld, term: Terminal, key: str = "unregistered") -> None:
    """Insert the working card `key`, choose to register, give its passcode: at the terms."""
    assert world.cards is not None
    term.wait_text("Insert your smartcard")
    world.cards.insert(key)
    term.wait_text("Your card is working")
    term.keys("1")
    term.wait_text("Your passcode:")
    term.enter(holder(world, key)["pin"])
    term.wait_text("Terms and conditions of self-service")
