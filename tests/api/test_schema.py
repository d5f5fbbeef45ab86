"""Schemathesis against the OpenAPI schema: no 5xx, every response as the schema says (bounded)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from api.app import create_app
from api.config import BoardConfig
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from projections.catalog import all_models
from projections.runner import Projector
from tests.api.conftest import FAST, PASSWORD, USERS, second_branch
from tests.conftest import isolated_schema
from tests.integration import province as p
from workers.bootstrap import persistence_env

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


SEEDS: dict[str, str] = {"unit_id": p.PROVINCE, "metric": "in_scope", "username": "clerk"}
"""Path parameters that name real records: every other example uses them, so that operations
are reached with ids that exist, not only refused as unknown (the board fixture adds the ids)."""
EXAMPLES = itertools.count()


@pytest.fixture(scope="module")
def board(pg_server_url: str) -> Iterator[tuple[TestClient, dict[str, str], Projector]]:
    """One province, app and supervisor token for every operation (building them is most of the
    cost); reads do not catch the projector up each time: `caught_up` does, once per operation."""
    with isolated_schema(pg_server_url) as url:
        office = LiaisonOffice(env=persistence_env(url), clock=p.clock)
        p.build_province(office)
        second_branch(office)
        enrolled = p.received_member(office, 1)
        SEEDS.update(member_id=str(enrolled.member_id), liaison_id=str(enrolled.liaison_id))
        users = UserStore(url, hasher=FAST)

        async def add_users() -> None:
            await users.setup()
            for name, (role, unit) in USERS.items():
                await users.add(name, PASSWORD, role, unit)
            await users.close()  # the test client's event loop opens its own pool

        asyncio.run(add_users())
        projector = Projector(persistence_env(url), all_models())
        config = BoardConfig(database_url=url, secure_cookies=False)
        app = create_app(office, ProjectionReads(url), users, config)
        try:
            with TestClient(app, base_url="http://board.test") as client:
                response = client.post(
                    "/api/auth/token", json={"username": "supervisor", "password": PASSWORD}
                )
                token = {"Authorization": f"Bearer {response.json()['access_token']}"}
                yield client, token, projector
        finally:
            projector.close()
            office.close()


@pytest.fixture
def signed_in(
    board: tuple[TestClient, dict[str, str], Projector],
) -> tuple[TestClient, dict[str, str]]:
    """The client and the supervisor's header, the read models caught up before the examples."""
    client, headers, projector = board
    projector.catch_up()
    return client, headers


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors_and_no_schema_violations(
    case: Any, signed_in: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = signed_in
    if next(EXAMPLES) % 2:
        for name in case.path_parameters or {}:
            case.path_parameters[name] = SEEDS.get(name, case.path_parameters[name])
    kwargs = case.as_transport_kwargs(base_url="http://board.test", headers=headers)
    response = client.request(**{k: v for k, v in kwargs.items() if k != "base_url"})
    case.validate_response(response, checks=CHECKS, headers=headers)
