"""The demo world: fixed holders from config/demo-holders.toml and the demo kiosk.

In demo mode the PIV holders are seeded too: their cards enrolled (the demo card
CA's certificates bound, the demo PUK escrowed), each printed with `"profile": "piv"`
and its GUID as `serial`.

Every database gets the same ones: missing ones are inserted, existing ones left.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from card.piv import Puk, Slot
from card.piv_ca import demo_credentials, load_demo_ca
from card.virtual import piv_guid
from service.domain.audit import record
from service.domain.parts import Parts
from service.domain.piv_enrolment import PivEnrolment, enrol_card
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
    seeded = [_seed_holder(parts, h) for h in data["holders"]]
    if parts.card_ca is not None and parts.card_ca == load_demo_ca().cert:
        # The demo PIV cards' certificates come from the PUBLIC demo card CA, which the
        # service trusts in demo mode only: without --demo they are left out.
        seeded += [_seed_piv_holder(parts, h) for h in data.get("piv_holders", [])]
    return {"kiosk_token": token, "holders": seeded}


def _seed_piv_holder(parts: Parts, h: dict[str, Any]) -> dict[str, Any]:
    """Enrol one demo PIV card (certificates from the demo card CA, its demo PUK
    escrowed) unless present, then seed the holder like any other."""
    guid = piv_guid(bytes.fromhex(h["serial"]))
    with parts.transaction() as conn:
        exists = holders.find(conn, h["uuid"]) is not None
    if not exists:
        # The keys come from the GUID alone, so any expiry gives the same binding.
        credentials = demo_credentials(
            guid=guid, uuid=h["uuid"], name=h["name"], expiry=dt.date(2045, 1, 1)
        )
        enrol_card(
            parts,
            PivEnrolment(
                uuid=h["uuid"],
                name=h["name"],
                email=h["email"],
                mobile=h["mobile"],
                card_certificate=credentials.certs[Slot.CARD_AUTHENTICATION],
                holder_certificate=credentials.certs[Slot.PIV_AUTHENTICATION],
                puk=Puk(str(h["puk"])),
            ),
            demo=True,
        )
    return _seed_holder(parts, {**h, "serial": guid.hex()}, profile="piv")


def _seed_holder(parts: Parts, h: dict[str, Any], profile: str = "own") -> dict[str, Any]:
    """Insert one demo holder unless present; what the demo prints about them."""
    answers = {str(k): str(v) for k, v in h.get("answers", {}).items()}
    serial = h["serial"].lower()
    with parts.transaction() as conn:
        row = holders.find(conn, h["uuid"])
        exists = row is not None and (profile == "own" or bool(row.registered) or not answers)
    if row is not None and not exists:
        # An enrolled PIV card whose demo registration is not seeded yet.
        hashed = {q: parts.hasher.hash(a) for q, a in answers.items()}
        with parts.transaction() as conn:
            holders.register(
                conn,
                h["uuid"],
                email=h["email"],
                mobile=h["mobile"],
                terms_version=parts.terms_version,
                at=parts.now(),
            )
            holder_answers.add(conn, h["uuid"], hashed)
    elif not exists:
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
        "key": h["key"],
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
        "profile": profile,
    }
