"""The RA manager's report screen on real parts (issue 17 item 3): the demo service over
HTTP, the RA's own card in pcscd, the kiosk app driven with keys (Pilot). Audit records
are written on known days; the periods chosen on the screen (7, 30, 90 days and two
typed days) show exactly those days' figures, per day and per kiosk, and the desk's
CSV for the same period says the same."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import create_engine
from textual.widgets import Input, Static

from demo.world import DemoWorld
from kiosk.app import KioskApp, make_app
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.flow.ra_states import RaHome, RaPasscode, RaReport
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.store import LocalStore
from service.queries import audit
from tests.app.conftest import holder
from tests.app.journey import SIZE, fields_ready, on, until
from tests.conftest import READER

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
        elif kind == "mail_not_sent":
            row["codes_not_delivered"] += 1
        if detail.get("locked_now"):
            row["locks"] += 1
        if kind != "mail_not_sent" and outcome not in ("ok", "unlocked"):
            row[f"refused_{outcome}"] += 1
    return rows


@pytest.fixture
async def ra_kiosk(world: DemoWorld, kiosk_settings: KioskSettings) -> AsyncIterator[KioskApp]:
    store = LocalStore(kiosk_settings.store)
    app = make_app(
        settings=kiosk_settings.model_copy(update={"ra_desk": True}),
        card=PcscCardAccess(READER),
        client=ServiceClient(world.service_url, world.kiosk_token, timeout=3.0, retries=1),
        store=store,
        demo=world.cards,
        outbox_seconds=0.5,
    )
    yield app
    store.close()


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
        for name in (
            "registrations",
            "unlocks_self_service",
            "unlocks_assisted",
            "locks",
            "codes_not_delivered",
        ):
            assert int(line[name]) == row[name], (key, name)
        for name, n in row.items():
            if name.startswith("refused_"):
                assert int(line[name]) == n, (key, name)
    # Nothing else: the desk's own doings of today (sign-in, reports) are no figure.
    assert not got, got


async def test_the_ra_manager_chooses_the_period_and_the_figures_are_the_audits(
    world: DemoWorld, ra_kiosk: KioskApp
) -> None:
    write_known_days(world)
    ra = holder(world, "ra")
    app = ra_kiosk
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, on(s.WaitingForCard))
        await pilot.press("ctrl+f5")
        await until(pilot, app, on(s.CardStatus))
        await pilot.press("3")
        await until(pilot, app, on(RaPasscode))
        await fields_ready(pilot, app)
        await pilot.press(*ra["pin"], "enter")
        await until(pilot, app, on(RaHome))

        # R: the last 30 days, today included.
        await pilot.press("r")
        await until(pilot, app, on(RaReport))
        check_figures(app, TODAY - dt.timedelta(days=29), TODAY)

        for key, days in (("7", 7), ("9", 90), ("3", 30)):
            await pilot.press(key)
            first = TODAY - dt.timedelta(days=days - 1)
            await until(
                pilot,
                app,
                lambda st, first=first: on(RaReport)(st) and st.screen.since == first.isoformat(),  # type: ignore[attr-defined]
            )
            check_figures(app, first, TODAY)
        await check_csv(world, app, TODAY - dt.timedelta(days=29), TODAY)

        # D: two typed days. A bad pair says why and changes nothing.
        await pilot.press("d")
        await fields_ready(pilot, app)
        first, last = TODAY - dt.timedelta(days=65), TODAY - dt.timedelta(days=15)
        since, until_field = app.screen.query(Input)
        since.value, until_field.value = last.isoformat(), first.isoformat()
        app.set_focus(until_field)
        await pilot.press("enter")
        state = await until(pilot, app, lambda st: bool(st.screen.error))  # type: ignore[attr-defined]
        assert "before the first day" in (state.screen.error or "")  # type: ignore[attr-defined]
        assert state.screen.since == (TODAY - dt.timedelta(days=29)).isoformat()  # type: ignore[attr-defined]
        since.value, until_field.value = first.isoformat(), last.isoformat()
        app.set_focus(until_field)
        await pilot.press("enter")
        await until(
            pilot,
            app,
            lambda st: on(RaReport)(st) and st.screen.since == first.isoformat(),  # type: ignore[attr-defined]
        )
        check_figures(app, first, last)
        assert expected(first, last), "the period holds known days"
        await check_csv(world, app, first, last)

        await pilot.press("escape")
        await until(pilot, app, on(RaHome))
