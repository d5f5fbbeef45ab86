"""How pydantic events are written to and read from the event store (bytes of JSON)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

APPLICATION_NAME = "LiaisonOffice"
"""The application's name in the store: its table is `liaisonoffice_events` (never renamed)."""


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic domain events to stored events and back, with pydantic-core doing the JSON."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state: bytes = domain_event.model_dump_json().encode()
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        return resolve_topic(stored_event.topic).model_validate_json(state)
