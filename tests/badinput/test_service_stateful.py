"""schemathesis in stateful mode against the real service's /openapi.json, bounded.

The OpenAPI document declares no `links`, but schemathesis infers them from the
schema (dependency analysis): POST /v1/unlocks -> answers, code, cryptogram,
resend, result on the returned `unlock_id`, and POST /v1/registrations -> answers,
confirm, resend on `registration_id` (test_links_are_inferred holds that). A
random body never carries a valid card proof, so alone the machine would only
ever meet 403s; `before_call` fills in what a real card and a real mailbox would
give (a fresh nonce and its MAC, and on some calls the right answers or the code
from the mail), leaving every other value as schemathesis generated it.

Every response must conform to the schema (status, content type, body), none may
be 5xx, and a model of the counting rules follows the run: attempts_left never
goes up except after correct answers, a third failure locks and the lock holds,
tries_left never goes up (a resend does not reset it), and a void code stays void.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from card.keys import MasterKeys
from service.settings import ServiceSettings, Throttle
from tests.service.conftest import Mailbox, RunningService, card_mac

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SCENARIOS = 40
"""Hypothesis examples: each one a fresh sequence of calls. Derandomized (a fixed seed):
with the RA desk's routes in the schema, a random 25 sometimes never reached the code step."""
STEPS = 10
"""Most calls in one sequence."""


@pytest.fixture
def settings(settings: ServiceSettings) -> ServiceSettings:
    """The service suite's settings, with throttles out of reach of one fast machine:
    hundreds of unlock starts for one demo card in a minute are the point here."""
    throttle = Throttle(per_kiosk=100_000, per_card=100_000, per_holder=100_000)
    return settings.model_copy(update={"throttle": throttle})


@dataclass
class Model:
    """What the counting rules say the service must answer next."""

    failed: int = 0
    asked: dict[str, list[str]] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)
    void: set[str] = field(default_factory=set)
    calls: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def test_links_are_inferred(live_service: RunningService) -> None:
    schema = schemathesis.openapi.from_url(f"{live_service.url}/openapi.json")
    machine = schema.as_state_machine()
    rules = {name for name in dir(machine) if "__" in name and name.startswith("POST_")}
    assert any("unlock_id_answers" in r for r in rules)
    assert any("unlock_id_code" in r for r in rules)
    assert any("registration_id_confirm" in r for r in rules)


def test_stateful_sequences_conform_and_keep_the_counting_rules(
    live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    url = live_service.url
    headers = {"Authorization": f"Bearer {live_service.tokens['ward-7']}"}
    locked = live_service.holder("locked")
    working = live_service.holder("working")
    model = Model()
    turn = [itertools.count()]

    def nonce() -> str:
        answer = httpx.post(f"{url}/v1/nonces", headers=headers, timeout=10)
        assert answer.status_code == 201
        return str(answer.json()["nonce"])

    def latest_code(email: str) -> str | None:
        mails = mailbox.to(email)
        return mailbox.code(email, len(mails)) if mails else None

    def fill(case: Any) -> None:
        """Give the generated request what a real card and mailbox would, some of the time."""
        n = next(turn[0])
        path = case.operation.path
        body = case.body if isinstance(case.body, dict) else None
        # Generated Idempotency-Keys repeat ("0", "") across unrelated calls; the
        # replay rules have their own tests (tests/service, tests/load).
        # A generated Authorization would replace the kiosk token; the 401s that remain
        # are schemathesis's own negative cases, which drop the header on purpose.
        for name in list(case.headers or {}):
            if name.lower() in {"idempotency-key", "authorization"}:
                del case.headers[name]
        if body is None:
            return
        if path == "/v1/unlocks" and n % 4:
            fresh = nonce()
            mac = card_mac(masters, locked["serial"], bytes.fromhex(fresh))
            body.update(serial=locked["serial"], uuid=locked["uuid"], nonce=fresh, mac=mac.hex())
        elif path == "/v1/registrations" and n % 4:
            fresh = nonce()
            mac = card_mac(masters, working["serial"], bytes.fromhex(fresh), key="holder_auth")
            body.update(serial=working["serial"], uuid=working["uuid"], nonce=fresh, mac=mac.hex())
            if n % 2:
                body.update(
                    email=working["email"], mobile=working["mobile"], terms_version="2026-11"
                )
        elif path == "/v1/unlocks/{unlock_id}/answers" and n % 3 == 0:
            asked = model.asked.get(case.path_parameters.get("unlock_id", ""), [])
            if asked:
                body["answers"] = {q: locked["answers"][q] for q in asked}
        elif path == "/v1/unlocks/{unlock_id}/code" and n % 2:
            body["code"] = latest_code(locked["email"]) or body.get("code", "")
        elif path == "/v1/registrations/{registration_id}/confirm" and n % 2:
            body["code"] = latest_code(working["email"]) or body.get("code", "")
        elif path == "/v1/registrations/{registration_id}/answers" and n % 2:
            body["answers"] = {"q01": "biscuit", "q02": "road", "q03": "oasis", "q04": "rex"}

    def follow(response: Any, case: Any) -> None:
        """Hold the service to the counting rules as the model tracks them."""
        model.calls += 1
        path, status = case.operation.path, response.status_code
        key = f"{case.operation.method.upper()} {path} {status}"
        model.statuses[key] = model.statuses.get(key, 0) + 1
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("code") if isinstance(body, dict) else None
        unlock_id = case.path_parameters.get("unlock_id") if case.path_parameters else None
        ours = isinstance(case.body, dict) and case.body.get("uuid") == locked["uuid"]
        if path == "/v1/unlocks" and ours:
            if model.failed >= 3:
                assert (status, code) in {(423, "self_service_locked"), (403, "card_proof_invalid")}
            if status == 201:
                assert body["attempts_left"] == 3 - model.failed
                model.asked[body["unlock_id"]] = [q["id"] for q in body["questions"]]
                model.tries[body["unlock_id"]] = 3
        elif path == "/v1/unlocks/{unlock_id}/answers" and unlock_id in model.asked:
            if model.failed >= 3 and code != "wrong_step":
                assert (status, code) == (423, "self_service_locked"), (status, code)
            elif status == 200:
                model.failed = 0
            elif code == "answers_wrong":
                model.failed += 1
                assert body["attempts_left"] == 3 - model.failed
            elif code == "self_service_locked":
                model.failed += 1
                assert model.failed == 3
        elif path == "/v1/unlocks/{unlock_id}/code" and unlock_id in model.tries:
            if unlock_id in model.void and code != "wrong_step":
                assert (status, code) == (410, "code_void"), (status, code)
            elif code == "code_wrong":
                model.tries[unlock_id] -= 1
                assert body["tries_left"] == model.tries[unlock_id] >= 1
            elif code == "code_void":
                assert model.tries[unlock_id] == 1
                model.void.add(unlock_id)
        elif path == "/v1/unlocks/{unlock_id}/resend" and unlock_id in model.void:
            assert status in {409, 410, 429}, status  # a void code stays void

    base: type[Any] = schemathesis.openapi.from_url(f"{url}/openapi.json").as_state_machine()
    validate: Callable[..., None] = lambda response, case: case.validate_response(  # noqa: E731
        response, checks=CHECKS, headers=headers
    )

    class Workflow(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            # Each scenario starts from an unlocked holder, as after an RA clear.
            # The same calls must get the same answers in every scenario (Hypothesis
            # replays prefixes), so the per-call choices restart too.
            live_service.service.clear_lock(locked["uuid"])
            model.failed = 0
            turn[0] = itertools.count()

        def before_call(self, case: Any) -> None:
            fill(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": url, "headers": headers, "timeout": 10}

        def after_call(self, response: Any, case: Any) -> None:
            follow(response, case)

        def validate_response(self, response: Any, case: Any, **_: Any) -> None:
            validate(response, case)

    Workflow.run(
        settings=hsettings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
    )
    print(f"\nSTATEFUL calls={model.calls} {sorted(model.statuses.items())}")
    # The run went past the card proof into the counted steps, both ways.
    reached = {k.rsplit(" ", 1)[0] for k in model.statuses}
    assert "POST /v1/unlocks/{unlock_id}/answers" in reached
    assert "POST /v1/unlocks/{unlock_id}/code" in reached
    assert model.calls >= SCENARIOS
