"""The registration's effects beside the flow: the catalogue cache and the refusal mapping.

The service here is an httpx MockTransport standing in for the unlock service, so
the cache's behaviour while the service is down can be checked without waiting
for timeouts; the whole journey on real parts is in tests/app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk import service_client as sc
from kiosk.card_access import CardThread
from kiosk.effects import Effects
from kiosk.effects.refusals import refusal_event
from kiosk.effects.store import CATALOGUE_KEY
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.store import LocalStore

T0 = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
CATALOGUE = {
    "version": "1",
    "questions": [{"id": f"q{n:02d}", "text": f"Question {n}?"} for n in range(1, 21)],
}


class Service:
    """Answers GET /v1/questions as told: up (with an ETag), not modified, or down."""

    def __init__(self) -> None:
        self.mode = "up"
        self.seen_etags: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen_etags.append(request.headers.get("If-None-Match"))
        if self.mode == "down":
            raise httpx.ConnectError("refused", request=request)
        if self.mode == "not_modified":
            return httpx.Response(304)
        return httpx.Response(200, json=CATALOGUE, headers={"ETag": '"v1"'})


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[Effects, Service, list[e.Event], LocalStore]]:
    service = Service()
    client = sc.ServiceClient(
        "http://service.invalid",
        "token",
        transport=httpx.MockTransport(service),
        retries=0,
    )
    store = LocalStore(tmp_path / "kiosk.sqlite")
    events: list[e.Event] = []
    effects = Effects(
        card=CardThread(object()),  # type: ignore[arg-type]  # no card needed here
        client=client,
        store=store,
        emit=events.append,
        clock=lambda: T0,
    )
    yield effects, service, events, store
    store.close()


async def test_catalogue_is_cached_and_served_from_the_cache_while_down(
    parts: tuple[Effects, Service, list[e.Event], LocalStore],
) -> None:
    effects, service, events, store = parts
    await effects.run(c.LoadQuestionCatalogue())
    assert isinstance(events[-1], e.CatalogueLoaded) and not events[-1].from_cache
    assert len(events[-1].questions) == 20
    cached = store.cache.get(CATALOGUE_KEY)
    assert cached is not None and cached.fetched_at == T0
    service.mode = "not_modified"
    await effects.run(c.LoadQuestionCatalogue())
    assert service.seen_etags[-1] == '"v1"'
    assert isinstance(events[-1], e.CatalogueLoaded) and len(events[-1].questions) == 20
    service.mode = "down"
    await effects.run(c.LoadQuestionCatalogue())
    assert events[-1] == e.CatalogueLoaded(events[0].questions, from_cache=True)  # type: ignore[attr-defined]


async def test_no_catalogue_and_no_service_is_an_outage(
    parts: tuple[Effects, Service, list[e.Event], LocalStore],
) -> None:
    effects, service, events, _ = parts
    service.mode = "down"
    await effects.run(c.LoadQuestionCatalogue())
    assert events == [e.ServiceUnreachable(failed=e.Call.LOAD_QUESTION_CATALOGUE)]


def rejected(status: int, code: str, **extras: Any) -> sc.ServiceRejected:
    return sc.rejection(status, {"code": code, "detail": "x", **extras})


@pytest.mark.parametrize(
    ("call", "error", "event"),
    [
        (
            e.Call.START_REGISTRATION,
            rejected(422, "email_not_approved", approved_domains=["nhs.net"]),
            e.EmailNotApproved(("nhs.net",)),
        ),
        (e.Call.START_REGISTRATION, rejected(422, "mobile_invalid"), e.MobileRefused()),
        (
            e.Call.START_REGISTRATION,
            rejected(422, "terms_outdated", terms_version="9"),
            e.TermsOutdated("9"),
        ),
        (e.Call.START_REGISTRATION, rejected(403, "holder_proof_invalid"), e.CardProofRefused()),
        (
            e.Call.SEND_REGISTRATION_ANSWERS,
            rejected(422, "answers_invalid"),
            e.RegistrationAnswersRefused("x"),
        ),
        (
            e.Call.CONFIRM_REGISTRATION,
            rejected(410, "registration_expired"),
            e.RegistrationExpired(),
        ),
        (
            e.Call.RESEND_REGISTRATION_CODE,
            rejected(404, "unknown_registration"),
            e.RegistrationExpired(),
        ),
        (e.Call.CONFIRM_REGISTRATION, rejected(422, "code_wrong", tries_left=2), e.CodeWrong(2)),
        (e.Call.CONFIRM_REGISTRATION, rejected(410, "code_void"), e.CodeVoid()),
        (
            e.Call.RESEND_REGISTRATION_CODE,
            rejected(429, "too_many_resends", retry_after=30),
            e.ResendRefused(30),
        ),
        (
            e.Call.SEND_REGISTRATION_ANSWERS,
            rejected(409, "wrong_step"),
            e.ServiceRefused(e.Call.SEND_REGISTRATION_ANSWERS, "wrong_step"),
        ),
        # An unlock's malformed answers stay what they were: a refusal that stops.
        (
            e.Call.SEND_ANSWERS,
            rejected(422, "answers_invalid"),
            e.ServiceRefused(e.Call.SEND_ANSWERS, "answers_invalid"),
        ),
    ],
)
def test_registration_refusals_become_flow_events(
    call: e.Call, error: sc.ServiceRejected, event: e.Event
) -> None:
    assert refusal_event(call, error) == event


# ---------------------------------------------------------------- the service busy


def _busy_client(answers: list[httpx.Response], **options: Any) -> tuple[Any, list[str]]:
    keys: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        return answers.pop(0)

    client = sc.ServiceClient(
        "http://service.invalid", "token", transport=httpx.MockTransport(handle), **options
    )
    return client, keys


BUSY = httpx.Response(
    503,
    json={"code": "service_busy", "detail": "busy", "retry_after": 1},
    headers={"Retry-After": "1", "content-type": "application/problem+json"},
)


async def test_a_busy_answer_step_waits_and_goes_again_with_the_same_key() -> None:
    sent = {"code_sent_to": "a***@nhs.net", "code_expires_at": T0.isoformat()}
    client, keys = _busy_client(
        [BUSY, BUSY, httpx.Response(200, json=sent)], retries=0, busy_jitter=0.01
    )
    told: list[int] = []
    with sc.telling_busy(told.append):
        got = await client.send_unlock_answers("u1", {"q1": "a"})
    await client.aclose()
    assert got.code_sent_to == "a***@nhs.net"
    assert told == [1, 1]
    assert len(keys) == 3 and len(set(keys)) == 1


async def test_a_busy_wait_is_bounded_and_then_the_holder_is_told_it_is_busy() -> None:
    client, keys = _busy_client([BUSY], retries=0, busy_wait_max=0)
    with pytest.raises(sc.ServiceBusy) as refused:
        await client.send_unlock_answers("u1", {"q1": "a"})
    await client.aclose()
    assert len(keys) == 1
    event = refusal_event(e.Call.SEND_ANSWERS, refused.value)
    assert event == e.ServiceUnreachable(e.Call.SEND_ANSWERS, retry_after=1, overloaded=True)


def test_a_throttle_reads_as_busy_and_is_retried_after_its_retry_after() -> None:
    refused = sc.rejection(429, {"code": "too_many_requests", "retry_after": 30})
    event = refusal_event(e.Call.START_UNLOCK, refused)
    assert event == e.ServiceUnreachable(e.Call.START_UNLOCK, retry_after=30, overloaded=True)
