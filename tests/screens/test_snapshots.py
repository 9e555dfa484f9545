"""Snapshot tests: every screen (and overlay) with a representative state, at 100x32.

Update the baselines with `pytest tests/screens --snapshot-update` after looking
at the change (the SVGs are readable text).
"""

from __future__ import annotations

from typing import Any

import pytest

from screens import OVERLAYS
from tests.screens.harness import ScreenHarness
from tests.screens.states import REPRESENTATIVE

SIZE = (100, 32)


@pytest.mark.parametrize("name", sorted(REPRESENTATIVE))
def test_screen_snapshot(name: str, snap_compare: Any) -> None:
    state = REPRESENTATIVE[name]
    overlay = OVERLAYS[type(state.overlay)]() if state.overlay is not None else None
    assert snap_compare(ScreenHarness(state, overlay=overlay), terminal_size=SIZE)
