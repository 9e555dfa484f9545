"""Before the card's last passcode try, the screen says so once, plainly.

After a wrong passcode with one try left, the holder reads how many tries are left,
the warning that a wrong passcode now locks the card, and that this passcode was
wrong: each once (issue 12 item 11: a message said twice in a row is noise that a
tired holder reads as a new problem).
"""

from __future__ import annotations

import pytest

from kiosk.flow import states as s
from kiosk.flow.card_passcode import passcode_wrong_message
from kiosk.passcode_rules import PasscodeRules
from tests.screens.harness import ScreenHarness, kiosk_state, screen_text

LAST_TRY = {
    "passcode entry (registering)": s.PasscodeEntry(tries_left=1, error=passcode_wrong_message(1)),
    "change passcode": s.ChangePasscode(
        rules=tuple(PasscodeRules().describe()), tries_left=1, errors=(passcode_wrong_message(1),)
    ),
}


@pytest.mark.parametrize("screen", LAST_TRY.values(), ids=LAST_TRY.keys())
async def test_the_last_try_is_said_once(screen: s.Screen) -> None:
    app = ScreenHarness(kiosk_state(screen))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        words = " ".join(screen_text(app).split())
    assert "That passcode is not right." in words
    assert words.count("1 more passcode try") == 1
    assert words.count("last try") == 1
    assert words.count("1 try left") == 0, "the tries left are said once, above"
    assert words.count("will lock") == 1, "the lock is said once, in the warning"
