"""docs/api.md describes the service's command line as `ssu-service --help` has it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.cli import main

API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def help_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit):
        main([*args, "--help"])
    return capsys.readouterr().out


def leaf_commands(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, ...]]:
    """Every runnable `ssu-service ...` command, from the help itself."""
    top = re.search(r"\{([a-z,-]+)\}", help_text(capsys))
    assert top is not None
    leaves: list[tuple[str, ...]] = []
    for command in top.group(1).split(","):
        sub = re.search(r"^\s+\{([a-z,-]+)\}", help_text(capsys, command), flags=re.M)
        if sub is None:
            leaves.append((command,))
        else:
            leaves += [(command, action) for action in sub.group(1).split(",")]
    return leaves


def test_every_command_and_option_is_in_api_md(capsys: pytest.CaptureFixture[str]) -> None:
    section = API_MD.read_text().split("## The service's command line", 1)[1]
    leaves = leaf_commands(capsys)
    assert ("serve",) in leaves and ("ra", "clear-lock") in leaves
    for leaf in leaves:
        assert f"`{' '.join(leaf)}" in section, leaf
        options = set(re.findall(r"(--[a-z][a-z-]+)", help_text(capsys, *leaf))) - {"--help"}
        missing = sorted(option for option in options if option not in section)
        assert not missing, (leaf, missing)
