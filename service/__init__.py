"""Unlock service: the HTTP API, its store, mailer and keys (docs/api.md).

Modules:
    api: the HTTP edge: `create_app`, routers per resource, dependencies, and the one
        table from domain errors to statuses and problem codes.
    domain: the rules, one module per sub-domain (throttles, nonces, card proofs,
        codes, unlocks, registrations, audit, idempotency); they raise domain errors
        and know no HTTP.
    queries: query functions, one module per table, each on the connection it is given.
    selfservice: `SelfService`, the service's parts with the calls in-process users make.
    ra_tools / demo_seed: the RA's command-line tools; the demo world.
    assembly: master keys and mailer from the settings; app: the public entry points.
    secrecy: answer hashing (argon2id), codes, keyed fingerprints, address checks.
    mailing / mailer: mail sent with no transaction open; SMTP with config/mail/ templates.
    notify: mail through GOV.UK Notify's client (mail_channel = "notify").
    store / tables / migrations: SQLAlchemy Core tables and their alembic migrations.
    settings: pydantic-settings (flags > SSU_SERVICE_* > TOML file > defaults).
    cli: `ssu-service`.
"""

from __future__ import annotations

__version__ = "1.0.0"
