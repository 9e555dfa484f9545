"""Kiosk screens: one module per screen, each rendering one flow state.

`SCREENS` maps a flow screen-state type to the screen class that renders it;
`OVERLAYS` does the same for the overlay states. `screen_key` says which entry
of `SCREENS` to use for a state: a `ServiceUnavailable` is rendered by the screen
it will resume to, as a banner above that screen's fields.
"""

from __future__ import annotations

from typing import Any

from kiosk.flow import states
from screens.base import KioskOverlay, KioskScreen, unwrap
from screens.card_not_recognised import CardNotRecognisedScreen
from screens.card_removed import CardRemovedScreen
from screens.card_service_down import CardServiceDownScreen
from screens.card_status import CardStatusScreen
from screens.change_passcode import ChangePasscodeScreen
from screens.choose_channel import ChooseChannelScreen
from screens.choose_questions import ChooseQuestionsScreen
from screens.code_sent import CodeSentScreen
from screens.contact_details import ContactDetailsScreen
from screens.help_page import HelpPageScreen
from screens.new_passcode import NewPasscodeScreen
from screens.no_reader import NoReaderScreen
from screens.not_registered import NotRegisteredScreen
from screens.overlays import CancelConfirmationScreen, InactivityWarningScreen
from screens.passcode_changed import PasscodeChangedScreen
from screens.passcode_entry import PasscodeEntryScreen
from screens.questions import QuestionsScreen
from screens.ra_confirm import RaConfirmHolderScreen
from screens.ra_contacts import RaContactsScreen
from screens.ra_ended import RaEndedScreen
from screens.ra_holder import RaHolderScreen
from screens.ra_home import RaHomeScreen
from screens.ra_new_passcode import RaNewPasscodeScreen
from screens.ra_passcode import RaPasscodeScreen
from screens.ra_report import RaReportScreen
from screens.reading import ReadingCardScreen
from screens.registered import RegisteredScreen
from screens.registration_answers import RegistrationAnswersScreen
from screens.registration_code import RegistrationCodeSentScreen
from screens.registration_stopped import RegistrationStoppedScreen
from screens.self_service_locked import SelfServiceLockedScreen
from screens.service_unavailable import ServiceUnavailableScreen
from screens.session_ended import SessionEndedScreen
from screens.starting import StartingUnlockScreen
from screens.terms import TermsScreen
from screens.unlock_stopped import UnlockStoppedScreen
from screens.unlocked import UnlockedScreen
from screens.waiting import WaitingForCardScreen
from screens.widgets import RaContactsBox, SecretInput
from screens.writing import WritingCardScreen

_SCREEN_CLASSES: tuple[type[KioskScreen], ...] = (
    WaitingForCardScreen,
    NoReaderScreen,
    CardServiceDownScreen,
    CardRemovedScreen,
    ReadingCardScreen,
    CardNotRecognisedScreen,
    CardStatusScreen,
    StartingUnlockScreen,
    QuestionsScreen,
    ChooseChannelScreen,
    CodeSentScreen,
    NewPasscodeScreen,
    WritingCardScreen,
    UnlockedScreen,
    UnlockStoppedScreen,
    ServiceUnavailableScreen,
    SelfServiceLockedScreen,
    NotRegisteredScreen,
    SessionEndedScreen,
    HelpPageScreen,
    PasscodeEntryScreen,
    TermsScreen,
    ContactDetailsScreen,
    ChooseQuestionsScreen,
    RegistrationAnswersScreen,
    RegistrationCodeSentScreen,
    RegisteredScreen,
    RegistrationStoppedScreen,
    ChangePasscodeScreen,
    PasscodeChangedScreen,
    RaPasscodeScreen,
    RaHomeScreen,
    RaHolderScreen,
    RaConfirmHolderScreen,
    RaNewPasscodeScreen,
    RaContactsScreen,
    RaReportScreen,
    RaEndedScreen,
)

SCREENS: dict[type, type[KioskScreen]] = {cls.STATE: cls for cls in _SCREEN_CLASSES}
"""Flow screen-state type -> the screen class that renders it."""

OVERLAYS: dict[type, type[KioskOverlay]] = {
    states.InactivityWarning: InactivityWarningScreen,
    states.CancelConfirmation: CancelConfirmationScreen,
}
"""Flow overlay type -> the modal screen that renders it."""


def screen_key(screen: Any) -> type:
    """The `SCREENS` key for a screen state.

    A `ServiceUnavailable` maps to the type of the screen it resumes to, so the
    same installed screen (with what the holder typed) stays up and shows the
    outage as a banner. Every other state maps to its own type.

    Args:
        screen: `KioskState.screen`.

    Returns:
        A key of `SCREENS`.
    """
    inner, _ = unwrap(screen)
    return type(inner) if type(inner) in SCREENS else type(screen)


__all__ = [
    "OVERLAYS",
    "SCREENS",
    "CancelConfirmationScreen",
    "CardNotRecognisedScreen",
    "CardRemovedScreen",
    "CardServiceDownScreen",
    "CardStatusScreen",
    "ChangePasscodeScreen",
    "ChooseQuestionsScreen",
    "ChooseChannelScreen",
    "CodeSentScreen",
    "ContactDetailsScreen",
    "HelpPageScreen",
    "InactivityWarningScreen",
    "KioskOverlay",
    "KioskScreen",
    "NewPasscodeScreen",
    "NoReaderScreen",
    "NotRegisteredScreen",
    "PasscodeChangedScreen",
    "PasscodeEntryScreen",
    "QuestionsScreen",
    "RaConfirmHolderScreen",
    "RaContactsBox",
    "RaContactsScreen",
    "RaEndedScreen",
    "RaHolderScreen",
    "RaHomeScreen",
    "RaNewPasscodeScreen",
    "RaPasscodeScreen",
    "RaReportScreen",
    "ReadingCardScreen",
    "RegisteredScreen",
    "RegistrationAnswersScreen",
    "RegistrationCodeSentScreen",
    "RegistrationStoppedScreen",
    "SecretInput",
    "SelfServiceLockedScreen",
    "ServiceUnavailableScreen",
    "SessionEndedScreen",
    "StartingUnlockScreen",
    "TermsScreen",
    "UnlockStoppedScreen",
    "UnlockedScreen",
    "WaitingForCardScreen",
    "WritingCardScreen",
    "screen_key",
]
