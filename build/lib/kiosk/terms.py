"""The self-service terms and conditions the kiosk shows (config/terms.toml).

The service reads the same file and refuses a registration carrying any other
version (422 terms_outdated), so kiosk and service must be given the same file.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TermsText:
    """One version of the terms."""

    version: str
    """Sent with a registration and recorded in the audit."""
    text: str
    """Plain text shown to the holder (never markup)."""


def load_terms(path: Path) -> TermsText:
    """Read the terms file.

    A missing or broken file gives empty terms rather than an exception: the kiosk
    still unlocks cards, and the flow refuses to start a registration without terms.

    Args:
        path: A TOML file with `version` and `text`.

    Returns:
        The terms (empty version and text when they cannot be read).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        version, text = data["version"], data["text"]
        if not isinstance(version, str) or not isinstance(text, str):
            raise TypeError("version and text must be strings")
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        log.error("terms file %s cannot be read: %s", path, exc)
        return TermsText(version="", text="")
    return TermsText(version=version.strip(), text=text.strip())
