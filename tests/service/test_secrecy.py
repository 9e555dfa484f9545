"""No answer, code, cryptogram, token or key in the database file, the logs or the audit."""

from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from card.keys import MasterKeys
from contract.codes import group_code
from kiosk.service_client import ServiceClient, WrongAnswers, WrongCode
from service.cli import main as cli_main
from service.secrecy import normalise_answer
from service.settings import ServiceSettings
from service.tables import metadata
from tests.service.conftest import Mailbox, RunningService
from tests.service.holder_steps import start_registration, start_unlock
from tests.service.ra_desk import assisted_unlock, holder_card, ra_desk, sign_in
from tests.support import mailed_codes


async def test_no_secret_at_rest_in_logs_or_audit(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    settings: ServiceSettings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_used: set[str] = set()
    cryptograms: list[bytes] = []

    # Registration with distinctive answers, including a wrong code.
    holder = live_service.holder("unregistered")
    reg = await start_registration(client, masters, holder)
    answers = {
        "q02": "Quince Orchard Lane",
        "q04": "Zephyr Bicycle",
        "q08": "Wobbly Kazoo",
        "q17": "Theremin Xylo",
    }
    await client.send_registration_answers(reg.registration_id, answers)
    code = mailbox.code(holder["email"], 1)
    with pytest.raises(WrongCode):
        await client.confirm_registration(reg.registration_id, f"{(int(code) + 7) % 10**8:08d}")
    await client.confirm_registration(reg.registration_id, code)
    secrets_used |= set(answers.values())

    # An unlock of that holder: one wrong attempt, then right, then the card write.
    started = await start_unlock(client, masters, holder)
    wrong = {q.id: "Wrong Guess Marmalade" for q in started.questions}
    with pytest.raises(WrongAnswers):
        await client.send_unlock_answers(started.unlock_id, wrong)
    await client.send_unlock_answers(
        started.unlock_id, {q.id: answers[q.id] for q in started.questions}
    )
    await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 2))
    for _ in range(2):
        cryptograms.append(await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16)))
    await client.report_unlock_result(started.unlock_id, "unlocked", "9000")
    mailbox.wait_count(holder["email"], 3)
    secrets_used.add("Wrong Guess Marmalade")

    # The RA desk: sign-in, the holder's card, a cleared lock, an assisted unlock with
    # two cryptograms; none of its cryptograms may rest anywhere either.
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, live_service.holder("ra"))
        await holder_card(desk, masters, session, holder)
        await desk.clear_lock(session.session_id)
        assisted = await assisted_unlock(desk, masters, session, holder)
        for _ in range(2):
            challenge = secrets.token_bytes(16)
            cryptograms.append(
                await desk.assisted_cryptogram(session.session_id, assisted, challenge)
            )
        await desk.assisted_result(session.session_id, assisted, "unlocked", 0x9000)
        await desk.sign_out(session.session_id, "card_removed")
    mailbox.wait_count(holder["email"], 4)

    # The demo holders' answers were hashed when seeded.
    for demo_holder in live_service.demo["holders"]:
        secrets_used |= set(demo_holder["answers"].values())

    codes = set(mailed_codes(mailbox.all_text()))
    assert len(codes) >= 2
    needles: set[str] = set()
    for value in secrets_used:
        needles |= {value, normalise_answer(value), value.lower()}
    needles |= codes | {group_code(c) for c in codes}  # as typed, and as mailed
    needles |= {c.hex() for c in cryptograms} | {c.hex().upper() for c in cryptograms}
    needles |= set(live_service.tokens.values())
    needles |= {masters.master(n).hex() for n in ("unblock", "card_auth", "holder_auth")}
    # Fingerprints must be keyed: a plain digest of a code or answer would do as well as clear.
    needles |= {hashlib.sha256(n.encode()).hexdigest() for n in codes | secrets_used}
    raw_needles = {c for c in cryptograms}

    # Every row of every table, on any backend; and on SQLite the files themselves
    # (WAL included), where deleted or overwritten values could linger.
    with live_service.service.engine.connect() as conn:
        rows = [
            repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table))
        ]
    blobs = {"tables": "\n".join(rows).encode()}
    assert b"alex.morgan@nhs.net" in blobs["tables"]  # the dump does hold the store
    if settings.db.startswith("sqlite:///"):
        db_path = Path(settings.db.removeprefix("sqlite:///"))
        files = {p.name: p.read_bytes() for p in db_path.parent.glob(db_path.name + "*")}
        assert files, "no database file found"
        blobs |= files

    capsys.readouterr()
    assert cli_main(["audit", "export", "--db", settings.db]) == 0
    audit_text = capsys.readouterr().out
    assert "registration_confirm" in audit_text and "unlock_result" in audit_text
    assert "ra_unlock_cryptogram" in audit_text and "ra_unlock_result" in audit_text

    log_text = "\n".join(
        f"{r.name} {r.getMessage()}" for r in caplog.records if not r.name.startswith("mail.")
    )
    assert "POST /v1/unlocks" in log_text  # the access log was captured
    assert "POST /v1/ra/sessions" in log_text

    for needle in needles:
        for name, blob in blobs.items():
            assert needle.encode() not in blob, f"secret found in {name}"
            assert needle.lower().encode() not in blob.lower(), f"secret found in {name}"
        assert needle not in audit_text, "secret found in the audit"
        assert needle not in log_text, "secret found in the logs"
    for raw in raw_needles:
        for name, blob in blobs.items():
            assert raw not in blob, f"raw cryptogram found in {name}"
