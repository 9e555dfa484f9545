"""Every command the flow can give has one effect that carries it out."""

from __future__ import annotations

import inspect

from kiosk.effects import EFFECTS, IN_ORDER, ON_SCREEN
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow.service_trouble import TROUBLE

COMMANDS = [
    cls
    for _, cls in inspect.getmembers(c, inspect.isclass)
    if issubclass(cls, c.Command) and cls is not c.Command and cls.__module__ == c.__name__
]


def test_every_command_has_an_effect_or_is_the_apps() -> None:
    assert COMMANDS, "no commands found"
    missing = [cls.__name__ for cls in COMMANDS if cls not in EFFECTS and cls not in ON_SCREEN]
    assert missing == []


def test_no_command_is_carried_out_twice() -> None:
    assert not set(EFFECTS) & set(ON_SCREEN)
    assert set(IN_ORDER) <= set(EFFECTS)


def test_every_service_call_says_what_the_holder_reads_when_it_fails() -> None:
    # CHECK_SERVICE is the probe ServiceUnavailable itself makes.
    assert set(TROUBLE) == set(e.Call) - {e.Call.CHECK_SERVICE}
    calls = {cls.call for cls in COMMANDS if cls.call is not None}
    assert calls == set(e.Call)
