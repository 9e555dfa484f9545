"""/openapi.json agrees with docs/api.md, and the service keeps to it under generated requests.

The contract is read from this repository only, so these tests run the same in a
bare clone as beside any other checkout.
"""

from __future__ import annotations

import re
from pathlib import Path
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

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"

ENDPOINTS = {
    ("get", "/v1/health"),
    ("get", "/v1/ready"),
    ("get", "/v1/questions"),
    ("get", "/v1/ra-contacts"),
    ("get", "/v1/policy"),
    ("post", "/v1/nonces"),
    ("post", "/v1/unlocks"),
    ("post", "/v1/unlocks/{unlock_id}/answers"),
    ("post", "/v1/unlocks/{unlock_id}/channel"),
    ("post", "/v1/unlocks/{unlock_id}/code"),
    ("post", "/v1/unlocks/{unlock_id}/cryptogram"),
    ("post", "/v1/unlocks/{unlock_id}/puk"),
    ("post", "/v1/unlocks/{unlock_id}/puk-rotated"),
    ("post", "/v1/unlocks/{unlock_id}/resend"),
    ("post", "/v1/unlocks/{unlock_id}/result"),
    ("post", "/v1/registrations"),
    ("put", "/v1/registrations/{registration_id}/answers"),
    ("post", "/v1/registrations/{registration_id}/confirm"),
    ("post", "/v1/registrations/{registration_id}/resend"),
    ("post", "/v1/audit"),
    ("post", "/v1/ra/sessions"),
    ("post", "/v1/ra/sessions/{session_id}/end"),
    ("post", "/v1/ra/sessions/{session_id}/holder"),
    ("get", "/v1/ra/sessions/{session_id}/holder"),
    ("post", "/v1/ra/sessions/{session_id}/clear-lock"),
    ("post", "/v1/ra/sessions/{session_id}/contacts"),
    ("post", "/v1/ra/sessions/{session_id}/unlocks"),
    ("post", "/v1/ra/sessions/{session_id}/unlocks/{unlock_id}/cryptogram"),
    ("post", "/v1/ra/sessions/{session_id}/unlocks/{unlock_id}/result"),
    ("get", "/v1/ra/sessions/{session_id}/report"),
    ("get", "/v1/ra/sessions/{session_id}/report.csv"),
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
            if path not in {"/v1/health", "/v1/ready"}:
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


def api_md_sections() -> dict[tuple[str, str], str]:
    """docs/api.md: the text under each `### `METHOD /path`` heading."""
    text = API_MD.read_text()
    endpoints = text.split("## The service's command line")[0]
    parts = re.split(r"^### `(GET|POST|PUT|DELETE|PATCH) (/\S+)`$", endpoints, flags=re.M)
    return {
        (method.lower(), path): body
        for method, path, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True)
    }


def problems_named(text: str) -> set[tuple[int, str]]:
    """Every `NNN `code`` pair in a stretch of docs/api.md."""
    return {(int(s), c) for s, c in re.findall(r"(\d{3})\s+`([a-z_]+)`", text)}


# Refusals docs/api.md names once under Conventions instead of under every endpoint.
COMMON = {
    (401, "unauthorized"),
    (422, "request_invalid"),
    (429, "too_many_requests"),
    (422, "idempotency_key_reused"),
    (409, "request_in_progress"),
    (413, "body_too_large"),
}
# Answers outside any endpoint (unknown path, wrong method, a fault), not in OpenAPI.
OUTSIDE = {(404, "not_found"), (405, "method_not_allowed"), (500, "internal_error")}


def test_api_md_lists_exactly_the_published_endpoints() -> None:
    assert API_MD.is_file()
    assert set(api_md_sections()) == ENDPOINTS


def test_api_md_names_each_endpoints_refusals_exactly(live_service: RunningService) -> None:
    paths = fetch_schema(live_service)["paths"]
    for (method, path), section in api_md_sections().items():
        declared = declared_problems({"paths": {path: {method: paths[path][method]}}})
        named = problems_named(section)
        assert named == declared - COMMON, (method, path)


def test_api_md_codes_are_declared(live_service: RunningService) -> None:
    declared = declared_problems(fetch_schema(live_service))
    named = problems_named(API_MD.read_text())
    assert len(named) > 15
    assert named - OUTSIDE == declared
    assert COMMON <= declared
