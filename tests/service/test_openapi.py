"""/openapi.json agrees with API.md, and the service keeps to it under generated requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.conftest import RunningService

ENDPOINTS = {
    ("get", "/v1/health"),
    ("get", "/v1/questions"),
    ("post", "/v1/nonces"),
    ("post", "/v1/unlocks"),
    ("post", "/v1/unlocks/{unlock_id}/answers"),
    ("post", "/v1/unlocks/{unlock_id}/code"),
    ("post", "/v1/unlocks/{unlock_id}/cryptogram"),
    ("post", "/v1/unlocks/{unlock_id}/resend"),
    ("post", "/v1/unlocks/{unlock_id}/result"),
    ("post", "/v1/registrations"),
    ("put", "/v1/registrations/{registration_id}/answers"),
    ("post", "/v1/registrations/{registration_id}/confirm"),
    ("post", "/v1/registrations/{registration_id}/resend"),
    ("post", "/v1/audit"),
}


def fetch_schema(live: RunningService) -> dict[str, Any]:
    response = httpx.get(f"{live.url}/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_openapi_lists_exactly_the_api_md_endpoints(live_service: RunningService) -> None:
    schema = fetch_schema(live_service)
    found = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert found == ENDPOINTS
    unlock = schema["paths"]["/v1/unlocks"]["post"]
    assert {"201", "401", "403", "409", "422", "423", "429", "503"} <= set(unlock["responses"])
    problem = unlock["responses"]["403"]["content"]
    assert "application/problem+json" in problem
    names = {p["name"] for p in unlock["parameters"]}
    assert "Idempotency-Key" in names
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if path != "/v1/health":
                assert "401" in op["responses"], (method, path)


@pytest.mark.parametrize(
    ("mode", "checks"),
    [
        (
            schemathesis.GenerationMode.POSITIVE,
            [
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        ),
        (schemathesis.GenerationMode.NEGATIVE, [not_a_server_error, content_type_conformance]),
    ],
    ids=["positive", "negative"],
)
def test_generated_requests_conform(
    live_service: RunningService, mode: schemathesis.GenerationMode, checks: list[Any]
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_service.url}/openapi.json")
    headers = {"Authorization": f"Bearer {live_service.tokens['ward-7']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(ENDPOINTS)
    raw = fetch_schema(live_service)["paths"]
    for operation in operations:
        declared = raw[operation.path][operation.method.lower()]
        if mode == schemathesis.GenerationMode.NEGATIVE and not (
            declared.get("parameters") or declared.get("requestBody")
        ):
            continue  # nothing in the request can be made invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=12,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(base_url=live_service.url, headers=headers, timeout=10)
            case.validate_response(response, checks=checks, headers=headers)

        check()


def declared_problems(schema: dict[str, Any]) -> set[tuple[int, str]]:
    pairs = set()
    for ops in schema["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                for media in response.get("content", {}).values():
                    for part in media["schema"].get("allOf", []):
                        for code in part.get("properties", {}).get("code", {}).get("enum", []):
                            pairs.add((int(status), code))
    return pairs


def test_every_refusal_the_service_raises_is_declared(live_service: RunningService) -> None:
    import re
    from pathlib import Path

    import service
    from service.api.errors import STATUS_OF

    declared = declared_problems(fetch_schema(live_service))
    source = "\n".join(p.read_text() for p in Path(service.__file__).parent.rglob("*.py"))
    raised = {
        (int(status), code)
        for status, code in re.findall(r'Problem\(\s*(\d{3}),\s*"([a-z_]+)"', source)
    }
    # The rules raise domain errors; the edge's table gives each its status.
    raised |= {(status, str(error.code)) for error, status in STATUS_OF.items()}
    undeclared = {pair for pair in raised - declared if pair not in {(500, "internal_error")}}
    assert not undeclared


def test_api_md_codes_are_declared(live_service: RunningService) -> None:
    import re
    from pathlib import Path

    api_md = Path(__file__).resolve().parents[3] / "shared" / "API.md"
    if not api_md.exists():
        pytest.skip("shared/API.md is not beside this clone")
    text = api_md.read_text()
    named = {(int(s), c) for s, c in re.findall(r"(\d{3})\s+`([a-z_]+)`", text)}
    assert len(named) > 15
    assert named <= declared_problems(fetch_schema(live_service))
