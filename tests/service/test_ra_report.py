"""The RA manager's report: its figures are the audit's, on screen, as CSV and on the
command line (issue 17 item 3), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from card.keys import MasterKeys
from contract.problems import ProblemCode
from kiosk.service_client import MailUnavailable, ServiceClient, ServiceRejected
from service.cli import main as cli_main
from service.queries import audit
from tests.service.conftest import Mailbox, RunningService, card_mac, free_port
from tests.service.ra_desk import (
    assisted_unlock,
    holder_card,
    lock_self_service,
    ra_desk,
    sign_in,
)


def expected_from_audit(live: RunningService) -> dict[tuple[str, str], Counter[str]]:
    """The report's figures counted straight from `audit export`, by its definition."""
    figures: dict[tuple[str, str], Counter[str]] = {}
    codes = {c.value for c in ProblemCode}
    for r in live.service.export_audit():
        if r["source"] == "kiosk":
            continue
        key = (r["recorded_at"][:10], r["kiosk"] or "(command line)")
        row = figures.setdefault(key, Counter())
        kind, outcome, detail = r["type"], r["outcome"], r["detail"]
        if kind == "registration_confirm" and outcome == "ok":
            row["registrations"] += 1
        elif kind == "unlock_result" and outcome == "unlocked":
            row["unlocks_self_service"] += 1
        elif kind == "ra_unlock_result" and outcome == "unlocked":
            row["unlocks_assisted"] += 1
        elif kind == "mail_not_sent" and detail["template"].endswith("-code"):
            row["codes_not_delivered"] += 1
        elif outcome == "ok" and detail.get("not_sent"):
            row["codes_not_delivered"] += 1
        if kind == "unlock_answers" and detail.get("locked_now"):
            row["locks"] += 1
        if kind != "mail_not_sent" and outcome in codes:
            row[f"refused_{outcome}"] += 1
    return figures


async def test_the_report_counts_what_the_audit_holds(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ra, alex, priya = (live_service.holder(k) for k in ("ra", "locked", "working"))
    # At the ward: a lock (two wrong sets, then the third), and a code that could not go.
    await lock_self_service(client, masters, alex)
    service = live_service.service
    working_mailer = service.mailer
    service.mailer = dataclasses.replace(working_mailer, port=free_port())  # type: ignore[type-var]
    nonce = await client.new_nonce()
    started = await client.start_unlock(
        priya["serial"], priya["uuid"], nonce.nonce, card_mac(masters, priya["serial"], nonce.nonce)
    )
    right = {q.id: priya["answers"][q.id] for q in started.questions}
    with pytest.raises(MailUnavailable):
        await client.send_unlock_answers(started.unlock_id, right)
    service.mailer = working_mailer
    # At the desk: an assisted unlock, and a holder card refused as an RA card.
    async with ra_desk(live_service) as desk:
        with pytest.raises(ServiceRejected):
            await sign_in(desk, masters, priya)
        session = await sign_in(desk, masters, ra)
        await holder_card(desk, masters, session, alex)
        unlock_id = await assisted_unlock(desk, masters, session, alex)
        await desk.assisted_cryptogram(session.session_id, unlock_id, b"\x01" * 16)
        await desk.assisted_result(session.session_id, unlock_id, "unlocked", 0x9000)
        today = datetime.now(UTC).date()
        report = await desk.report(session.session_id, today - timedelta(days=1), today)

    day = today.isoformat()
    ward = next(r for r in report.rows if r.kiosk == "ward-7")
    desk_row = next(r for r in report.rows if r.kiosk == "ra-desk")
    assert (ward.day, ward.locks, ward.codes_not_delivered) == (day, 1, 1)
    assert ward.refusals == {"answers_wrong": 2, "self_service_locked": 1}
    assert (desk_row.unlocks_assisted, desk_row.unlocks_self_service) == (1, 0)
    assert desk_row.refusals == {"ra_role_required": 1}
    assert report.totals.unlocks_assisted == 1 and report.totals.locks == 1

    # Every figure of every row is exactly what the audit says.
    expected = expected_from_audit(live_service)
    for row in report.rows:
        counted = expected.pop((row.day, row.kiosk))
        for name in (
            "registrations",
            "unlocks_self_service",
            "unlocks_assisted",
            "locks",
            "codes_not_delivered",
        ):
            assert getattr(row, name) == counted[name], (row.kiosk, name)
        assert {f"refused_{c}": n for c, n in row.refusals.items()} == {
            k: v for k, v in counted.items() if k.startswith("refused_")
        }
    assert not [k for k, v in expected.items() if v], expected

    # The command line prints the same figures as CSV, and as JSON.
    db = service.settings.db
    capsys.readouterr()
    since, until = (today - timedelta(days=1)).isoformat(), day
    assert cli_main(["report", "--since", since, "--until", until, "--db", db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    ward_csv = next(r for r in rows if r["kiosk"] == "ward-7")
    assert ward_csv["locks"] == "1" and ward_csv["refused_answers_wrong"] == "2"
    assert rows[-1]["day"] == "total" and rows[-1]["unlocks_assisted"] == "1"
    assert cli_main(["report", "--since", since, "--until", until, "--db", db, "--json"]) == 0
    # Only the report's own audit record (reading it) differs from the desk's answer.
    printed = json.loads(capsys.readouterr().out)
    assert printed["totals"]["unlocks_assisted"] == report.totals.unlocks_assisted


async def test_only_a_manager_reads_the_report_and_the_period_is_checked(
    live_service: RunningService, masters: MasterKeys, capsys: pytest.CaptureFixture[str]
) -> None:
    ra = live_service.holder("ra")
    assert live_service.service.set_ra_role(ra["uuid"], "ra")
    today = datetime.now(UTC).date()
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, ra)
        assert session.role == "ra"
        with pytest.raises(ServiceRejected) as refused:
            await desk.report(session.session_id, today, today)
        assert refused.value.code == "ra_manager_required" and refused.value.status == 403
        assert live_service.service.set_ra_role(ra["uuid"], "manager")
        with pytest.raises(ServiceRejected) as backwards:
            await desk.report(session.session_id, today, today - timedelta(days=1))
        assert backwards.value.code == "period_invalid"
        # Revoking the role ends the session at its next call.
        assert live_service.service.set_ra_role(ra["uuid"], None)
        with pytest.raises(ServiceRejected) as ended:
            await desk.report(session.session_id, today, today)
        assert ended.value.code == "ra_session_ended"
    db = live_service.service.settings.db
    assert cli_main(["report", "--since", "2026-13-01", "--until", "2026-01-01", "--db", db]) == 2
    assert cli_main(["report", "--since", "2024-01-01", "--until", "2026-01-01", "--db", db]) == 2
    assert "366 days" in capsys.readouterr().err


# (day, seconds into it, source, kiosk, type, outcome, detail): on the edges of days and
# past noon (PostgreSQL rounds a cast where SQLite truncates), at two kiosks.
EDGES = [
    (0, 0, "service", "ward-7", "unlock_result", "unlocked", {}),
    (0, 86399.5, "service", "ward-7", "unlock_result", "unlocked", {}),
    (0, 50000, "service", "ward-7", "unlock_answers", "self_service_locked", {"locked_now": True}),
    (0, 50001, "service", "ward-7", "unlock_answers", "answers_wrong", {}),
    (0, 60000, "service", "ward-7", "mail_not_sent", "mail_unavailable",
     {"path": "/v1/unlocks", "template": "unlock-code"}),
    (0, 60001, "service", "ward-7", "mail_not_sent", "mail_unavailable",
     {"path": "/v1/ra", "template": "contact-change-notice"}),
    (0, 60002, "service", "ward-7", "unlock_start", "ok", {"next": "code", "not_sent": "sms"}),
    (0, 60003, "service", "ward-7", "unlock_resend", "ok", {"owed": "sms"}),
    (0, 70000, "kiosk", "ward-7", "unlock_result", "unlocked", {}),
    (1, 0, "service", "ward-7", "unlock_result", "unlocked", {}),
    (1, 43201, "ra", "ra-desk", "ra_unlock_result", "unlocked", {}),
    (1, 43202, "service", "ward-7", "registration_confirm", "ok", {}),
    (1, 43203, "service", None, "holder_added", "ok", {}),
    (2, 1, "service", "ward-7", "unlock_result", "unlocked", {}),
]  # fmt: skip


async def test_the_database_counts_each_utc_day_to_the_second_on_either_store(
    live_service: RunningService, masters: MasterKeys
) -> None:
    first = datetime.now(UTC).date() - timedelta(days=40)
    midnight = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    with live_service.service.engine.begin() as conn:
        for day, second, source, kiosk, kind, outcome, detail in EDGES:
            when = midnight + day * 86400 + second
            audit.add(
                conn, event_id=None, at=datetime.fromtimestamp(when, UTC).isoformat(),
                recorded_at=when, source=source, kiosk=kiosk, type=kind, uuid=None,
                serial=None, outcome=outcome, detail=json.dumps(detail, sort_keys=True),
            )  # fmt: skip
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, live_service.holder("ra"))
        report = await desk.report(session.session_id, first, first + timedelta(days=1))
    days = [(first + timedelta(days=n)).isoformat() for n in range(2)]
    rows = {(row.day, row.kiosk): row for row in report.rows}
    assert set(rows) == {
        (days[0], "ward-7"),
        (days[1], "ward-7"),
        (days[1], "ra-desk"),
    }  # nothing counted for the command line's record, nor for day 2 (outside the period)
    zero = dict.fromkeys(
        ("registrations", "unlocks_self_service", "unlocks_assisted", "locks",
         "codes_not_delivered"), 0)  # fmt: skip
    figures = {key: {name: getattr(row, name) for name in zero} for key, row in rows.items()}
    assert figures[(days[0], "ward-7")] == {
        **zero,
        "unlocks_self_service": 2,
        "locks": 1,
        "codes_not_delivered": 2,  # the code's mail refused, and the text owed
    }
    assert rows[(days[0], "ward-7")].refusals == {"answers_wrong": 1, "self_service_locked": 1}
    assert figures[(days[1], "ward-7")] == {**zero, "unlocks_self_service": 1, "registrations": 1}
    assert figures[(days[1], "ra-desk")] == {**zero, "unlocks_assisted": 1}
    assert report.totals.unlocks_self_service == 3 and report.totals.locks == 1
