"""Secrets kept in files (the kiosk's token, the service's Notify API key): one rule.

A secret file must be readable by its owner only, and what is said about it names
the setting and the file, never what is in it.
"""

from __future__ import annotations

import stat
from pathlib import Path


def read_owner_only(path: Path, setting: str, owner: str) -> str:
    """The text in `path`, stripped, refused when anyone but its owner may read it.

    Args:
        path: The secret file.
        setting: The setting that names it, for the messages ("kiosk_token_file").
        owner: Who should own it, as the fix says it ("owner root").

    Raises:
        ValueError: The file is missing or unreadable, or readable or writable by
            others. The message names the setting and the file only.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{setting} {path}: {exc.strerror or exc}") from None
    if mode & (stat.S_IRWXO | stat.S_IWGRP | stat.S_IRGRP):
        raise ValueError(f"{setting} {path} may be read by others: chmod 600 it ({owner})")
    return text
