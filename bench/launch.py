"""Bench-only launchers for the cold start: `python -m bench.launch minimal|stack|kiosk ...`.

`minimal` is a one-`Static` Textual app. `stack` is the same app after importing the
third-party libraries the kiosk stands on (STACK), and nothing of ours: the floor of
any app built on this stack. `kiosk STORE_DIR` is the kiosk. Each builds its app,
runs it headless under Textual's Pilot (`App.run_test`), waits for the first screen
to be shown and refreshed, prints `PAINTED <unix time>` and exits. The kiosk is
built like `ssu-kiosk` does (kiosk/__main__.py) on real parts: PC/SC card access
and watcher (the private pcscd named by PCSCLITE_CSOCK_NAME), a service client (no
call is made before a card arrives), a SQLite local store.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any


def _painted() -> None:
    sys.stdout.write(f"PAINTED {time.time():.6f}\n")
    sys.stdout.flush()


async def _minimal() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Insert your card")

    app = Minimal()
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.pause()
        _painted()


#: The third-party modules the kiosk imports before its first paint (textual aside):
#: settings, the flow's rules and facts (pydantic), the service client (httpx,
#: tenacity), the local store (sqlite-utils) and the card (pyscard).
STACK = ("pydantic", "pydantic_settings", "httpx", "tenacity", "sqlite_utils", "smartcard.scard")


async def _stack() -> None:
    import importlib

    for name in STACK:
        importlib.import_module(name)
    await _minimal()


async def _kiosk(store_dir: Path) -> None:
    from pydantic import SecretStr

    from kiosk.app import make_app
    from kiosk.card_access import PcscCardAccess
    from kiosk.flow import states as s
    from kiosk.service_client import ServiceClient
    from kiosk.settings import KioskSettings
    from kiosk.store import LocalStore

    settings = KioskSettings.load(
        None,
        service_url="http://127.0.0.1:9",
        kiosk_token=SecretStr("bench-cold-start"),
        store=store_dir / "kiosk.sqlite",
        reader="Virtual PCD 00 00",
        kiosk_name="Bench kiosk",
    )
    store = LocalStore(settings.store)
    app: Any = make_app(
        settings=settings,
        card=PcscCardAccess(settings.reader),
        client=ServiceClient(settings.service_url, settings.kiosk_token.get_secret_value()),
        store=store,
    )
    try:
        async with app.run_test(size=(100, 34)) as pilot:
            deadline = time.monotonic() + 20
            while not isinstance(app.state.screen, s.WaitingForCard):
                if time.monotonic() > deadline:
                    raise TimeoutError("the waiting screen never showed")
                await asyncio.sleep(0.001)
            await pilot.pause()
            _painted()
    finally:
        store.close()


def main(argv: list[str]) -> int:
    """Run one launcher."""
    if argv[:1] == ["minimal"]:
        asyncio.run(_minimal())
    elif argv[:1] == ["stack"]:
        asyncio.run(_stack())
    elif argv[:1] == ["kiosk"] and len(argv) == 2:
        asyncio.run(_kiosk(Path(argv[1])))
    else:
        sys.stderr.write("usage: python -m bench.launch minimal | stack | kiosk STORE_DIR\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
