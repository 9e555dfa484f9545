"""Card noticed: vpcd socket connected to the insertion seen, floor vs watcher vs app.

One private pcscd (card.pcscd.PrivatePcscd) serves this whole process: libpcsclite
reads PCSCLITE_CSOCK_NAME once per process, so it is set before any PC/SC call.

Every insertion is seen at the same time by:
- the floor: a bare loop of smartcard.scard.SCardGetStatusChange on the reader;
- phase 1: our card.watcher.CardWatcher;
- phase 2: the kiosk app (built like tests/app/conftest.py, on the demo service), run
  headless under Textual's Pilot: the time its flow state becomes CardStatus (the
  card has been read: CardInserted, ReadCard over PC/SC, CardRead), and the time the
  Pilot has let the screen refresh after that.
t0 is taken when VirtualCard.connect() returns. A random pause of 0-0.4 s between
cycles spreads insertions over pcscd's 400 ms vpcd polling period.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import READER, demo_kiosk, emit, ratio, rss_kib, summary
from card.pcscd import PrivatePcscd

EVENT_TIMEOUT = 5.0


class Stamps:
    """Thread-safe 'first time X was seen after t' records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[str, float]] = []

    def add(self, kind: str) -> None:
        """Record `kind` now."""
        now = time.perf_counter()
        with self._lock:
            self._events.append((kind, now))

    def first_after(self, kind: str, t0: float) -> float | None:
        """The first `kind` at or after t0, if any."""
        with self._lock:
            for k, t in self._events:
                if k == kind and t >= t0:
                    return t
        return None

    def wait(self, kind: str, t0: float, timeout: float = EVENT_TIMEOUT) -> float | None:
        """Block until `kind` has been recorded at or after t0 (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.first_after(kind, t0)
            if t is not None:
                return t
            time.sleep(0.002)
        return None


class FloorLoop:
    """The floor: a bare SCardGetStatusChange loop on one reader, in a thread."""

    def __init__(self, stamps: Stamps, reader: str = READER) -> None:
        self.stamps = stamps
        self.reader = reader
        self._stop = threading.Event()
        self._ctx: int | None = None
        self._thread = threading.Thread(target=self._run, name="floor-loop", daemon=True)

    def start(self) -> None:
        """Establish a context and watch in a daemon thread."""
        from smartcard import scard

        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(f"SCardEstablishContext: {scard.SCardGetErrorMessage(hresult)}")
        self._ctx = ctx
        self._thread.start()

    def _run(self) -> None:
        from smartcard import scard

        states: list[tuple[str, int]] = [(self.reader, scard.SCARD_STATE_UNAWARE)]
        present: bool | None = None
        while not self._stop.is_set():
            hresult, changed = scard.SCardGetStatusChange(self._ctx, 500, states)
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                if self._stop.is_set():
                    return
                time.sleep(0.1)
                continue
            new_states = []
            for name, event_state, _atr in changed:
                now_present = bool(event_state & scard.SCARD_STATE_PRESENT)
                if present is not None and now_present != present:
                    self.stamps.add("inserted" if now_present else "removed")
                present = now_present
                new_states.append((name, event_state & ~scard.SCARD_STATE_CHANGED))
            states = new_states

    def stop(self) -> None:
        """Cancel the wait and release the context."""
        from smartcard import scard

        self._stop.set()
        if self._ctx is not None:
            scard.SCardCancel(self._ctx)
        self._thread.join(2)
        if self._ctx is not None:
            scard.SCardReleaseContext(self._ctx)


def _quickack_card_class() -> type[Any]:
    """A bench-only VirtualCard that acks at once (TCP_QUICKACK) and sends without Nagle.

    Diagnostic only: it shows how much of an APDU round trip on the virtual card is
    the TCP delayed-ACK / Nagle interplay on the vpcd socket rather than PC/SC.
    """
    import socket

    from card.virtual import FrameReader, VirtualCard, encode_frame

    class QuickAckCard(VirtualCard):
        def _serve_once(self) -> None:
            sock = self._sock
            if sock is None:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            frames = FrameReader()
            try:
                while not self._stop.is_set():
                    try:
                        chunk = sock.recv(4096)
                        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                    except TimeoutError:
                        continue
                    if not chunk:
                        return
                    for payload in frames.feed(chunk):
                        answer = self.handle(payload)
                        if answer is not None:
                            sock.sendall(encode_frame(answer))
            except OSError:
                pass
            finally:
                self._close()

    return QuickAckCard


def apdu_round_trips(pcscd: PrivatePcscd, count: int) -> dict[str, Any]:
    """Raw SCardTransmit round trips (GET CHALLENGE) on the stock and the quick-ack card."""
    from smartcard import scard

    from card.virtual import VirtualCard, make_applet

    out: dict[str, Any] = {}
    for label, cls in (("stock", VirtualCard), ("quickack", _quickack_card_class())):
        card = cls(make_applet(_default_card()), port=pcscd.port)
        card.start()
        _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        try:
            deadline = time.monotonic() + EVENT_TIMEOUT
            while True:
                hr, handle, proto = scard.SCardConnect(
                    ctx, READER, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1
                )
                if hr == scard.SCARD_S_SUCCESS or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if hr != scard.SCARD_S_SUCCESS:
                out[label] = {"error": scard.SCardGetErrorMessage(hr)}
                continue
            scard.SCardTransmit(handle, proto, list(bytes.fromhex("00A4040005F053535501")))
            samples = []
            for _ in range(count):
                t = time.perf_counter()
                scard.SCardTransmit(handle, proto, [0x00, 0x84, 0x00, 0x00, 0x10])
                samples.append(time.perf_counter() - t)
            out[label] = summary(samples)
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        finally:
            scard.SCardReleaseContext(ctx)
            card.stop()
            time.sleep(0.6)  # let pcscd see the removal before the next card
    return out


def _insert(port: int, personalisation: Any) -> tuple[Any, float]:
    """Insert a virtual card; (card, t0 = when the vpcd socket connected)."""
    from card.virtual import VirtualCard, make_applet

    card = VirtualCard(make_applet(personalisation), port=port)
    card.connect()
    t0 = time.perf_counter()
    threading.Thread(target=card.run_forever, name="virtual-card", daemon=True).start()
    return card, t0


def _default_card() -> Any:
    from card.virtual import build_card

    return build_card(
        serial=bytes.fromhex("0102030405060708"),
        uuid="123456789012",
        name="Bench Card",
        pin="123456",
        state="blocked",
    )


def watcher_phase(pcscd: PrivatePcscd, cycles: int) -> dict[str, Any]:
    """Floor and CardWatcher on the same insertions."""
    from card.watcher import CardInserted, CardRemoved, CardWatcher

    floor_stamps, watch_stamps = Stamps(), Stamps()

    def on_event(event: Any) -> None:
        if isinstance(event, CardInserted) and event.reader == READER:
            watch_stamps.add("inserted")
        elif isinstance(event, CardRemoved) and event.reader == READER:
            watch_stamps.add("removed")

    floor = FloorLoop(floor_stamps)
    floor.start()
    watcher = CardWatcher(on_event)
    watcher.start()
    time.sleep(0.5)
    personalisation = _default_card()
    floor_s: list[float] = []
    watch_s: list[float] = []
    missed = 0
    try:
        for _ in range(cycles):
            card, t0 = _insert(pcscd.port, personalisation)
            tf = floor_stamps.wait("inserted", t0)
            tw = watch_stamps.wait("inserted", t0)
            if tf is None or tw is None:
                missed += 1
            else:
                floor_s.append(tf - t0)
                watch_s.append(tw - t0)
            t1 = time.perf_counter()
            card.stop()
            floor_stamps.wait("removed", t1)
            watch_stamps.wait("removed", t1)
            time.sleep(random.uniform(0.0, 0.4))
    finally:
        watcher.stop()
        floor.stop()
    return _compare(floor_s, {"watcher": watch_s}, missed)


def _compare(floor_s: list[float], others: dict[str, list[float]], missed: int) -> dict[str, Any]:
    floor = summary(floor_s)
    out: dict[str, Any] = {"floor": floor, "missed_cycles": missed}
    for name, samples in others.items():
        stats = summary(samples)
        stats["ratio_median"] = ratio(stats["median"], floor["median"])
        stats["ratio_p95"] = ratio(stats["p95"], floor["p95"])
        extra = [o - f for o, f in zip(samples, floor_s, strict=False)]
        stats["over_floor_s"] = summary(extra)
        out[name] = stats
    return out


async def _app_cycles(
    app: Any, pcscd: PrivatePcscd, personalisation: Any, cycles: int, floor_stamps: Stamps
) -> tuple[list[float], list[float], list[float], int, dict[str, int | None]]:
    from kiosk.flow import states as s

    floor_s: list[float] = []
    state_s: list[float] = []
    painted_s: list[float] = []
    missed = 0
    rss: dict[str, int | None] = {}
    async with app.run_test(size=(100, 34)) as pilot:
        await _until(lambda: isinstance(app.state.screen, s.WaitingForCard), 10)
        await asyncio.sleep(0.5)
        gc.collect()
        rss["idle_waiting"] = rss_kib()
        for i in range(cycles):
            card, t0 = _insert(pcscd.port, personalisation)
            ok = await _until(lambda: isinstance(app.state.screen, s.CardStatus), EVENT_TIMEOUT)
            t_state = time.perf_counter()
            await pilot.pause()
            t_painted = time.perf_counter()
            tf = floor_stamps.first_after("inserted", t0)
            if i == 0:
                rss["card_status_first"] = rss_kib()
            if i == cycles // 2:
                gc.collect()
                rss[f"card_status_after_{i}_cycles"] = rss_kib()
            if not ok or tf is None:
                missed += 1
            else:
                floor_s.append(tf - t0)
                state_s.append(t_state - t0)
                painted_s.append(t_painted - t0)
            card.stop()
            await _until(lambda: not isinstance(app.state.screen, s.CardStatus), EVENT_TIMEOUT)
            await asyncio.sleep(random.uniform(0.1, 0.5))
        gc.collect()
        rss[f"waiting_after_{cycles}_cycles"] = rss_kib()
    return floor_s, state_s, painted_s, missed, rss


async def _until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.001)
    return bool(predicate())


def app_phase(pcscd: PrivatePcscd, cycles: int) -> dict[str, Any]:
    """Floor and the kiosk app (flow state CardStatus) on the same insertions."""

    from demo.world import DemoWorld

    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-card-"))
    world = DemoWorld(workdir / "world", pcscd=pcscd).start()
    floor_stamps = Stamps()
    floor = FloorLoop(floor_stamps)
    floor.start()
    try:
        app, store = demo_kiosk(world, workdir, client_timeout=3.0)
        assert world.cards is not None
        personalisation = world.cards.personalisation("locked")
        try:
            floor_s, state_s, painted_s, missed, rss = asyncio.run(
                _app_cycles(app, pcscd, personalisation, cycles, floor_stamps)
            )
        finally:
            store.close()
    finally:
        floor.stop()
        world.stop()
    out = _compare(
        floor_s, {"app_state_card_status": state_s, "app_after_refresh": painted_s}, missed
    )
    out["rss_kib"] = rss
    return out


def run(quick: bool = True) -> dict[str, Any]:
    """The card-noticed benchmark (starts and stops its own private pcscd)."""
    cycles = 20 if quick else 60
    pcscd = PrivatePcscd()
    pcscd.start()
    os.environ.update(pcscd.environ())
    result: dict[str, Any] = {"cycles": cycles, "t0": "VirtualCard.connect() returned"}
    try:
        result["apdu_round_trip"] = apdu_round_trips(pcscd, 20)
        result["watcher_phase"] = watcher_phase(pcscd, cycles)
        try:
            result["app_phase"] = app_phase(pcscd, cycles)
        except Exception as exc:  # report, keep the watcher figures
            result["app_phase"] = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        pcscd.stop()
    return result


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))
