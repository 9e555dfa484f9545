"""The service's layers: the rules know no HTTP, and every error they raise has a status."""

from __future__ import annotations

import grimp
import pytest

from card.keys import MasterKeys
from service.api.errors import STATUS_OF, problem_for
from service.domain import errors, ra_errors
from tests.service.conftest import RunningService, card_mac
from tests.service.holder_steps import proof_body
from tests.service.test_rules import raw_post


def domain_errors() -> set[type[errors.DomainError]]:
    return {
        value
        for module in (errors, ra_errors)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, errors.DomainError)
        and value not in (errors.DomainError, errors.Refusal)
    }


def test_every_domain_error_has_one_status_at_the_edge() -> None:
    assert domain_errors() == set(STATUS_OF)


def test_a_refusal_carries_its_extras_to_the_problem() -> None:
    problem = problem_for(errors.CodeRejected(tries_left=2))
    assert (problem.status, problem.code, problem.extras) == (422, "code_wrong", {"tries_left": 2})
    assert problem.body()["tries_left"] == 2 and problem.body()["code"] == "code_wrong"


@pytest.mark.parametrize("layer", ["service.domain", "service.queries"])
def test_the_rules_and_queries_know_no_http(layer: str) -> None:
    graph = grimp.build_graph("service", include_external_packages=True)
    for forbidden in ("fastapi", "starlette", "service.api", "service.problems"):
        chains = graph.find_shortest_chains(importer=layer, imported=forbidden)
        assert not chains, f"{layer} reaches {forbidden}: {chains}"


async def test_what_leaves_is_the_wire_json_of_before(
    live_service: RunningService, masters: MasterKeys
) -> None:
    """Response models check what leaves without adding members: a started unlock
    that asks questions has no code_sent_to or text_sent_to (not even null), first
    time or replayed; the policy it runs under is named (docs/api.md "Policies")."""
    holder = live_service.holder("working")
    nonce = (await raw_post(live_service, "/v1/nonces")).json()["nonce"]
    mac = card_mac(masters, holder["serial"], bytes.fromhex(nonce)).hex()
    body = proof_body(holder, nonce, mac)
    first = await raw_post(live_service, "/v1/unlocks", body, key="wire-json")
    again = await raw_post(live_service, "/v1/unlocks", body, key="wire-json")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert list(first.json()) == [
        "unlock_id",
        "next",
        "questions",
        "attempts_left",
        "expires_at",
        "policy",
    ]
    assert first.json()["policy"] == "questions"
    assert first.json()["next"] == "answers" and len(first.json()["questions"]) == 3
