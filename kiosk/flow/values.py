"""The base of the flow's values: its events, commands and screen states.

The flow is a pure function from a state and an event to a new state and commands,
so none of these values may change once made: the machine only ever replaces them
(`dataclasses.replace`). Each subclass of `FlowValue` is made a frozen dataclass as
it is declared, so no event, command or screen state can be declared without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, dataclass_transform


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class FlowValue:
    """Base of `Event`, `Command` and `Screen` (and the mixins beside `Screen`): every
    subclass is a frozen dataclass."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)
