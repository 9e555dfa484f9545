"""What every card profile must do with wrong passcodes, checked alike for each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from card import apdu


def three_wrong_block(verify: Callable[[str], object], right: str) -> None:
    """Two wrong passcodes count the tries down, the third blocks the card, and then even
    the right passcode is refused."""
    for left in (2, 1):
        with pytest.raises(apdu.WrongPin) as info:
            verify("111222")
        assert info.value.tries_left == left
    with pytest.raises(apdu.PinBlocked):
        verify("111222")
    with pytest.raises(apdu.PinBlocked):
        verify(right)
