"""The service's public entry points, where callers have always found them.

The app is assembled in service/api/app.py; the keys and mailer in service/assembly.py.
"""

from __future__ import annotations

from service.api.app import create_app
from service.assembly import KeysRefused, load_masters, mailer_for

__all__ = ["KeysRefused", "create_app", "load_masters", "mailer_for"]
