"""Coverage-guided fuzzing (atheris) of the card layer's parsers, the vpcd framing
and the applet, as a script with a fixed number of runs.

Run by test_card_fuzz.py in a child process: libFuzzer ends its process when the
runs are done, which must not be the pytest process. Each input is split three
ways: a byte stream fed to FrameReader in uneven chunks, whose frames go to one
applet in order (so coverage feedback can reach deep states: SELECT, then
VERIFY, then CHANGE REFERENCE DATA...), and the raw bytes handed to every parser
of card answers. Only the card layer's own errors may come out of a parser; the
applet must answer every frame with a well-formed status word and keep its
counters in range.

Usage: python -m tests.badinput.fuzz_card -runs=N -seed=S
"""

from __future__ import annotations

import datetime as dt
import sys

import atheris

with atheris.instrument_imports():
    from card import apdu
    from card.applet import MAX_TRIES
    from card.virtual import FrameReader, VirtualCard, build_card, make_applet

KNOWN_SW = {int(sw) for sw in apdu.SW}
PARSERS = (
    apdu.parse_serial,
    apdu.parse_uuid,
    apdu.parse_expiry,
    apdu.parse_name,
    apdu.decode_pin,
)
CARD = dict(
    serial=bytes.fromhex("5353550000000042"),
    uuid="555000000042",
    name="Priya Shah",
    pin="583920",
    expiry=dt.date(2030, 1, 1),
)


def check_parsers(data: bytes) -> None:
    for parse in PARSERS:
        try:
            parse(data)
        except (apdu.CardError, ValueError):
            pass  # refusing is the job; anything else escapes and is a finding
    try:
        response = apdu.Response.parse(data)
        apdu.parse_pin_status(response)
    except apdu.CardError:
        pass


def check_applet(data: bytes, state: str) -> None:
    card = build_card(state=state, **CARD)  # type: ignore[arg-type]
    virtual = VirtualCard(make_applet(card))
    reader = FrameReader()
    # Uneven chunks: the first byte says where to cut, as TCP may.
    cut = (data[0] % 7) + 1 if data else 1
    for start in range(0, len(data), cut):
        for frame in reader.feed(data[start : start + cut]):
            answer = virtual.handle(frame)
            if answer is None:
                continue
            if len(frame) == 1:
                continue  # the ATR
            assert 2 <= len(answer) <= 258, answer
            sw = (answer[-2] << 8) | answer[-1]
            assert sw in KNOWN_SW or sw & 0xFFF0 == 0x63C0, hex(sw)
            assert 0 <= card.tries_left <= MAX_TRIES
            if card.tries_left == 0:
                # A blocked card never verifies, whatever it is sent.
                assert not (frame[1:4] == b"\x20\x00\x81" and sw == 0x9000), frame


def test_one_input(data: bytes) -> None:
    check_parsers(data)
    check_applet(data, "working" if len(data) % 2 else "locked")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
