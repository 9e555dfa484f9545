"""How a one-time code looks to a holder: in groups of four digits ("3570 5426"), the
same in the email or text that carries it and on the kiosk's screen as it is typed,
so the two are easy to check against each other. Spaces are only for reading: the
kiosk drops them before a code is sent, and the service ignores any it is sent."""

from __future__ import annotations


def group_code(text: str, size: int = 4) -> str:
    """`text` without spaces, in groups of `size` ("12345678" -> "1234 5678")."""
    raw = digits_of(text)
    return " ".join(raw[i : i + size] for i in range(0, len(raw), size))


def digits_of(code: str) -> str:
    """A code as it is compared: without the spaces it was shown or typed with."""
    return "".join(code.split())
