"""The load test reuses the service suite's loopback SMTP server and fresh master keys."""

from __future__ import annotations

from tests.service.conftest import masters, smtp_server  # noqa: F401 - fixtures by name
