"""Screen tests run on a fixed clock in UTC, so the rendered times never vary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.screens.conftest import utc_wall_clock

__all__ = ["utc_wall_clock"]  # the screens' autouse fixture: these tests render screens too


@pytest.fixture
def welsh() -> Iterator[None]:
    """The screens speak Welsh for this test (and English again after it)."""
    from contract.language import Language
    from screens.language import set_current

    set_current(Language.WELSH)
    yield
    set_current(Language.ENGLISH)
