"""The load test reuses the service suite's loopback SMTP server, fresh master keys and
fresh stores, on both backends (SQLite and the session's private PostgreSQL)."""

from __future__ import annotations

from tests.service.conftest import (  # noqa: F401 - fixtures by name
    db_url,
    masters,
    smtp_server,
    store_backend,
)
