"""Fixtures for the province-scale tests: a small demo province on a fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from application.office import LiaisonOffice
from domain.registry import BULK_IMPORT
from domain.roles import Actor, Role
from workers.province import demo
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import PROVINCE, write_tree

UNTIL = date(2025, 12, 31)
TODAY = date(2026, 1, 10)
SUPERVISOR = Actor(id="importer", role=Role.SUPERVISOR, unit_id=PROVINCE)


@pytest.fixture(scope="session")
def small() -> demo.Province:
    """A 120-member demo province (seed 5), history to the end of 2025."""
    return demo.generate(120, seed=5, until=UNTIL)


@pytest.fixture
def office(pg_env: dict[str, str]) -> Iterator[LiaisonOffice]:
    """The office on a fresh schema, its clock on TODAY."""
    office = LiaisonOffice(env=pg_env, clock=lambda: datetime(2026, 1, 10, 9, tzinfo=UTC))
    yield office
    office.close()


@pytest.fixture
def with_tree(office: LiaisonOffice, small: demo.Province) -> LiaisonOffice:
    """The office with the small province's organisation tree written."""
    write_tree(office, small.tree, BulkWriter(office))
    return office


def stored_count(office: LiaisonOffice) -> int:
    """How many events the store holds, but for the bulk path's receipts (one for each save)."""
    found = office.recorder.select_notifications(start=None, limit=10**7)
    return sum(1 for n in found if not bulk_receipt(n.topic, n.state))


def bulk_receipt(topic: str, state: bytes) -> bool:
    """Whether a stored event is the receipt of one of the bulk path's saves."""
    return topic.endswith(":ReceiptRecorded") and f'"kind":"{BULK_IMPORT}"'.encode() in state
