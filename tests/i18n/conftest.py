"""Screen tests run on a fixed clock in UTC, so the rendered times never vary."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def utc_wall_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Screens show local times; pin the local zone to UTC for these tests."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def welsh() -> Iterator[None]:
    """The screens speak Welsh for this test (and English again after it)."""
    from contract.language import Language
    from screens.language import set_current

    set_current(Language.WELSH)
    yield
    set_current(Language.ENGLISH)
