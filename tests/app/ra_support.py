"""Helpers for the RA desk's tests on the demo world."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from textual.widgets import Static

from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.flow.ra_states import RaConfirmHolder, RaHolder, RaNewPasscode, RaPasscode, RaReport
from kiosk.service_client import SelfServiceLockedError, ServiceClient, WrongAnswers
from service.domain.ra_report import MEASURES
from service.queries import audit
from tests.app.journey import fields_ready, on, until
from tests.conftest import READER, reader_has_card
from tests.support import wait_for


async def lock_self_service(world: DemoWorld) -> None:
    """Three wrong answer sets at the kiosk, with the card in the first reader."""
    card = PcscCardAccess(READER)
    facts = card.read()
    async with ServiceClient(world.service_url, world.kiosk_token) as client:
        nonce = await client.new_nonce()
        mac = card.card_mac(facts.serial, nonce.nonce)
        started = await client.start_unlock(facts.serial, facts.uuid, nonce.nonce, mac)
        wrong = {q.id: "not the answer" for q in started.questions}
        for _ in range(2):
            with pytest.raises(WrongAnswers):
                await client.send_unlock_answers(started.unlock_id, wrong)
        with pytest.raises(SelfServiceLockedError):
            await client.send_unlock_answers(started.unlock_id, wrong)


def swap_card(world: DemoWorld, key: str | None) -> None:
    """Take the card out (pcscd sees it go), then put `key`'s in."""
    assert world.cards is not None
    world.cards.remove()
    wait_for(lambda: reader_has_card(False, READER), what="the reader empty")
    if key is not None:
        world.cards.insert(key)


async def ra_signs_in(pilot: Any, app: KioskApp, card_key: str, passcode: str) -> None:
    """One reader: the card in by its demo key, 3 (sign in as an RA), the passcode."""
    await until(pilot, app, on(s.WaitingForCard))
    await pilot.press(card_key)
    await until(pilot, app, on(s.CardStatus))
    await pilot.press("3")
    await until(pilot, app, on(RaPasscode))
    await fields_ready(pilot, app)
    await pilot.press(*passcode, "enter")


async def ra_unlocks_the_card(pilot: Any, app: KioskApp, passcode: str) -> s.KioskState:
    """On the holder's page: U, Y to confirm, the new `passcode` twice; the holder's page
    again, with its notice."""
    await pilot.press("u")
    await until(pilot, app, on(RaConfirmHolder))
    await pilot.press("y")
    await until(pilot, app, on(RaNewPasscode))
    await fields_ready(pilot, app)
    await pilot.press(*passcode, "enter", *passcode, "enter")
    return await until(pilot, app, lambda st: on(RaHolder)(st) and st.screen.notice)  # type: ignore[attr-defined]


# -- the manager's report on known days ---------------------------------------------

TODAY = dt.datetime.now(dt.UTC).date()

# (days before today, kiosk, type, outcome, detail): what the audit holds on known days.
KNOWN = [
    (3, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    (3, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    (3, "Ward 7 kiosk", "registration_confirm", "ok", {}),
    (3, "Ward 7 kiosk", "unlock_answers", "answers_wrong", {}),
    (3, "Ward 9 kiosk", "unlock_code", "code_wrong", {}),
    (20, "Ward 9 kiosk", "ra_unlock_result", "unlocked", {}),
    (20, "Ward 9 kiosk", "unlock_answers", "self_service_locked", {"locked_now": True}),
    (20, "Ward 9 kiosk", "mail_not_sent", "mail_unavailable", {"template": "unlock-code"}),
    (60, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    (60, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    (60, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    (100, "Ward 7 kiosk", "unlock_result", "unlocked", {}),
    # What a kiosk says of itself is never counted.
    (3, "Ward 7 kiosk", "card_unlocked", "unlocked", {}),
]


def write_known_days(world: DemoWorld) -> None:
    engine = create_engine(world.db_url)
    with engine.begin() as conn:
        for n, (days_ago, kiosk, kind, outcome, detail) in enumerate(KNOWN):
            day = TODAY - dt.timedelta(days=days_ago)
            when = dt.datetime(day.year, day.month, day.day, 10, n, tzinfo=dt.UTC)
            audit.add(
                conn,
                event_id=None,
                at=when.isoformat(),
                recorded_at=when.timestamp(),
                source="kiosk" if kind == "card_unlocked" else "service",
                kiosk=kiosk,
                type=kind,
                uuid=None,
                serial=None,
                outcome=outcome,
                detail=json.dumps(detail),
            )
    engine.dispose()


def expected(first: dt.date, last: dt.date) -> dict[tuple[str, str], Counter[str]]:
    """The figures of KNOWN in first..last, by the report's definitions (docs/api.md)."""
    rows: dict[tuple[str, str], Counter[str]] = {}
    for days_ago, kiosk, kind, outcome, detail in KNOWN:
        day = TODAY - dt.timedelta(days=days_ago)
        if not first <= day <= last or kind == "card_unlocked":
            continue
        row = rows.setdefault((day.isoformat(), kiosk), Counter())
        if kind == "registration_confirm":
            row["registrations"] += 1
        elif kind == "unlock_result":
            row["unlocks_self_service"] += 1
        elif kind == "ra_unlock_result":
            row["unlocks_assisted"] += 1
        elif kind == "mail_not_sent" or detail.get("not_sent"):
            row["codes_not_delivered"] += 1
        if detail.get("locked_now"):
            row["locks"] += 1
        if kind != "mail_not_sent" and outcome not in ("ok", "unlocked"):
            row[f"refused_{outcome}"] += 1
    return rows


def shown(app: KioskApp) -> str:
    """The report's figures as the screen shows them."""
    return str(app.screen.query_one("#totals", Static).content)


def check_figures(app: KioskApp, first: dt.date, last: dt.date) -> None:
    """The report on screen is first..last, and its figures are KNOWN's in that period
    (the demo world's own records of today are sign-ins and reports, never counted)."""
    screen = app.state.screen
    assert isinstance(screen, RaReport) and screen.report is not None
    view = screen.report
    assert (view.since, view.until) == (first.isoformat(), last.isoformat())
    rows = expected(first, last)
    total: Counter[str] = sum(rows.values(), Counter())
    assert view.registrations == total["registrations"]
    assert view.unlocks_self_service == total["unlocks_self_service"]
    assert view.unlocks_assisted == total["unlocks_assisted"]
    assert view.locks == total["locks"]
    assert view.codes_not_delivered == total["codes_not_delivered"]
    assert {f"refused_{code}": n for code, n in view.refusals} == {
        k: v for k, v in total.items() if k.startswith("refused_")
    }
    # Per day: the chart's data is a day each, from first to last.
    assert len(view.unlocks_per_day) == (last - first).days + 1
    per_day: Counter[str] = Counter()
    for (day, _kiosk), row in rows.items():
        per_day[day] += row["unlocks_self_service"] + row["unlocks_assisted"]
    assert dict(zip(view.days, view.unlocks_per_day, strict=True)) == {
        (first + dt.timedelta(days=n)).isoformat(): per_day[
            (first + dt.timedelta(days=n)).isoformat()
        ]
        for n in range((last - first).days + 1)
    }
    # Per kiosk: a line each for the kiosks that had any.
    assert {line.split(":")[0] for line in view.kiosks} == {kiosk for _day, kiosk in rows}
    # And on the screen, in words.
    text = shown(app)
    assert f"Registrations: {total['registrations']}" in text
    assert f"Self-service locks: {total['locks']}" in text
    # Refusal reasons in words, not the service's codes.
    assert "answers_wrong" not in text
    if total["refused_answers_wrong"]:
        assert f"wrong answers {total['refused_answers_wrong']}" in text


async def check_csv(world: DemoWorld, app: KioskApp, first: dt.date, last: dt.date) -> None:
    """The desk's report.csv for the period says what the screen says, row for row."""
    screen = app.state.screen
    assert isinstance(screen, RaReport)
    async with httpx.AsyncClient(base_url=world.service_url) as http:
        answer = await http.get(
            f"/v1/ra/sessions/{screen.session.session_id}/report.csv",
            params={"since": first.isoformat(), "until": last.isoformat()},
            headers={"Authorization": f"Bearer {world.kiosk_token}"},
        )
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    want = expected(first, last)
    got = {(r["day"], r["kiosk"]): r for r in rows if r["day"] != "total"}
    for key, row in want.items():
        line = got.pop(key)
        for name in MEASURES:
            assert int(line[name]) == row[name], (key, name)
        for name, n in row.items():
            if name.startswith("refused_"):
                assert int(line[name]) == n, (key, name)
    # Nothing else: the desk's own doings of today (sign-in, reports) are no figure.
    assert not got, got
