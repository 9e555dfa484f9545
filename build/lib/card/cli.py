"""`ssu-card`: the virtual card and a small reader tool, for tests, the demo and humans.

    ssu-card insert [--port 35963] [--state working|locked|expired] [--holder KEY]
                    [--uuid U] [--serial HEX16] [--pin P] [--name N] [--state-file F]
    ssu-card status [--reader NAME]
    ssu-card verify PIN [--reader NAME]
    ssu-card readers

Exit status: 0 success; 1 the card said no (wrong passcode, blocked); 2 any other
failure (no reader, no card, no card service, bad arguments), with a plain message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from card.apdu import CardError, PinBlocked, PinState, WrongPin
from card.reader import CardSession, list_readers
from card.virtual import DEFAULT_PORT, VirtualCard, build_card, load_demo_holders, make_applet

DEFAULT_IDENTITY = {
    "uuid": "555000000099",
    "serial": "5353550000000099",
    "name": "Sam Taylor",
    "pin": "583920",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssu-card", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    ins = sub.add_parser("insert", help="insert a virtual card into the vpcd reader until stopped")
    ins.add_argument("--port", type=int, default=DEFAULT_PORT, help="vpcd slot port")
    ins.add_argument("--host", default="127.0.0.1", help="vpcd host (loopback by default)")
    ins.add_argument("--state", choices=["working", "locked", "expired"], default="working")
    ins.add_argument(
        "--holder",
        help="take uuid, serial, name and passcode from a demo holder "
        "(locked, working, unregistered in config/demo-holders.toml)",
    )
    ins.add_argument("--uuid", help="holder UUID, 12 digits")
    ins.add_argument("--serial", help="card serial, 16 hex digits")
    ins.add_argument("--pin", help="the card's passcode")
    ins.add_argument("--name", help="holder name")
    ins.add_argument("--expiry", help="expiry date YYYY-MM-DD (default: from --state)")
    ins.add_argument("--state-file", type=Path, help="persist passcode and counter here")

    for name, text in (("status", "read the card and print JSON"), ("readers", "list readers")):
        sp = sub.add_parser(name, help=text)
        if name == "status":
            sp.add_argument("--reader", help="reader name (default: $SSU_READER, else first card)")
    ver = sub.add_parser("verify", help="exit 0 only if the card accepts PIN")
    ver.add_argument("pin")
    ver.add_argument("--reader", help="reader name (default: $SSU_READER, else first card)")
    return p


def _identity(args: argparse.Namespace) -> dict[str, str]:
    ident = dict(DEFAULT_IDENTITY)
    if args.holder:
        holders = load_demo_holders()
        if args.holder not in holders:
            raise SystemExit(f"ssu-card: unknown demo holder {args.holder!r}: {sorted(holders)}")
        h = holders[args.holder]
        ident.update(uuid=h.uuid, serial=h.serial, name=h.name, pin=h.pin)
    for key in ("uuid", "serial", "name", "pin"):
        if getattr(args, key):
            ident[key] = getattr(args, key)
    return ident


def cmd_insert(args: argparse.Namespace) -> int:
    """Run a virtual card until SIGTERM/SIGINT (= removal)."""
    ident = _identity(args)
    try:
        serial = bytes.fromhex(ident["serial"])
        expiry = dt.date.fromisoformat(args.expiry) if args.expiry else None
        card = build_card(
            serial=serial,
            uuid=ident["uuid"],
            name=ident["name"],
            pin=ident["pin"],
            state=args.state,
            expiry=expiry,
        )
        applet = make_applet(card, state_file=args.state_file)
    except ValueError as exc:
        print(f"ssu-card: {exc}", file=sys.stderr)
        return 2
    vcard = VirtualCard(applet, host=args.host, port=args.port)

    def remove(signum: int, frame: FrameType | None) -> None:
        vcard.stop()

    signal.signal(signal.SIGTERM, remove)
    signal.signal(signal.SIGINT, remove)
    print(
        f"ssu-card: inserting card {serial.hex()} of {ident['name']} ({ident['uuid']}) "
        f"into vpcd at {args.host}:{args.port}; stop this process to remove it",
        file=sys.stderr,
        flush=True,
    )
    vcard.run_forever()
    print("ssu-card: card removed", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print the card's facts as JSON."""
    with CardSession.open(args.reader) as session:
        info = session.info()
        pin = session.pin_status()
    print(
        json.dumps(
            {
                "reader": session.reader,
                "serial": info.serial_hex,
                "uuid": info.uuid,
                "name": info.name,
                "expiry": info.expiry.isoformat(),
                "pin_state": "blocked" if pin.state is PinState.BLOCKED else "working",
                "tries_left": pin.tries_left if pin.tries_left is not None else 3,
            }
        )
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """VERIFY the passcode; exit 0 only when accepted."""
    with CardSession.open(args.reader) as session:
        try:
            session.verify(args.pin)
        except (WrongPin, PinBlocked) as exc:
            print(f"ssu-card: {exc}", file=sys.stderr)
            return 1
    print("ssu-card: passcode accepted", file=sys.stderr)
    return 0


def cmd_readers(args: argparse.Namespace) -> int:
    """One line per reader: name, then whether it holds a card."""
    readers = list_readers()
    if not readers:
        print("ssu-card: no card reader is connected", file=sys.stderr)
        return 2
    for r in readers:
        print(f"{r.name}\t{'card' if r.has_card else 'empty'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ssu-card`."""
    logging.basicConfig(level=logging.WARNING, format="ssu-card: %(message)s")
    args = _parser().parse_args(argv)
    commands = {
        "insert": cmd_insert,
        "status": cmd_status,
        "verify": cmd_verify,
        "readers": cmd_readers,
    }
    try:
        return commands[args.command](args)
    except CardError as exc:
        print(f"ssu-card: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. a passcode that is not 4-8 digits
        print(f"ssu-card: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
