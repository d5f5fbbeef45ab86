"""What a user of a neighbouring subtree tries (issue 11): refused, nothing written but audit."""

from __future__ import annotations

import unicodedata
from datetime import date
from uuid import uuid4

import pytest

from domain import commands as cmd
from domain.errors import Duplicate, HiddenRecord, Malformed, OutOfScope, UnknownMember, WrongState
from domain.registry import LEGACY_MEMBER_NAMESPACE
from domain.state import ClosingReason
from tests.unit.conftest import (
    CLERK_W,
    CLERK_W2,
    COMMITTEE_W,
    SUPERVISOR,
    World,
    build_world,
    event_count,
    k,
    refer_command,
    said,
)

ON = date(2026, 2, 2)


def refer_to(world: World, member_id: object, workplace: str, by: object) -> object:
    return world.office.execute(
        cmd.Refer(
            **k(by, ON),  # type: ignore[arg-type]
            member_id=member_id,
            referral=cmd.Referral(residence_commune_id="XN", workplace_unit_id=workplace),
        )
    ).liaison_id


def test_a_neighbouring_clerk_cannot_take_over_a_member_by_referring_them(world: World) -> None:
    """The takeover of issue 11: W2's clerk refers W's member "from W2" and made them W2's."""
    member_id = world.register(on=ON)
    for attacker in (CLERK_W2, COMMITTEE_W.model_copy(update={"unit_id": "W2"})):
        error = world.refused(HiddenRecord, lambda a=attacker: refer_to(world, member_id, "W2", a))
        assert error.audited
    member = world.office.member(member_id)
    assert (member.workplace_unit_id, member.open_liaison_id) == ("W", None)
    # W's own clerk still acts on its member.
    liaison_id = world.refer(member_id, commune="XN", on=ON, by=CLERK_W)
    assert world.office.state_of(liaison_id).workplace_unit_id == "W"


def test_a_referral_that_names_another_workplace_needs_both(world: World) -> None:
    member_id = world.register(on=ON)
    # W's clerk cannot hand its member to W2 by naming W2 in the referral...
    world.refused(OutOfScope, lambda: refer_to(world, member_id, "W2", CLERK_W))
    # ...their common superior can.
    liaison_id = refer_to(world, member_id, "W2", SUPERVISOR)
    assert world.office.member(member_id).workplace_unit_id == "W2"
    assert world.office.state_of(liaison_id).workplace_unit_id == "W2"  # type: ignore[arg-type]


def transfer(world: World, member_id: object, workplace: str, by: object) -> None:
    world.office.execute(
        cmd.TransferMember(**k(by, ON), member_id=member_id, workplace_unit_id=workplace)  # type: ignore[arg-type]
    )


def test_moving_a_member_between_workplaces_is_for_their_common_superior(world: World) -> None:
    member_id = world.register(on=ON)
    world.refused(OutOfScope, lambda: transfer(world, member_id, "W2", CLERK_W))
    world.refused(HiddenRecord, lambda: transfer(world, member_id, "W", CLERK_W2))
    world.refused(Duplicate, lambda: transfer(world, member_id, "W", SUPERVISOR))
    transfer(world, member_id, "W2", SUPERVISOR)
    assert world.office.member(member_id).workplace_unit_id == "W2"
    # Now W2's clerk acts on the member and W's does not.
    world.refer(member_id, commune="XN", on=ON, by=CLERK_W2)
    world.refused(HiddenRecord, lambda: transfer(world, member_id, "W", CLERK_W))


def test_a_member_with_an_open_liaison_moves_by_closing_it(world: World) -> None:
    member_id = world.register(on=ON)
    world.refer(member_id, commune="XN", on=ON, by=CLERK_W)
    world.refused(WrongState, lambda: transfer(world, member_id, "W2", SUPERVISOR))


def test_not_yours_answers_as_does_not_exist(world: World) -> None:
    """The same code and words for a stranger's record and for an id nobody holds."""
    _, liaison_id = world.received(referred_on=ON)
    hidden = world.refused(
        UnknownMember,
        lambda: world.close(liaison_id, ClosingReason.RETIRED, on=ON, by=CLERK_W2),
    )
    unknown = world.refused(
        UnknownMember,
        lambda: world.close(uuid4(), ClosingReason.RETIRED, on=ON, by=CLERK_W2),
    )
    assert (hidden.code, said(hidden, "en"), said(hidden, "vi")) == (
        unknown.code,
        said(unknown, "en"),
        said(unknown, "vi"),
    )
    assert str(liaison_id) not in said(hidden, "en") + said(hidden, "vi")
    # The trail keeps the real reason.
    assert (hidden.audit_code, unknown.audit_code) == ("out_of_scope", "unknown_member")


def test_a_scope_refusal_names_no_unit(world: World) -> None:
    error = world.refused(OutOfScope, lambda: world.register(workplace="W", on=ON, by=CLERK_W2))
    for unit in ("W", "W2", "P"):
        assert f" {unit}" not in said(error, "en")
        assert f" {unit}" not in said(error, "vi")


def test_member_ids_cannot_be_derived_from_the_card() -> None:
    """Each store derives ids in a namespace of its own: a card number does not name the record."""
    first, second = build_world(), build_world()
    a = first.register("93000001", on=ON)
    b = second.register("93000001", on=ON)
    assert a != b
    assert first.office.member_id_for("93000001") == a
    assert first.office.id_namespace() != LEGACY_MEMBER_NAMESPACE


@pytest.mark.parametrize(
    "name",
    [
        "Nul\u0000Name",
        "Left\u202eTfel",  # a right-to-left override
        "Two\nLines",
        "Tab\tName",
        "Zero\u200bWidth",
        "Line\u2028Separator",
    ],
)
def test_names_with_control_characters_are_refused(name: str) -> None:
    payload = {
        **k(CLERK_W, ON), "name": name, "birth_date": date(1980, 1, 1),
        "party_card_number": "93000778", "workplace_unit_id": "W",
    }  # fmt: skip
    with pytest.raises(Malformed) as info:
        cmd.parse_command(cmd.RegisterMember, payload)
    assert "U+" in said(info.value, "en")
    assert "U+" in said(info.value, "vi")


def test_names_are_stored_in_nfc(world: World) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Thị Ánh ")
    member_id = world.register(on=ON, name=decomposed)
    assert world.office.member(member_id).name == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", world.office.member(member_id).name)


def test_a_comment_may_span_lines_but_holds_no_controls(world: World) -> None:
    member_id = world.register(on=ON)
    liaison_id = world.office.execute(
        cmd.Refer(
            **k(CLERK_W, ON, comment="Dòng một\r\nDòng hai"),
            member_id=member_id,
            referral=cmd.Referral(residence_commune_id="XN"),
        )
    ).liaison_id
    assert world.office.history(liaison_id)[0].comment == "Dòng một\nDòng hai"
    before = event_count(world.office)
    with pytest.raises(Malformed):
        cmd.parse_command(
            cmd.Refer,
            {**k(CLERK_W, ON, comment="bad\u0000"), "member_id": member_id,
             "referral": {"residence_commune_id": "XN"}},
        )  # fmt: skip
    assert event_count(world.office) == before


@pytest.mark.parametrize(
    ("birth", "error"),
    [
        (date(1, 1, 1), Malformed),
        (date(1899, 12, 31), Malformed),
        (date(2090, 1, 1), Malformed),
        (date(2030, 1, 1), Malformed),
        (date(2010, 6, 1), Malformed),  # 15 years old at registration
    ],
)
def test_birth_dates_must_be_sane(world: World, birth: date, error: type[Exception]) -> None:
    payload = {
        **k(CLERK_W, ON), "name": "Trần Văn Bình", "birth_date": birth,
        "party_card_number": "93000777", "workplace_unit_id": "W",
    }  # fmt: skip
    world.refused(
        error,  # type: ignore[arg-type]
        lambda: world.office.execute(cmd.parse_command(cmd.RegisterMember, payload)).member_id,
    )


def test_dates_before_the_records_begin_are_refused(world: World) -> None:
    with pytest.raises(Malformed, match="effective_date"):
        cmd.parse_command(
            cmd.ReceiveAtCell,
            {**k(CLERK_W, date(1, 1, 1)), "liaison_id": uuid4()},
        )


def test_a_refused_command_is_audited_once_per_command_id(world: World) -> None:
    member_id = world.register(on=ON)
    command = refer_command(member_id, ON, CLERK_W2)
    world.refused(HiddenRecord, lambda: world.office.execute(command).liaison_id)
    before = event_count(world.office)
    with pytest.raises(HiddenRecord):
        world.office.execute(command)
    assert event_count(world.office) == before
