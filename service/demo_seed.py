"""The demo world: fixed holders from config/demo-holders.toml and the demo kiosk.

Every database gets the same ones: missing ones are inserted, existing ones left.
"""

from __future__ import annotations

import tomllib
from typing import Any

from service.domain.audit import record
from service.domain.parts import Parts
from service.queries import holder_answers, holders, kiosks
from service.secrecy import new_id, token_hash


def seed_demo(parts: Parts) -> dict[str, Any]:
    """Insert the missing demo holders and the demo kiosk; the demo data as JSON."""
    with open(parts.settings.demo_holders_file, "rb") as f:
        data = tomllib.load(f)
    token = str(data["demo_kiosk_token"])
    with parts.transaction() as conn:
        if kiosks.by_token_hash(conn, token_hash(token)) is None:
            # The demo kiosk is also an RA desk, so the demo's RA card can sign in at it.
            kiosks.add(
                conn,
                new_id(),
                "demo kiosk",
                token_hash(token),
                demo=True,
                at=parts.now(),
                ra_desk=True,
            )
    return {"kiosk_token": token, "holders": [_seed_holder(parts, h) for h in data["holders"]]}


def _seed_holder(parts: Parts, h: dict[str, Any]) -> dict[str, Any]:
    """Insert one demo holder unless present; what the demo prints about them."""
    answers = {str(k): str(v) for k, v in h.get("answers", {}).items()}
    serial = h["serial"].lower()
    with parts.transaction() as conn:
        exists = holders.find(conn, h["uuid"]) is not None
    if not exists:
        # argon2 outside the transaction: it is slow and must not hold the write lock.
        hashed = {q: parts.hasher.hash(a) for q, a in answers.items()}
        with parts.transaction() as conn:
            holders.add(
                conn,
                uuid=h["uuid"],
                serial=serial,
                name=h["name"],
                email=h["email"],
                mobile=h["mobile"],
                registered=bool(h["registered"]),
                terms_version=parts.terms_version if h["registered"] else None,
                registered_at=parts.now() if h["registered"] else None,
                failed_attempts=0,
                locked_at=None,
                demo=True,
                ra_role=h.get("ra_role"),
            )
            holder_answers.add(conn, h["uuid"], hashed)
            record(
                parts, conn, "demo_holder_added", "ok", source="ra", uuid=h["uuid"], serial=serial
            )
    return {
        "uuid": h["uuid"],
        "serial": serial,
        "name": h["name"],
        "email": h["email"],
        "mobile": h["mobile"],
        "pin": h["pin"],
        "card_state": h["card_state"],
        "registered": bool(h["registered"]),
        "answers": answers,
        "ra_role": h.get("ra_role"),
    }
