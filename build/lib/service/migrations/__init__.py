"""Alembic migrations of the service store."""
