"""Schemathesis against the OpenAPI schema: no 5xx, every response as the schema says (bounded)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from api.app import create_app
from api.config import BoardConfig
from tests.api.conftest import PASSWORD

CHECKS: Any = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The schema does not depend on the database: take it from an app with no office behind it.
SPEC = create_app(
    cast(Any, None),
    cast(Any, None),
    cast(Any, None),
    BoardConfig(database_url="postgresql://unused"),
).openapi()
schema = schemathesis.openapi.from_dict(SPEC)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client of the real app and a supervisor's bearer header (requests reach the domain)."""
    with TestClient(app, base_url="http://board.test") as client:
        response = client.post(
            "/api/auth/token", json={"username": "supervisor", "password": PASSWORD}
        )
        yield client, {"Authorization": f"Bearer {response.json()['access_token']}"}


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_no_schema_violations(
    case: Any, signed_in: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = signed_in
    kwargs = case.as_transport_kwargs(base_url="http://board.test", headers=headers)
    response = client.request(**{k: v for k, v in kwargs.items() if k != "base_url"})
    case.validate_response(response, checks=CHECKS, headers=headers)
