"""Which regulation governs a date, its grades and rules, and a province's recorded overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from domain import commands as cmd
from domain.deadlines import DeadlineKind, open_deadlines
from domain.errors import (
    Duplicate,
    FutureDate,
    GradeNotInScale,
    Malformed,
    OutOfScope,
    Refused,
    WrongState,
)
from domain.organisation import OrganisationTree, Unit, UnitKind
from domain.policy import (
    REGULATION_76,
    REGULATION_213,
    DayCount,
    PolicyOverride,
    policy_in_force,
    settled,
    validate_override,
)
from domain.roles import Actor, Role
from domain.state import Stage
from tests.unit.conftest import (
    ADMIN,
    ADMIN_P2,
    CLERK_W,
    SUPERVISOR,
    World,
    actor,
    check_refusal,
    event_count,
    k,
    stored_topics,
)


def test_policy_before_and_after_the_2020_boundary() -> None:
    old = policy_in_force(date(2020, 1, 1))
    new = policy_in_force(date(2020, 1, 2))
    assert old.regulation == "76"
    assert [g.code for g in old.grades] == ["good", "fair", "average", "poor"]
    assert not old.front_committee_joins
    assert new.regulation == "213"
    assert [g.code for g in new.grades] == ["fulfilled_well", "not_fulfilled_well"]
    assert new.front_committee_joins
    assert policy_in_force(date(2000, 6, 15)) == REGULATION_76
    assert policy_in_force(date(2026, 11, 22)) == REGULATION_213


def test_no_regulation_before_76() -> None:
    with pytest.raises(Malformed) as info:
        policy_in_force(date(2000, 6, 14))
    check_refusal(info.value)


def test_grades_and_labels() -> None:
    assert REGULATION_76.grade("good").code == "good"
    assert [g.code for g in REGULATION_213.grades] == ["fulfilled_well", "not_fulfilled_well"]
    with pytest.raises(GradeNotInScale) as info:
        REGULATION_213.grade("good")
    check_refusal(info.value)
    with pytest.raises(GradeNotInScale):
        REGULATION_76.grade("fulfilled_well")


def test_a_2019_assessment_under_76_and_a_2021_one_under_213(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2019, 1, 10), received_on=date(2019, 1, 20))
    # 2019: four grades, no Front committee needed.
    world.assess(liaison_id, 2019, "good", on=date(2019, 11, 10), front=None)
    record = world.assessment(liaison_id, 2019)
    assert (record.grade, record.regulation) == ("good", "76")
    assert world.office.state_of(liaison_id).regulation_at_referral == "76"

    world.open_cycle(liaison_id, 2020, on=date(2020, 1, 1))
    world.open_cycle(liaison_id, 2021, on=date(2021, 1, 1))
    world.refused(
        GradeNotInScale,
        lambda: world.assess(liaison_id, 2021, "good", on=date(2021, 11, 10)),
    )
    world.refused(
        Malformed,
        lambda: world.assess(liaison_id, 2021, "fulfilled_well", on=date(2021, 11, 10), front=None),
        match="Front",
    )
    world.assess(liaison_id, 2021, "fulfilled_well", on=date(2021, 11, 10))
    record = world.assessment(liaison_id, 2021)
    assert (record.grade, record.regulation) == ("fulfilled_well", "213")
    assert world.office.stage(liaison_id) is Stage.ASSESSED


@pytest.mark.parametrize("on", [date(2019, 12, 20), date(2020, 1, 2), date(2020, 2, 1)])
def test_the_scale_follows_the_year_assessed(world: World, on: date) -> None:
    """2019 was governed by Regulation 76, even when its assessment is entered in 2020."""
    _, liaison_id = world.received(referred_on=date(2019, 3, 1))
    world.refused(
        GradeNotInScale,
        lambda: world.assess(liaison_id, 2019, "fulfilled_well", on=on),
    )
    world.assess(liaison_id, 2019, "good", on=on, late="Chi bộ họp muộn")
    record = world.assessment(liaison_id, 2019)
    assert record.regulation == "76"


def test_under_76_a_front_representative_may_still_be_named(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2019, 3, 1))
    world.assess(liaison_id, 2019, "fair", on=date(2019, 11, 5), front="Lê Văn C")
    event = world.office.history(liaison_id)[-1]
    assert event.front_committee_representative == "Lê Văn C"  # type: ignore[attr-defined]


def test_events_carry_the_regulation_of_their_date(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2019, 12, 31), received_on=date(2020, 1, 2))
    assert [e.regulation for e in world.office.history(liaison_id)] == ["76", "213", "213"]


# Overrides.


def test_province_override_changes_the_receipt_deadline_and_is_recorded(world: World) -> None:
    member_id = world.register(on=date(2026, 3, 1))
    liaison_id = world.refer(member_id, commune="XN", on=date(2026, 3, 1))
    [before] = world.office.deadlines(liaison_id, date(2026, 3, 2))
    assert before.kind is DeadlineKind.RECEIPT
    assert before.due_on == date(2026, 3, 31)

    count = event_count(world.office)
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 3, 5)), province_id="P", setting="receipt_days", value=20
        )
    )
    # One PolicyOverridden (plus the regulation book's start) and one receipt.
    new_topics = stored_topics(world.office)[count:]
    assert any(t.endswith(":PolicyOverridden") for t in new_topics)
    assert any(t.endswith(":ReceiptRecorded") for t in new_topics)
    [override] = world.office.regulation_book().for_province("P")
    assert (override.setting, override.value, override.effective_from) == (
        "receipt_days",
        20,
        date(2026, 3, 5),
    )

    assert world.office.policy(date(2026, 3, 5), "C1").deadlines.receipt_days == 20
    assert world.office.policy(date(2026, 3, 4), "C1").deadlines.receipt_days == 30
    [after] = world.office.deadlines(liaison_id, date(2026, 3, 6))
    assert after.due_on == date(2026, 3, 21)
    # Before the override took effect, the deadline was the default.
    [earlier] = world.office.deadlines(liaison_id, date(2026, 3, 4))
    assert earlier.due_on == date(2026, 3, 31)
    state = world.office.state_of(liaison_id)
    assert open_deadlines(state, world.office.policy(date(2026, 4, 1), "XN"), date(2026, 4, 1))[
        0
    ].is_overdue(date(2026, 4, 1))


def test_override_does_not_reach_another_province(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="on_demand_days", value=7
        )
    )
    assert world.office.policy(date(2026, 2, 1), "C3").deadlines.on_demand_days == 7
    assert world.office.policy(date(2026, 2, 1), "Y1").deadlines.on_demand_days == 15
    assert world.office.policy(date(2026, 2, 1)).deadlines.on_demand_days == 15


def test_later_override_wins_from_its_date(world: World) -> None:
    for on, value in [(date(2026, 1, 1), 3), (date(2026, 6, 1), 9)]:
        world.office.execute(
            cmd.OverridePolicy(
                **k(ADMIN, on), province_id="P", setting="meeting_interval_months", value=value
            )
        )
    policy = world.office.policy
    assert policy(date(2025, 12, 31), "C1").deadlines.meeting_interval_months == 6
    assert policy(date(2026, 3, 1), "C1").deadlines.meeting_interval_months == 3
    assert policy(date(2026, 6, 1), "C1").deadlines.meeting_interval_months == 9
    # The regulation itself is untouched by an override.
    assert policy(date(2026, 6, 1), "C1").grades == REGULATION_213.grades


def test_override_of_a_pair_and_a_day_count(world: World) -> None:
    for setting, value in [("assessment_due", (12, 1)), ("counting", "working")]:
        world.office.execute(
            cmd.OverridePolicy(
                **k(ADMIN, date(2026, 1, 1)), province_id="P", setting=setting, value=value
            )
        )
    deadlines = world.office.policy(date(2026, 2, 1), "C1").deadlines
    assert deadlines.assessment_due == (12, 1)
    assert deadlines.counting is DayCount.WORKING


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("no_such_setting", 3),
        ("receipt_days", "soon"),
        ("assessment_due", 12),
        # Negative or absurd: no deadline under a day or over a year, no 30 February.
        ("receipt_days", -5),
        ("receipt_days", 0),
        ("receipt_days", 100000),
        ("meeting_interval_months", 36),
        ("reminder_lead_days", -1),
        ("assessment_due", (2, 30)),
        ("assessment_due", (13, 1)),
    ],
)
def test_override_of_an_unknown_setting_or_bad_value(
    world: World, setting: str, value: int | str | tuple[int, int]
) -> None:
    world.refused(
        Malformed,
        lambda: world.office.execute(
            cmd.OverridePolicy(
                **k(ADMIN, date(2026, 1, 1)), province_id="P", setting=setting, value=value
            )
        ),
    )
    assert world.office.regulation_book().for_province("P") == ()


def test_validate_override_directly() -> None:
    validate_override("rereferral_days", 45)
    with pytest.raises(Malformed):
        validate_override("grades", 2)


def override_refused(world: World, who: Actor, province_id: str = "P") -> None:
    """A 20-day receipt for the province, refused as out of scope with nothing but its audit."""
    change = cmd.OverridePolicy(
        **k(who, date(2026, 1, 1)), province_id=province_id, setting="receipt_days", value=20
    )
    world.refused(OutOfScope, lambda: world.office.execute(change))


@pytest.mark.parametrize(
    "who", [CLERK_W, actor(Role.COMMITTEE_MEMBER, "P"), actor(Role.INSPECTOR, "P")]
)
def test_only_an_administrator_or_supervisor_overrides(world: World, who: Actor) -> None:
    override_refused(world, who)


def test_a_province_supervisor_overrides_their_own_province_only(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(SUPERVISOR, date(2026, 1, 1)), province_id="P", setting="receipt_days", value=20
        )
    )
    assert world.office.policy(date(2026, 2, 1), "C1").deadlines.receipt_days == 20
    override_refused(world, SUPERVISOR, "P2")
    # A supervisor of a commune is no province's: nothing there to change.
    override_refused(world, actor(Role.SUPERVISOR, "XN"))
    assert world.office.regulation_book().for_province("P2") == ()


def test_the_bounds_are_inclusive() -> None:
    assert validate_override("receipt_days", "366") == 366
    assert validate_override("reminder_lead_days", 0) == 0
    assert validate_override("assessment_due", [12, 31]) == (12, 31)


def test_the_same_change_twice_is_a_duplicate_a_new_value_replaces_it(world: World) -> None:
    def change(value: int) -> cmd.OverridePolicy:
        return cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="receipt_days", value=value
        )

    first = change(20)
    world.office.execute(first)
    world.office.execute(first)  # the same command again (a double click): recorded once
    assert len(world.office.regulation_book().for_province("P")) == 1
    world.refused(Duplicate, lambda: world.office.execute(change(20)))
    world.office.execute(change(25))  # a correction of the same day's change
    [override] = world.office.regulation_book().for_province("P")
    assert override.value == 25


def test_a_withdrawn_change_gives_the_default_back(world: World) -> None:
    for on, value in [(date(2026, 1, 1), 20), (date(2026, 3, 1), 10)]:
        world.office.execute(
            cmd.OverridePolicy(**k(ADMIN, on), province_id="P", setting="receipt_days", value=value)
        )
    world.office.execute(
        cmd.WithdrawPolicyOverride(
            **k(SUPERVISOR, date(2026, 4, 1)),
            province_id="P",
            setting="receipt_days",
            override_from=date(2026, 3, 1),
        )
    )
    assert world.office.policy(date(2026, 4, 2), "C1").deadlines.receipt_days == 20
    [left] = world.office.regulation_book().for_province("P")
    assert left.effective_from == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("who", "province", "setting", "since", "kind"),
    [
        (ADMIN, "P", "receipt_days", date(2026, 2, 1), WrongState),  # no change from that day
        (ADMIN, "P", "on_demand_days", date(2026, 1, 1), WrongState),  # not that setting
        (ADMIN_P2, "P", "receipt_days", date(2026, 1, 1), OutOfScope),  # another province
        (CLERK_W, "P", "receipt_days", date(2026, 1, 1), OutOfScope),  # wrong role
        (ADMIN, "XN", "receipt_days", date(2026, 1, 1), Malformed),  # not a province
    ],
)
def test_withdrawals_refused(
    world: World, who: Actor, province: str, setting: str, since: date, kind: type[Refused]
) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 1, 1)), province_id="P", setting="receipt_days", value=20
        )
    )
    world.refused(
        kind,
        lambda: world.office.execute(
            cmd.WithdrawPolicyOverride(
                **k(who, date(2026, 2, 1)),
                province_id=province,
                setting=setting,
                override_from=since,
            )
        ),
    )
    assert len(world.office.regulation_book().for_province("P")) == 1


def test_a_date_in_the_future_or_malformed_is_refused(world: World) -> None:
    today = world.office.today()
    world.refused(
        FutureDate,
        lambda: world.office.execute(
            cmd.OverridePolicy(
                **k(ADMIN, today + timedelta(days=1)),
                province_id="P",
                setting="receipt_days",
                value=20,
            )
        ),
    )
    with pytest.raises(ValidationError):
        cmd.OverridePolicy(
            **{**k(ADMIN, today), "effective_date": "31/02/2026"},
            province_id="P",
            setting="receipt_days",
            value=20,
        )
    assert world.office.regulation_book().for_province("P") == ()


def test_administrator_of_one_province_cannot_override_another(world: World) -> None:
    override_refused(world, ADMIN, "P2")


def test_policy_override_model_in_order() -> None:
    overrides = [
        PolicyOverride(province_id="P", setting="receipt_days", value=10, effective_from=d)
        for d in (date(2026, 5, 1), date(2026, 1, 1))
    ]
    overrides[1] = overrides[1].model_copy(update={"value": 40})
    assert policy_in_force(date(2026, 2, 1), overrides).deadlines.receipt_days == 40
    assert policy_in_force(date(2026, 5, 1), overrides).deadlines.receipt_days == 10
    assert policy_in_force(date(2026, 5, 1) - timedelta(days=1), overrides).regulation == "213"


def test_an_override_names_a_province_not_any_unit(world: World) -> None:
    world.refused(
        Malformed,
        lambda: world.office.execute(
            cmd.OverridePolicy(
                **k(ADMIN, date(2026, 1, 1)), province_id="XN", setting="receipt_days", value=20
            )
        ),
    )
    assert world.office.regulation_book().for_province("XN") == ()


def test_policies_are_settled_on_a_date_only_when_no_change_begins_after_it() -> None:
    """The worklist's kept steps are read only on a date after which no unit and no override
    changes (`projections.tasks`): a unit begun, a unit ended or an override after it unsettles."""
    day = date(2026, 11, 22)
    later = day + timedelta(days=1)
    p = Unit(id="P", name="P", kind=UnitKind.PROVINCIAL_COMMITTEE, parent_id=None,
             valid_from=date(2000, 1, 1))  # fmt: skip
    x = Unit(id="X", name="X", kind=UnitKind.COMMUNE_COMMITTEE, parent_id="P",
             valid_from=date(2000, 1, 1), valid_until=day)  # fmt: skip
    override = PolicyOverride(province_id="P", setting="receipt_days", value=10,
                              effective_from=day)  # fmt: skip
    assert settled(OrganisationTree([p, x]), [override], day)
    assert not settled(OrganisationTree([p, x.model_copy(update={"valid_until": later})]), [], day)
    assert not settled(OrganisationTree([p, x.model_copy(update={"valid_from": later})]), [], day)
    assert not settled(
        OrganisationTree([p]), [override.model_copy(update={"effective_from": later})], day
    )
    assert not settled(OrganisationTree([p]), [], REGULATION_213.effective_from - timedelta(days=1))
