"""A stamp gives each event its fields as they are, and an event gives the library its own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from domain.liaison_events import Referred
from domain.roles import Actor, Role
from domain.stamp import Stamp


def _stamp(comment: str | None = "nhập từ sổ") -> Stamp:
    actor = Actor(id="clerk-w", role=Role.WORKPLACE_CLERK, unit_id="W")
    return Stamp(
        actor=actor, command_id=uuid4(), effective_date=date(2026, 1, 5), regulation="213",
        comment=comment,
    )  # fmt: skip


def test_a_stamps_fields_are_its_fields_as_they_are_and_a_copy() -> None:
    for stamp in (_stamp(), _stamp(None)):
        fields = stamp.fields()
        assert fields == dict(stamp)  # what pydantic iterates: every field, no more
        assert list(fields) == list(Stamp.model_fields)
        assert fields["actor"] is stamp.actor  # not dumped: an event takes the `Actor`
        fields["comment"] = "đổi"
        assert stamp.fields()["comment"] == stamp.comment  # the caller's dict, not the stamp's


def test_an_event_gives_the_library_its_fields_as_they_are_and_a_copy() -> None:
    stamp = _stamp()
    event = Referred(
        originator_id=uuid4(), originator_version=1, timestamp=datetime.now(UTC),
        originator_topic="domain.liaison:Liaison", member_id=uuid4(), member_name="Nguyễn Văn A",
        workplace_unit_id="W", residence_commune_id="XN", residence_kind="permanent",
        **stamp.fields(),
    )  # fmt: skip
    fields = event._as_dict()
    assert fields == dict(event)
    assert list(fields) == list(Referred.model_fields)
    fields["member_name"] = "khác"
    assert event.member_name == "Nguyễn Văn A"
