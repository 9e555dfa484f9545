"""Bad-input tests reuse the service suite's real loopback parts (service, SMTP, clock, keys).

Importing the fixtures here makes pytest offer them to this directory too, without
touching tests/service (owned by the service suite).
"""

from __future__ import annotations

from tests.service.conftest import (  # noqa: F401 - fixtures are found by name
    client,
    client_b,
    clock,
    db_url,
    live_service,
    mailbox,
    masters,
    settings,
    smtp_server,
)
