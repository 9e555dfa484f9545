"""Walk-up usability in a real terminal (issue 12): timing and layout, as a holder sees them.

`ssu-kiosk --demo` runs in tmux at the sizes a kiosk may have (80x24, 60x20,
200x50), with its own private pcscd, demo service and mail catcher, and is driven
by keys. What is asserted is what tmux shows.
"""

from __future__ import annotations

import re
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from demo.world import DemoWorld
from tests.conftest import CHEAP_ANSWER_HASHING
from tests.e2e.terminal import Terminal, kiosk_command, need_tmux, up_to_the_terms
from tests.support import wait_for

pytestmark = [pytest.mark.pcsc, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = {
    q["id"]: q["text"]
    for q in tomllib.loads((ROOT / "config" / "questions.toml").read_text())["questions"]
}
ALEX = next(
    h
    for h in tomllib.loads((ROOT / "config" / "demo-holders.toml").read_text())["holders"]
    if h["key"] == "locked"
)
MAILBOX = "Demo mailbox"


class SizedTerminal(Terminal):
    """A `Terminal` of a given size."""

    def __init__(self, name: str, command: str, env: dict[str, str], size: tuple[int, int]) -> None:
        super().__init__(name, command, env)
        width, height = size
        self._tmux("resize-window", "-t", name, "-x", str(width), "-y", str(height))

    def wait_gone(self, text: str, timeout: float = 10) -> str:
        """Wait until `text` is no longer on screen."""

        def gone() -> str:
            screen = self.capture()
            return screen if text not in screen else ""

        return wait_for(gone, timeout=timeout, interval=0.1, what=f"{text!r} gone")

    def holds(self, condition: Callable[[str], bool], seconds: float) -> str:
        """Check `condition` on every capture for `seconds`; the last capture."""
        end = time.monotonic() + seconds
        screen = self.capture()
        while True:
            assert condition(screen), f"condition broken; screen:\n{screen}"
            if time.monotonic() > end:
                return screen
            time.sleep(0.1)
            screen = self.capture()


@pytest.fixture
def demo_terminal(request: pytest.FixtureRequest) -> Iterator[Callable[[int, int], SizedTerminal]]:
    need_tmux()
    made: list[SizedTerminal] = []

    def start(width: int, height: int) -> SizedTerminal:
        # pytest sets COLUMNS and LINES; the kiosk must see the size of its tmux window.
        command = f"env -u COLUMNS -u LINES {sys.executable} -m kiosk --demo"
        # The demo's answer hashes at a test's cost: seeding them at the configured cost
        # took 24 s of a busy machine, and no test here times or checks the hashing.
        env = {"TERM": "xterm-256color", **CHEAP_ANSWER_HASHING}
        term = SizedTerminal(f"demo{len(made)}", command, env, (width, height))
        made.append(term)
        # A whole demo world starts first (pcscd, service, mail): slow on a busy machine.
        term.wait_text("Insert your smartcard", timeout=100)
        return term

    yield start
    for term in made:
        term.close()


def _asked(screen: str) -> list[str]:
    """The questions the questions screen asks ("1. ..."), in order (not the banner's)."""
    found = []
    for qid, text in QUESTIONS.items():
        match = re.search(rf"\d\. {re.escape(text)}", screen)
        if match:
            found.append((match.start(), qid))
    return [qid for _, qid in sorted(found)]


def _answer_all(term: SizedTerminal) -> None:
    """Type Alex's demo answers in the order the questions are asked."""
    screen = wait_for(
        lambda: (lambda s: s if len(_asked(s)) == 3 else "")(term.capture()),
        timeout=30,
        what="three questions on screen",
    )
    for qid in _asked(screen):
        term.type(ALEX["answers"][qid])
        term.keys("Enter")


def test_the_demo_mailbox_stays_until_esc_on_every_screen(demo_terminal) -> None:  # type: ignore[no-untyped-def]
    term = demo_terminal(100, 40)
    # Waiting for a card: the clock ticks every second under the mailbox.
    term.keys("F6")
    term.wait_text(MAILBOX)
    term.holds(lambda s: MAILBOX in s, 3)
    term.keys("Escape")
    term.wait_gone(MAILBOX)
    # The locked card.
    term.keys("F2")
    term.wait_text("Your card is locked")
    term.keys("F6")
    term.wait_text(MAILBOX)
    term.holds(lambda s: MAILBOX in s, 3)
    term.keys("Escape")
    term.wait_text("Press Enter to start")
    # A card taken out under the mailbox: the screen behind changes, the mailbox stays.
    term.keys("F6")
    term.wait_text(MAILBOX)
    term.keys("F5")
    term.holds(lambda s: MAILBOX in s, 3)
    term.keys("Escape")
    term.wait_text("Insert your smartcard")
    # The code screen: the code is read from the mailbox, as the README says.
    term.keys("F2")
    term.wait_text("Press Enter to start")
    term.keys("Enter")
    term.wait_text("Answer your security questions")
    _answer_all(term)
    term.wait_text("Check your email")
    term.keys("F6")
    term.wait_text("Your unlock code is")
    term.holds(lambda s: MAILBOX in s, 3)
    term.keys("Escape")
    term.wait_text("Check your email")


@pytest.fixture
def kiosk_terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    need_tmux()
    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    term = SizedTerminal("quick", f"env -u COLUMNS -u LINES {command}", env, (100, 32))
    yield term
    term.close()


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_enter_acts_as_soon_as_the_locked_card_screen_is_drawn(
    world: DemoWorld, kiosk_terminal: Terminal, delay: float
) -> None:
    term = kiosk_terminal
    assert world.cards is not None
    term.wait_text("Insert your smartcard")
    # The first card in a fresh kiosk (its screens are built then), and a second.
    for _ in range(2):
        world.cards.insert("locked")
        term.wait_text("Press Enter to start")
        time.sleep(delay)
        term.keys("Enter")
        term.wait_text("Answer your security questions", timeout=30)
        world.cards.remove()
        term.wait_text("Insert your smartcard", timeout=20)


# -- item 13: layout at the sizes a kiosk may have ------------------------------------

CONTACT = "scwcsu.smartcards@nhs.net"


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
def test_small_terminals_keep_an_answer_field_the_key_hints_and_the_contact(
    demo_terminal, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    term = demo_terminal(*size)
    term.keys("F2")
    term.wait_text("Your card is locked")
    term.keys("Enter")
    screen = term.wait_text("Type your answer")  # a field, not only the banner
    lines = screen.splitlines()
    assert any("Esc" in line and "Stop" in line for line in lines), screen
    assert any("F1  Help" in line for line in lines), "key hints cut off:\n" + screen
    assert CONTACT in screen.replace("\n", "").replace(" ", ""), "contact cut off:\n" + screen
    assert all(len(line.rstrip()) <= size[0] for line in lines)


def test_a_wide_terminal_keeps_a_readable_measure(demo_terminal) -> None:  # type: ignore[no-untyped-def]
    term = demo_terminal(200, 50)
    screen = term.capture()
    lead = next(line for line in screen.splitlines() if "Use this kiosk if" in line)
    assert len(lead.strip()) <= 100, f"a {len(lead.strip())}-column line:\n{screen}"
    # and the text is centred, not left at the edge with 100 empty columns after it
    assert len(lead) - len(lead.lstrip()) > 20, screen


# -- item 16: the first contact-details screen of a fresh kiosk ------------------------

SAM = next(
    h
    for h in tomllib.loads((ROOT / "config" / "demo-holders.toml").read_text())["holders"]
    if h["key"] == "unregistered"
)


def test_typing_straight_on_into_the_first_contact_details_screen_loses_nothing(
    world: DemoWorld, kiosk_terminal: Terminal
) -> None:
    term = kiosk_terminal
    assert world.cards is not None
    up_to_the_terms(world, term)
    # Accept, and type the email at once, as a holder who knows the next step does.
    term.keys("PageDown", "End")
    term.wait_text("I accept")
    term.keys("Enter", *SAM["email"])  # one burst, as from a fast typist
    term.wait_text("Your contact details")
    wait_for(
        lambda: (lambda s: s if SAM["email"] in s else "")(term.capture()),
        timeout=20,
        what="the email typed ahead, in its field",
    )
    term.keys("Enter")
    term.type("07700 900003")
    term.wait_text("07700 900003")


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` now (children of children too)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child nobody reaped has stopped running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_closing_the_demos_terminal_ends_the_kiosk_and_everything_it_started(
    demo_terminal,  # type: ignore[no-untyped-def]
) -> None:
    term = demo_terminal(80, 24)
    started = _descendants(term.pid())
    commands = " ".join(Path(f"/proc/{p}/cmdline").read_text() for p in started if _running(p))
    assert "kiosk" in commands and "pcscd" in commands and "service" in commands, commands
    term.keys("F2")  # a card in: the card thread and the reader are busy too
    term.wait_text("Alex Morgan", timeout=30)
    term.close()  # the terminal hangs up, as closing its window does
    wait_for(
        lambda: not any(_running(p) for p in started),
        timeout=45,
        interval=0.5,
        what="the demo kiosk, its pcscd and its service to end",
    )
