"""The service's layers: the rules know no HTTP, and every error they raise has a status."""

from __future__ import annotations

import grimp
import pytest

from service.api.errors import STATUS_OF, problem_for
from service.domain import errors


def domain_errors() -> set[type[errors.ServiceError]]:
    return {
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, errors.ServiceError)
        and value not in (errors.ServiceError, errors.Refusal)
    }


def test_every_domain_error_has_one_status_at_the_edge() -> None:
    assert domain_errors() == set(STATUS_OF)


def test_a_refusal_carries_its_extras_to_the_problem() -> None:
    problem = problem_for(errors.CodeWrong(tries_left=2))
    assert (problem.status, problem.code, problem.extras) == (422, "code_wrong", {"tries_left": 2})
    assert problem.body()["tries_left"] == 2 and problem.body()["code"] == "code_wrong"


@pytest.mark.parametrize("layer", ["service.domain", "service.queries"])
def test_the_rules_and_queries_know_no_http(layer: str) -> None:
    graph = grimp.build_graph("service", include_external_packages=True)
    for forbidden in ("fastapi", "starlette", "service.api", "service.problems"):
        chains = graph.find_shortest_chains(importer=layer, imported=forbidden)
        assert not chains, f"{layer} reaches {forbidden}: {chains}"
