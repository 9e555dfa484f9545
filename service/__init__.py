"""Unlock service: the HTTP API, its store, mailer and keys (API.md)."""

from __future__ import annotations

__version__ = "1.0.0"
