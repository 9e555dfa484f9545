"""`ssu-kiosk`: run the kiosk.

    ssu-kiosk [--config FILE] [--service-url URL] [--kiosk-token T] [--reader NAME]
              [--store PATH] [--demo [--policy questions|national-2023|two-channel]]

Settings also come from SSU_KIOSK_* variables and the TOML file (config/kiosk.toml
by default). `--demo` starts everything on this machine first: the demo harness
(`demo.world`, a package of its own that needs the `demo` extra; a kiosk machine
installs only the `kiosk` extra and never loads it).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr, ValidationError
from textual.app import App

from contract.log_lines import JsonLines

if TYPE_CHECKING:
    from kiosk.app import DemoControls, KioskApp
    from kiosk.settings import KioskSettings
    from kiosk.store import LocalStore


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssu-kiosk", description="Smartcard self-service kiosk")
    p.add_argument("--config", type=Path, help="TOML settings file (default config/kiosk.toml)")
    p.add_argument("--service-url", help="unlock service base URL")
    p.add_argument("--kiosk-token", help="this kiosk's token (prefer SSU_KIOSK_KIOSK_TOKEN)")
    p.add_argument("--reader", help="PC/SC reader name")
    p.add_argument("--store", type=Path, help="local store file (SQLite)")
    p.add_argument(
        "--policy",
        choices=("questions", "national-2023", "two-channel"),
        help="with --demo: the unlock policy the demo service runs (default questions)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="start a private pcscd, virtual cards, a mail catcher and a demo service first",
    )
    return p


def log_handler(log_file: Path, log_format: str) -> logging.Handler:
    """The kiosk log's handler: a file beside the store, JSON lines or plain text.

    Raises:
        OSError: the file cannot be opened.
    """
    handler = logging.FileHandler(log_file, encoding="utf-8")
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    return handler


SHUTDOWN_GRACE_SECONDS = 10.0
"""Demo: how long the app may take to end after a hang-up or stop before it is cut short."""


class DemoShutdown:
    """Demo only: end the app, and with it the demo world, whatever state it is in.

    A hang-up (the terminal closed), a stop (SIGTERM) or losing the terminal or the
    parent asks the app to exit. Textual's own shutdown can block for good once its
    terminal is gone (its output thread's queue, on a dead terminal), so each request
    also arms a deadline: past it the world is stopped here and the process ends,
    so no pcscd or service is ever left running behind a closed demo.
    """

    def __init__(self, app: App[None], stop_world: Callable[[], None]) -> None:
        self._app = app
        self._stop_world = stop_world
        self._armed = threading.Event()

    def install(self) -> None:
        for signum in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.request())
        threading.Thread(target=self._watch, name="demo-orphan-watch", daemon=True).start()

    def request(self) -> None:
        """Ask the app to end (never blocks); cut it short if it has not in time."""
        loop = getattr(self._app, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._app.exit)
        if not self._armed.is_set():
            self._armed.set()
            threading.Thread(target=self._deadline, name="demo-deadline", daemon=True).start()

    def _deadline(self) -> None:
        time.sleep(SHUTDOWN_GRACE_SECONDS)
        stopper = threading.Thread(target=self._stop_world, name="demo-stop", daemon=True)
        stopper.start()
        stopper.join(SHUTDOWN_GRACE_SECONDS)
        os._exit(1)

    def _watch(self) -> None:
        """Closing a terminal does not always reach a full-screen app as a signal."""
        parent = os.getppid()
        while os.getppid() == parent and not _terminal_gone():
            time.sleep(1)
        self.request()


def _terminal_gone() -> bool:
    try:
        os.tcgetpgrp(sys.stdin.fileno())  # EIO once the terminal has hung up
    except OSError:
        return True
    return False


def build_app(
    settings: KioskSettings, store: LocalStore, demo: DemoControls | None = None
) -> KioskApp:
    """The kiosk as `ssu-kiosk` runs it: real reader, real service client, from `settings`.

    Args:
        settings: The loaded settings; every part takes what it needs from them here.
        store: The open local store.
        demo: The demo's controls (F2-F6), only under `--demo`.

    Returns:
        The app, not yet running.
    """
    from kiosk.app import make_app
    from kiosk.card_access import PcscCardAccess
    from kiosk.service_client import ServiceClient
    from kiosk.service_tls import trust_context

    client = ServiceClient(
        settings.service_url,
        settings.kiosk_token.get_secret_value(),
        timeout=settings.timeouts.service_seconds,
        verify=trust_context(settings.service_ca_file),
    )
    return make_app(
        settings=settings,
        card=PcscCardAccess(settings.reader),
        client=client,
        store=store,
        demo=demo,
        ra_card=PcscCardAccess(settings.ra_reader) if settings.ra_reader else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `ssu-kiosk`."""
    args = _parser().parse_args(argv)
    from kiosk.settings import KioskSettings

    world = None
    overrides: dict[str, object] = {
        "service_url": args.service_url,
        "kiosk_token": SecretStr(args.kiosk_token) if args.kiosk_token else None,
        "reader": args.reader,
        "store": args.store,
    }
    if args.policy is not None and not args.demo:
        print(
            "ssu-kiosk: --policy is for --demo; the service sets a deployment's policy",
            file=sys.stderr,
        )
        return 2
    if args.demo:
        try:
            # The one place the kiosk reaches the demo harness (import-linter allows it).
            from demo.world import DemoNotStarted, DemoWorld
        except ImportError as exc:
            print(
                f"ssu-kiosk: --demo needs the demo extra (pip install -e '.[demo]'): {exc}",
                file=sys.stderr,
            )
            return 2

        print("Demo: starting a private pcscd, mail catcher and demo service ...", flush=True)
        try:
            world = DemoWorld(policy=args.policy).start()
        except DemoNotStarted as exc:
            print(f"ssu-kiosk: the demo could not start: {exc}", file=sys.stderr)
            return 1
        overrides.update(
            service_url=world.service_url,
            kiosk_token=SecretStr(world.kiosk_token),
            store=args.store or world.workdir / "kiosk.sqlite",
            kiosk_name="Demo kiosk",
            # The demo service knows its kiosk as an RA desk too; the RA's card (F9/F10)
            # goes into the second reader, the RA's own.
            ra_desk=True,
            ra_reader=world.pcscd.reader_names[1],
            reader=world.pcscd.reader_names[0],
        )
    try:
        settings = KioskSettings.load(args.config, **overrides)
    except (FileNotFoundError, ValidationError) as exc:
        print(f"ssu-kiosk: {exc}", file=sys.stderr)
        if world is not None:
            world.stop()
        return 2
    log_file = Path(settings.store).with_suffix(".log")
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # reported below, when the store cannot be opened either
    # The terminal belongs to the holder: logs go to a file, never to the screen.
    try:
        logging.basicConfig(
            level=logging.INFO, handlers=[log_handler(log_file, settings.log_format)]
        )
    except OSError:
        logging.basicConfig(handlers=[logging.NullHandler()])  # never onto the screen
    from kiosk.store import open_store

    if world is not None and world.cards is not None and settings.ra_reader is not None:
        world.cards.ra_second_reader = True
    store = open_store(settings.store)
    app = build_app(settings, store, demo=world.cards if world is not None else None)
    if world is not None:
        # Closing the demo's terminal (SIGHUP) or stopping it (SIGTERM) ends the
        # app, so the demo's pcscd, service and mail catcher stop too.
        DemoShutdown(app, world.stop).install()
    try:
        app.run()
    finally:
        store.close()
        if world is not None:
            world.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
