"""The secrecy scan run after every test on the demo world (docs/design.md: passcodes,
answers, codes, cryptograms and keys never reach a log, the local store or an audit
record).

It gathers every secret the test's world saw, from the real parts themselves: the
demo holders' answers and passcodes, every passcode the demo cards hold at the end,
every code the SMTP server delivered, and every cryptogram a card received. Then it
scans every file the test left behind (the kiosk's store and log, the service's
database with its WAL, the service's log) for each of them, as text and as hex.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from card import apdu, piv
from card.applet import Applet
from card.piv_applet import PivApplet
from contract.codes import group_code
from demo.world import DemoWorld
from tests.support import mailed_codes


@contextmanager
def listening(
    applet: type[Applet] | type[PivApplet], note: Callable[[bytes], None]
) -> Iterator[None]:
    """Show `note` every command a virtual card of class `applet` processes, until the
    block ends."""
    original = applet.process

    def process(self: Any, command: bytes) -> bytes:
        note(command)
        return original(self, command)

    applet.process = process  # type: ignore[method-assign]
    try:
        yield
    finally:
        applet.process = original  # type: ignore[method-assign]


@contextmanager
def recording_cryptograms() -> Iterator[list[bytes]]:
    """Record the cryptogram of every RESET RETRY COUNTER a virtual card receives."""
    seen: list[bytes] = []

    def note(command: bytes) -> None:
        if len(command) > 5 + apdu.CRYPTOGRAM_LENGTH and command[1] == apdu.Ins.RESET_RETRY_COUNTER:
            seen.append(bytes(command[5 : 5 + apdu.CRYPTOGRAM_LENGTH]))

    with listening(Applet, note):
        yield seen


@contextmanager
def recording_puks() -> Iterator[list[str]]:
    """Record every PUK and PIN a virtual PIV card receives (RESET RETRY COUNTER, CHANGE
    REFERENCE DATA, VERIFY): the escrowed PUKs the service released and rotated to,
    and the new passcodes, none of which the test could know otherwise."""
    seen: list[str] = []

    def note(command: bytes) -> None:
        ins = command[1] if len(command) > 1 else 0
        data = command[5 : 5 + command[4]] if len(command) > 5 else b""
        if ins in (piv.Ins.RESET_RETRY_COUNTER, piv.Ins.CHANGE_REFERENCE_DATA, piv.Ins.VERIFY):
            for start in range(0, len(data), piv.REFERENCE_LENGTH):
                try:
                    seen.append(piv.decode_reference(data[start : start + piv.REFERENCE_LENGTH]))
                except ValueError:
                    pass

    with listening(PivApplet, note):
        yield seen


def world_secrets(
    world: DemoWorld, cryptograms: Iterable[bytes], piv_secrets: Iterable[str] = ()
) -> set[str]:
    """Every secret this world saw (text forms; cryptograms as hex; PIV PUKs and PINs)."""
    found: set[str] = set(piv_secrets)
    for holder in [*world.demo_data["holders"], *world.demo_data.get("piv_holders", [])]:
        found.add(holder["pin"])
        if "puk" in holder:
            found.add(holder["puk"])
        found.update(str(a) for a in holder.get("answers", {}).values())
    if world.cards is not None:
        for key in ("locked", "working", "unregistered", "ra"):
            found.add(world.cards.personalisation(key).pin)
    for message in world.mail.mailbox.snapshot():
        body = message.get_body(("plain",))
        for code in mailed_codes(body.get_content() if body is not None else ""):
            found |= {code, group_code(code)}  # as typed, and as mailed
    found.update(c.hex() for c in cryptograms)
    return found


def scan(roots: Iterable[Path], secrets: set[str]) -> list[str]:
    """`file: secret` for every secret found in any file under `roots`."""
    hits = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".comm"):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            folded = data.lower()  # answers match whatever their case
            for secret in secrets:
                if not secret:
                    continue
                found = _found_as_itself(secret.lower().encode(), folded)
                if _is_hex32(secret):
                    found = found or bytes.fromhex(secret) in data
                if found:
                    hits.append(f"{path.name}: {secret[:2]}…")
    return hits


_HEX = frozenset(b"0123456789abcdef")


def _found_as_itself(secret: bytes, data: bytes) -> bool:
    """Whether `secret` is in `data` other than by chance inside a hash.

    A 6-digit passcode turns up by chance in a long enough run of random hex (a
    keyed fingerprint, an id): 1 in 16**6 per position. A match with hex on both
    sides inside a run of 32 or more hex characters is such a chance, not a leak;
    anything else counts, even a secret stored right beside other text, and a
    long secret (a cryptogram's hex) counts wherever it is.
    """
    start = data.find(secret)
    while start != -1:
        end = start + len(secret)
        left, right = start, end
        while left > 0 and data[left - 1] in _HEX:
            left -= 1
        while right < len(data) and data[right] in _HEX:
            right += 1
        inside_hash = len(secret) < 16 and left < start and right > end and right - left >= 32
        if not inside_hash:
            return True
        start = data.find(secret, start + 1)
    return False


def _is_hex32(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
