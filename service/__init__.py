"""Unlock service: the HTTP API, its store, mailer and keys (docs/api.md).

Modules:
    app: the FastAPI app (`create_app`), wire models, problem responses, idempotency.
    selfservice: the rules (`SelfService`): proofs, answers, codes, locks, audit.
    secrecy: answer normalisation and argon2id, codes, keyed fingerprints, address checks.
    store / tables / migrations: SQLAlchemy Core tables and their alembic migrations.
    mailer: SMTP with the plain-text templates in config/mail/.
    settings: pydantic-settings (flags > SSU_SERVICE_* > TOML file > defaults).
    cli: `ssu-service`.
"""

from __future__ import annotations

__version__ = "1.0.0"
