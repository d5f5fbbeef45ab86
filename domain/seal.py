"""The seal's own record in the store: its rebuilds and the checkpoints signed over its head.

Niêm phong dữ liệu: the seal is a hash chain kept beside the log (a read model); what changes it
outside the projector — an administrator's rebuild — and each signed checkpoint of its head are
recorded here, so that the log itself says when the seal was replaced and what it replaced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate

from domain.events import Creation, DomainEvent, Recorded
from domain.registry import REGISTRY_NAMESPACE
from domain.stamp import Stamp

SEAL_LEDGER_ID = uuid5(REGISTRY_NAMESPACE, "seal-ledger")


class LedgerOpened(Creation):
    """The seal's ledger came into being (empty)."""

    def apply(self, aggregate: Any) -> None:
        aggregate.rebuilds = aggregate.checkpoints = 0


class SealRebuilt(Recorded):
    """Dựng lại niêm phong: an administrator had the seal recomputed from the stored events.

    What it replaced: the last sealed position and link, and the position the seal's projector
    had reached (more than the last sealed position when the seal table had been cut)."""

    replaced_position: int
    replaced_link: str | None
    tracked_position: int

    def apply(self, aggregate: Any) -> None:
        aggregate.rebuilds += 1


class CheckpointPublished(DomainEvent):
    """Mốc niêm phong: the seal's head at a position, signed with the seal key held outside the
    store (the signature and the public key are kept so that anyone can check it)."""

    position: int
    link: str
    published_at: datetime
    key: str
    signature: str

    def apply(self, aggregate: Any) -> None:
        aggregate.checkpoints += 1


class SealLedger(BaseAggregate[UUID]):
    """The seal's rebuilds and checkpoints, in the order they happened."""

    rebuilds: int
    checkpoints: int

    def __init__(self) -> None:
        """State comes from the events (see their `apply`)."""

    @classmethod
    def start(cls) -> SealLedger:
        """The ledger before its first entry."""
        return cls._create(LedgerOpened, id=SEAL_LEDGER_ID)

    def rebuilt(
        self, stamp: Stamp, replaced_position: int, replaced_link: str | None, tracked: int
    ) -> None:
        """Record that the seal is being rebuilt, and what it replaces."""
        self.trigger_event(
            SealRebuilt,
            replaced_position=replaced_position,
            replaced_link=replaced_link,
            tracked_position=tracked,
            **stamp.fields(),
        )

    def checkpoint(
        self, position: int, link: str, published_at: datetime, key: str, signature: str
    ) -> None:
        """Record a signed checkpoint of the seal's head."""
        self.trigger_event(
            CheckpointPublished,
            position=position,
            link=link,
            published_at=published_at,
            key=key,
            signature=signature,
        )
