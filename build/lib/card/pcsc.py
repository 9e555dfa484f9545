"""Thin, typed wrapper over pyscard's low-level `scard` module.

Every PC/SC result code that is not success becomes one of a few domain errors,
so the reader session and the watcher branch on meaning, not on numbers.
"""

from __future__ import annotations

import os
from typing import Any

from smartcard import scard

from card.apdu import CardError

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"


class PcscError(CardError):
    """A PC/SC call failed."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(f"{message} (PC/SC 0x{code & 0xFFFFFFFF:08X})")
        self.code = code & 0xFFFFFFFF


class CardServiceDown(PcscError):
    """pcscd is not running or went away."""


class NoReaderError(PcscError):
    """No card reader is connected (or the named one is gone)."""


class NoCardError(PcscError):
    """The reader is empty."""


class CardRemovedError(PcscError):
    """The card was pulled out or reset during the session."""


class CardUnresponsive(PcscError):
    """The card does not answer."""


class Cancelled(PcscError):
    """A wait was cancelled with SCardCancel."""


class WaitTimeout(PcscError):
    """SCardGetStatusChange timed out with no change."""


def _u(code: int) -> int:
    return code & 0xFFFFFFFF


_SERVICE_DOWN = {
    _u(scard.SCARD_E_NO_SERVICE),
    _u(scard.SCARD_E_SERVICE_STOPPED),
    _u(scard.SCARD_E_INVALID_HANDLE),
    _u(scard.SCARD_F_COMM_ERROR),
}
_NO_READER = {
    _u(scard.SCARD_E_NO_READERS_AVAILABLE),
    _u(scard.SCARD_E_UNKNOWN_READER),
    _u(scard.SCARD_E_READER_UNAVAILABLE),
}
_NO_CARD = {_u(scard.SCARD_E_NO_SMARTCARD)}
_REMOVED = {
    _u(scard.SCARD_W_REMOVED_CARD),
    _u(scard.SCARD_W_RESET_CARD),
    _u(scard.SCARD_W_UNPOWERED_CARD),
}
_UNRESPONSIVE = {
    _u(scard.SCARD_W_UNRESPONSIVE_CARD),
    _u(scard.SCARD_E_PROTO_MISMATCH),
    _u(scard.SCARD_E_NOT_TRANSACTED),
    _u(scard.SCARD_W_UNSUPPORTED_CARD),
}


def check(code: int, what: str) -> None:
    """Raise the domain error for a non-zero PC/SC result."""
    c = _u(code)
    if c == 0:
        return
    if c in _SERVICE_DOWN:
        raise CardServiceDown(f"The card service (pcscd) is not running ({what})", c)
    if c in _NO_READER:
        raise NoReaderError("No card reader is connected", c)
    if c in _NO_CARD:
        raise NoCardError("There is no card in the reader", c)
    if c in _REMOVED:
        raise CardRemovedError("The card was removed or reset during the operation", c)
    if c in _UNRESPONSIVE:
        raise CardUnresponsive("The card did not answer properly", c)
    if c == _u(scard.SCARD_E_CANCELLED):
        raise Cancelled("Cancelled", c)
    if c == _u(scard.SCARD_E_TIMEOUT):
        raise WaitTimeout("Timed out", c)
    raise PcscError(f"Card reader error during {what}: {scard.SCardGetErrorMessage(code)}", c)


class Context:
    """One PC/SC context (SCardEstablishContext ... SCardReleaseContext)."""

    def __init__(self) -> None:
        hr, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        check(hr, "connecting to the card service")

    def readers(self) -> list[str]:
        """Reader names; empty when none are connected."""
        hr, names = scard.SCardListReaders(self.handle, [])
        if _u(hr) in _NO_READER:
            return []
        check(hr, "listing readers")
        return list(names)

    def status_change(
        self, states: list[tuple[str, int, Any]] | list[tuple[str, int]], timeout_ms: int
    ) -> list[tuple[str, int, list[int]]]:
        """SCardGetStatusChange: block until a state differs or timeout."""
        hr, new = scard.SCardGetStatusChange(self.handle, timeout_ms, states)
        check(hr, "waiting for card events")
        return [(str(n), int(s), list(a)) for n, s, a in new]

    def cancel(self) -> None:
        """Wake a blocked status_change from another thread."""
        scard.SCardCancel(self.handle)

    def release(self) -> None:
        """Release the context; errors are ignored (pcscd may be gone)."""
        try:
            scard.SCardReleaseContext(self.handle)
        except Exception:  # noqa: BLE001 - best effort, the daemon may be dead
            pass


def socket_name() -> str | None:
    """The pcscd socket this process talks to, if overridden."""
    return os.environ.get("PCSCLITE_CSOCK_NAME")
