"""The virtual cards: an applet spoken over the vpcd socket protocol.

`VpcdCard` is the one socket loop; any `CardApplication` (something with
`process(apdu) -> answer` and `reset()`) plugs into it. `VirtualCard` runs the
unlock applet (`card.applet`), `VirtualPivCard` the PIV application
(`card.piv_applet`).

vpcd (vsmartcard) is a pcscd reader driver listening on TCP. Connecting to it
inserts the card; closing the socket removes it. Each message either way is a
2-byte big-endian length then the payload. A 1-byte payload from the reader is
a control: 0 power off, 1 power on, 2 reset, 4 send ATR. Anything longer is a
command APDU, answered with the response APDU.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from card.applet import Applet, CardPersonalisation
from card.keys import MasterKeys, load_dev_keys
from card.piv_applet import (
    MAX_PIN_TRIES,
    MAX_PUK_TRIES,
    PivApplet,
    PivPersonalisation,
    ReferenceData,
)
from card.piv_ca import CardAuthority, demo_credentials

log = logging.getLogger(__name__)

DEFAULT_PORT = 35963
#: A T=1 ATR with historical bytes "SSU-KIOSK" (3B 8x: TD1 follows, T=1).
ATR = bytes.fromhex("3B8980015353552D4B494F534B") + b""
CTRL_POWER_OFF = 0
CTRL_POWER_ON = 1
CTRL_RESET = 2
CTRL_GET_ATR = 4


def _atr_with_tck(atr: bytes) -> bytes:
    # T=1 in TD1 requires the check byte TCK: XOR of all bytes after TS.
    tck = 0
    for b in atr[1:]:
        tck ^= b
    return atr + bytes([tck])


ATR_WITH_TCK = _atr_with_tck(ATR)
#: The virtual PIV card's ATR: T=1, historical bytes "SSU-PIV-CARD".
PIV_ATR_WITH_TCK = _atr_with_tck(bytes.fromhex("3B8C8001") + b"SSU-PIV-CARD")


def _quick_ack(sock: socket.socket) -> None:
    # Linux clears TCP_QUICKACK after use, so it is set again after each receive.
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
        except OSError:
            pass


class FramingError(Exception):
    """The vpcd stream broke its length-prefixed framing."""


def encode_frame(payload: bytes) -> bytes:
    """Length-prefix a payload for the vpcd socket."""
    if len(payload) > 0xFFFF:
        raise FramingError("payload longer than 65535 bytes")
    return len(payload).to_bytes(2, "big") + payload


class FrameReader:
    """Incremental decoder of vpcd frames from a byte stream."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add received bytes; return every complete payload so far."""
        self._buf += chunk
        frames: list[bytes] = []
        while len(self._buf) >= 2:
            size = int.from_bytes(self._buf[:2], "big")
            if len(self._buf) < 2 + size:
                break
            frames.append(bytes(self._buf[2 : 2 + size]))
            del self._buf[: 2 + size]
        return frames


class CardApplication(Protocol):
    """What the vpcd loop needs from a card's application."""

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU with a response APDU (data + status word)."""
        ...

    def reset(self) -> None:
        """Power off or reset: forget the session."""
        ...


class VpcdCard:
    """Runs one card application against a vpcd reader slot until stopped."""

    applet: CardApplication
    #: The ATR this card answers to vpcd's control 4.
    atr: bytes = ATR_WITH_TCK

    def __init__(
        self, applet: CardApplication, host: str = "127.0.0.1", port: int = DEFAULT_PORT
    ) -> None:
        self.applet = applet
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self.connected = threading.Event()

    def handle(self, payload: bytes) -> bytes | None:
        """Answer one payload from the reader; None when nothing is sent back."""
        if len(payload) == 1:
            ctrl = payload[0]
            if ctrl in (CTRL_POWER_OFF, CTRL_RESET, CTRL_POWER_ON):
                self.applet.reset()
                return None
            if ctrl == CTRL_GET_ATR:
                return self.atr
            log.warning("unknown vpcd control %d", ctrl)
            return None
        if not payload:
            return None
        return self.applet.process(payload)

    def connect(self, timeout: float = 10.0, retry: float = 0.2) -> None:
        """Insert the card: connect to vpcd, retrying while it is not listening."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=2)
                self._sock.settimeout(0.25)
                # One small frame each way per APDU: without these, Nagle and delayed
                # ACKs add about 40 ms to every exchange (measured in bench/).
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connected.set()
                return
            except OSError:
                if time.monotonic() >= deadline or self._stop.wait(retry):
                    raise

    def serve(self) -> None:
        """Answer the reader until stop() or the reader closes the socket."""
        if self._sock is None:
            self.connect()
        self._serve_once()
        self._stop.set()

    def _serve_once(self) -> None:
        sock = self._sock
        if sock is None:
            return
        frames = FrameReader()
        try:
            while not self._stop.is_set():
                try:
                    chunk = sock.recv(4096)
                except TimeoutError:
                    continue
                if not chunk:
                    log.info("vpcd closed the connection")
                    return
                _quick_ack(sock)
                for payload in frames.feed(chunk):
                    answer = self.handle(payload)
                    if answer is not None:
                        sock.sendall(encode_frame(answer))
        except OSError as exc:
            log.info("vpcd connection lost: %s", exc)
        finally:
            self._close()

    def remove(self) -> None:
        """Pull the card out: close the socket and stop serving."""
        self.stop()

    def _close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.connected.clear()

    def run_forever(self, reconnect: float = 0.5) -> None:
        """Stay inserted until stop(): reconnect whenever vpcd drops us.

        pcscd restarts close the socket; a physical card would still be in the
        reader afterwards, so the virtual one comes back as soon as vpcd listens.
        """
        while not self._stop.is_set():
            if self._sock is None:
                try:
                    self.connect(timeout=float("inf"), retry=reconnect)
                except OSError:
                    return
            self._serve_once()
            if not self._stop.is_set():
                self._stop.wait(reconnect)

    def stop(self) -> None:
        """Remove the card and end run_forever()."""
        self._stop.set()
        self._close()

    def start(self) -> threading.Thread:
        """Insert now and stay inserted in a daemon thread (for tests and the demo)."""
        self.connect()
        thread = threading.Thread(target=self.run_forever, name="virtual-card", daemon=True)
        thread.start()
        return thread


class VirtualCard(VpcdCard):
    """The card with the unlock applet (docs/design.md section 3, the applet table)."""

    applet: Applet

    def __init__(self, applet: Applet, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        super().__init__(applet, host, port)


class VirtualPivCard(VpcdCard):
    """A PIV card (NIST SP 800-73-4), as OpenSC and the PIV profile see it."""

    applet: PivApplet
    atr = PIV_ATR_WITH_TCK

    def __init__(
        self, applet: PivApplet, host: str = "127.0.0.1", port: int = DEFAULT_PORT
    ) -> None:
        super().__init__(applet, host, port)


# ---------------------------------------------------------------- personalisation


@dataclass(frozen=True)
class DemoHolder:
    """A demo holder from config/demo-holders.toml (public demo data)."""

    key: str
    uuid: str
    serial: str
    name: str
    pin: str
    card_state: str


DEMO_HOLDERS_PATH = Path(__file__).resolve().parent.parent / "config" / "demo-holders.toml"


def load_demo_holders(path: Path = DEMO_HOLDERS_PATH) -> dict[str, DemoHolder]:
    """The demo holders by key (locked, working, unregistered)."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {
        h["key"]: DemoHolder(
            key=h["key"],
            uuid=h["uuid"],
            serial=h["serial"],
            name=h["name"],
            pin=h["pin"],
            card_state=h["card_state"],
        )
        for h in data.get("holders", [])
    }


def state_expiry(state: str, today: dt.date) -> dt.date:
    """The expiry a virtual card of `state` is given when none is named: yesterday for an
    expired card, else the day before two years from today."""
    if state == "expired":
        return today - dt.timedelta(days=1)
    return today.replace(year=today.year + 2) - dt.timedelta(days=1)


def build_card(
    *,
    serial: bytes,
    uuid: str,
    name: str,
    pin: str,
    state: str = "working",
    expiry: dt.date | None = None,
    today: dt.date | None = None,
) -> CardPersonalisation:
    """A card personalisation for a state: working, locked (PIN blocked) or expired."""
    expiry = expiry or state_expiry(state, today or dt.date.today())
    return CardPersonalisation(
        serial=serial,
        uuid=uuid,
        name=name,
        expiry=expiry,
        pin=pin,
        tries_left=0 if state == "locked" else 3,
    )


def _saved_state(path: Path, key: str, value: str) -> dict[str, Any] | None:
    """The card state saved in `path` (None when there is no file); ValueError when it is
    another card's, its `key` not `value`."""
    try:
        saved: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    if saved.get(key) != value:
        raise ValueError(f"{path} holds the state of another card ({saved.get(key)})")
    return saved


def load_state(path: Path, card: CardPersonalisation) -> None:
    """Apply a saved PIN and counter (if the file exists and is for this card)."""
    saved = _saved_state(path, "serial", card.serial.hex())
    if saved is None:
        return
    card.pin = str(saved["pin"])
    card.tries_left = int(saved["tries_left"])


def state_saver(path: Path) -> Callable[[CardPersonalisation], None]:
    """A callback persisting PIN and counter atomically, as a card's EEPROM would.

    The file is the card's own memory (it holds the PIN like the chip does);
    it is a test and demo artefact, created 0600.
    """

    def save(card: CardPersonalisation) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            state = {"serial": card.serial.hex(), "pin": card.pin, "tries_left": card.tries_left}
            json.dump(state, f)
        os.replace(tmp, path)

    return save


def make_applet(
    card: CardPersonalisation,
    masters: MasterKeys | None = None,
    state_file: Path | None = None,
) -> Applet:
    """An applet personalised with keys derived from the (dev) masters."""
    masters = masters or load_dev_keys()
    if state_file is not None:
        load_state(state_file, card)
    keys = masters.card_keys(card.serial)
    return Applet(card, keys, on_change=state_saver(state_file) if state_file else None)


# ---------------------------------------------------------------- PIV personalisation

#: The demo PUK of a virtual PIV card when none is given (public test data, like
#: YubiKey's factory 12345678; enrolment replaces it with an escrowed one).
DEFAULT_PIV_PUK = "12345678"
#: GUID prefix of virtual PIV cards made from an 8-byte serial: "SSU-PIV" and a zero.
PIV_GUID_PREFIX = b"SSU-PIV\x00"


def piv_guid(serial: bytes) -> bytes:
    """The GUID of a virtual PIV card: 16 bytes as given, or "SSU-PIV\\0" + an 8-byte serial."""
    if len(serial) == 16:
        return serial
    if len(serial) == 8:
        return PIV_GUID_PREFIX + serial
    raise ValueError("a PIV card's serial is 8 bytes (made into a GUID) or a 16-byte GUID")


def build_piv_card(
    *,
    serial: bytes,
    uuid: str,
    name: str,
    pin: str,
    puk: str = DEFAULT_PIV_PUK,
    state: str = "working",
    expiry: dt.date | None = None,
    today: dt.date | None = None,
    ca: CardAuthority | None = None,
) -> PivPersonalisation:
    """A PIV card for a state: working, locked (PIN blocked), expired, or dead
    (PIN and PUK blocked: it can never be unblocked). Keys and certificates come
    from the demo card CA (`card.piv_ca.demo_credentials`)."""
    expiry = expiry or state_expiry(state, today or dt.date.today())
    guid = piv_guid(serial)
    return PivPersonalisation(
        guid=guid,
        uuid=uuid,
        name=name,
        expiry=expiry,
        pin=ReferenceData.of(pin),
        puk=ReferenceData.of(puk),
        credentials=demo_credentials(guid=guid, uuid=uuid, name=name, expiry=expiry, ca=ca),
        pin_tries_left=0 if state in ("locked", "dead") else MAX_PIN_TRIES,
        puk_tries_left=0 if state == "dead" else MAX_PUK_TRIES,
    )


def load_piv_state(path: Path, card: PivPersonalisation) -> None:
    """Apply a saved PIN, PUK and counters (if the file exists and is for this card)."""
    saved = _saved_state(path, "guid", card.guid.hex())
    if saved is None:
        return
    card.pin = ReferenceData.from_json(saved["pin"])
    card.puk = ReferenceData.from_json(saved["puk"])
    card.pin_tries_left = int(saved["pin_tries_left"])
    card.puk_tries_left = int(saved["puk_tries_left"])


def piv_state_saver(path: Path) -> Callable[[PivPersonalisation], None]:
    """A callback persisting PIN, PUK and counters atomically (the card's EEPROM).

    Like a chip, the file keeps reference data, not values: the PIN and the PUK
    are each a random salt and an scrypt digest, never the digits. The file is
    created 0600 and is a test and demo artefact: someone who reads it could
    still guess an 8-digit PUK through scrypt offline, which a real chip does
    not allow, so it never belongs on a production machine.
    """

    def save(card: PivPersonalisation) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            state = {
                "guid": card.guid.hex(),
                "pin": card.pin.to_json(),
                "puk": card.puk.to_json(),
                "pin_tries_left": card.pin_tries_left,
                "puk_tries_left": card.puk_tries_left,
            }
            json.dump(state, f)
        os.replace(tmp, path)

    return save


def make_piv_applet(card: PivPersonalisation, state_file: Path | None = None) -> PivApplet:
    """A PIV applet, remembering PIN, PUK and counters in `state_file` when given."""
    if state_file is not None:
        load_piv_state(state_file, card)
    return PivApplet(card, on_change=piv_state_saver(state_file) if state_file else None)
