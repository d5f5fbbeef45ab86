"""The organisation tree through the 2025 merger: periods, successors and subtree scope."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.web.pages_board import under_each_child
from application.office import LiaisonOffice
from domain import commands as cmd
from domain.errors import Duplicate, HiddenRecord, Malformed, OutOfScope, UnknownUnit
from domain.organisation import OrganisationTree, Unit, UnitKind
from domain.state import Stage
from tests.unit.conftest import (
    ADMIN,
    ADMIN_P2,
    CLERK_W,
    CLERK_X1,
    CLERK_X2,
    CLERK_XN,
    MERGER,
    SEC_C1,
    SEC_C3,
    SUPERVISOR,
    TODAY,
    World,
    build_world,
    event_count,
    k,
    refused,
    unit,
)

BEFORE = date(2019, 5, 1)
AFTER = date(2026, 1, 1)


@pytest.fixture
def tree(world: World) -> OrganisationTree:
    return world.office.tree()


def test_tree_holds_every_unit_with_its_period(tree: OrganisationTree) -> None:
    assert {u.id for u in tree} == {
        "P", "D", "X1", "X2", "C1", "C2", "C3", "W", "WC", "W2", "P2", "Y", "Y1", "XN",
    }  # fmt: skip
    x1 = tree.unit("X1")
    assert (x1.valid_until, x1.successor_id) == (MERGER, "XN")
    assert (tree.unit("X2").valid_until, tree.unit("X2").successor_id) == (MERGER, "XN")
    assert tree.unit("XN").valid_from == MERGER
    assert tree.unit("D").valid_until == MERGER
    assert tree.unit("D").successor_id is None
    assert tree.unit("C1").parent_id == "X1"  # cells keep their ids and parents
    assert tree.unit("C1").valid_until is None


def test_a_cell_under_x1_across_the_merger(tree: OrganisationTree) -> None:
    assert tree.is_within("C1", "D", BEFORE)
    assert tree.is_within("C1", "X1", BEFORE)
    assert tree.is_within("C1", "P", BEFORE)
    assert not tree.is_within("C1", "XN", BEFORE)
    assert tree.is_within("C1", "XN", AFTER)
    assert tree.is_within("C1", "P", AFTER)
    assert not tree.is_within("C1", "D", AFTER)
    # On the day of the merger itself the new ward is in force.
    assert tree.is_within("C1", "XN", MERGER)
    assert not tree.is_within("C1", "D", MERGER)
    assert tree.is_within("C1", "D", date(2025, 6, 30))


def test_cells_of_the_two_old_communes(tree: OrganisationTree) -> None:
    assert not tree.is_within("C3", "X1", BEFORE)
    assert not tree.is_within("C1", "X2", BEFORE)
    assert tree.is_within("C3", "XN", AFTER)
    # After the merger both old ids lead to the ward, so the scopes coincide.
    assert tree.is_within("C3", "X1", AFTER)


def test_ancestors_before_and_after(tree: OrganisationTree) -> None:
    assert [u.id for u in tree.ancestors("C1", BEFORE)] == ["C1", "X1", "D", "P"]
    assert [u.id for u in tree.ancestors("C1", AFTER)] == ["C1", "XN", "P"]
    assert [u.id for u in tree.ancestors("WC", AFTER)] == ["WC", "W", "P"]


def test_in_force_follows_successors(tree: OrganisationTree) -> None:
    assert tree.in_force("X1", BEFORE).id == "X1"
    assert tree.in_force("X1", AFTER).id == "XN"
    assert tree.in_force("X2", AFTER).id == "XN"
    with pytest.raises(UnknownUnit):
        tree.in_force("XN", BEFORE)
    with pytest.raises(UnknownUnit):
        tree.in_force("D", AFTER)
    with pytest.raises(UnknownUnit):
        tree.in_force("NOPE", AFTER)
    with pytest.raises(UnknownUnit):
        tree.in_force("P", date(1999, 12, 31))


def test_nearest_province_and_children(tree: OrganisationTree) -> None:
    assert tree.nearest("C1", UnitKind.COMMUNE_COMMITTEE, BEFORE).id == "X1"  # type: ignore[union-attr]
    assert tree.nearest("C1", UnitKind.COMMUNE_COMMITTEE, AFTER).id == "XN"  # type: ignore[union-attr]
    assert tree.nearest("C1", UnitKind.DISTRICT_COMMITTEE, BEFORE).id == "D"  # type: ignore[union-attr]
    assert tree.nearest("C1", UnitKind.DISTRICT_COMMITTEE, AFTER) is None
    assert tree.province_of("C3", BEFORE).id == "P"
    assert tree.province_of("C3", AFTER).id == "P"
    assert tree.province_of("Y1", AFTER).id == "P2"
    assert {u.id for u in tree.children("XN", AFTER)} == {"C1", "C2", "C3"}
    assert {u.id for u in tree.children("X1", BEFORE)} == {"C1", "C2"}
    assert {u.id for u in tree.children("D", BEFORE)} == {"X1", "X2"}
    assert {u.id for u in tree.children("P", AFTER)} == {"XN", "W", "W2"}
    assert {u.id for u in tree.children("P", BEFORE)} == {"D", "W", "W2"}


def test_cycles_in_a_tree_are_refused() -> None:
    a = Unit(
        id="A", name="A", kind=UnitKind.COMMUNE_COMMITTEE, valid_from=date(2000, 1, 1),
        valid_until=date(2010, 1, 1), successor_id="B",
    )  # fmt: skip
    b = a.model_copy(update={"id": "B", "successor_id": "A"})
    with pytest.raises(Malformed):
        OrganisationTree([a, b]).in_force("A", date(2020, 1, 1))
    c = Unit(
        id="C", name="C", kind=UnitKind.RESIDENCE_CELL, parent_id="E", valid_from=date(2000, 1, 1)
    )
    e = c.model_copy(update={"id": "E", "parent_id": "C"})
    with pytest.raises(Malformed):
        OrganisationTree([c, e]).ancestors("C", date(2020, 1, 1))


def test_tree_is_recorded_as_events_and_rebuilt(world: World) -> None:
    office = world.office
    history = list(office.events.get(office.organisation().id))
    names = [type(e).__name__ for e in history]
    assert names[0] == "Started"
    assert names.count("UnitEstablished") == 13
    assert names[-1] == "UnitsSucceeded"
    # Replaying the stored events gives the same tree.
    fresh = office.repository.get(office.organisation().id)
    assert {u.id: u for u in fresh.tree} == {u.id: u for u in office.tree()}


# Scope of commands across the merger.


def test_xn_clerk_receives_a_referral_made_to_x1_before_the_merger(world: World) -> None:
    member_id = world.register(on=date(2025, 3, 1))
    liaison_id = world.refer(member_id, commune="X1", on=date(2025, 3, 1))
    assert world.office.state_of(liaison_id).residence_commune_id == "X1"
    world.receive_commune(liaison_id, cell="C1", on=date(2025, 8, 1), by=CLERK_XN)
    state = world.office.state_of(liaison_id)
    assert state.stage is Stage.RECEIVED_BY_COMMUNE
    assert state.cell_id == "C1"


def test_after_the_merger_a_referral_to_x1_may_go_to_a_cell_of_x2(world: World) -> None:
    member_id = world.register(on=date(2025, 3, 1))
    liaison_id = world.refer(member_id, commune="X1", on=date(2025, 3, 1))
    world.receive_commune(liaison_id, cell="C3", on=date(2025, 8, 1), by=CLERK_XN)
    world.receive_cell(liaison_id, on=date(2025, 8, 2), by=SEC_C3)
    assert world.office.stage(liaison_id) is Stage.ATTENDING


def test_before_the_merger_a_cell_of_x2_is_not_x1s(world: World) -> None:
    member_id = world.register(on=date(2025, 3, 1))
    liaison_id = world.refer(member_id, commune="X1", on=date(2025, 3, 1))
    world.refused(
        Malformed,
        lambda: world.receive_commune(liaison_id, cell="C3", on=date(2025, 3, 5), by=CLERK_XN),
    )


def test_before_the_merger_only_x1_clerk_receives_x1_referrals(pre_merger_world: World) -> None:
    world = pre_merger_world
    member_id = world.register(on=date(2025, 3, 1))
    liaison_id = world.refer(member_id, commune="X1", on=date(2025, 3, 1))
    world.refused(
        HiddenRecord,
        lambda: world.receive_commune(liaison_id, cell="C1", on=date(2025, 3, 5), by=CLERK_X2),
    )
    # The ward does not exist yet: its clerk is no one on 2025-06-01.
    world.refused(
        UnknownUnit,
        lambda: world.receive_commune(liaison_id, cell="C1", on=date(2025, 3, 5), by=CLERK_XN),
    )
    world.receive_commune(liaison_id, cell="C1", on=date(2025, 3, 5), by=CLERK_X1)
    assert world.office.stage(liaison_id) is Stage.RECEIVED_BY_COMMUNE


def test_after_the_merger_both_old_clerks_act_for_the_ward(world: World) -> None:
    """Actors still registered under X1 or X2 act for XN, which carries their responsibilities."""
    for clerk in (CLERK_X1, CLERK_X2):
        member_id = world.register(on=date(2026, 2, 1))
        liaison_id = world.refer(member_id, commune="XN", on=date(2026, 2, 1))
        world.receive_commune(liaison_id, cell="C1", on=date(2026, 2, 2), by=clerk)
        assert world.office.stage(liaison_id) is Stage.RECEIVED_BY_COMMUNE


def test_inspection_of_2019_shows_the_district(world: World) -> None:
    _, liaison_id = world.received(referred_on=date(2019, 5, 1))
    state = world.office.state_of(liaison_id, as_of_date=date(2019, 5, 1))
    tree = world.office.tree()
    assert state.residence_commune_id == "X1"
    assert [u.id for u in tree.ancestors(state.residence_commune_id, date(2019, 5, 1))] == [
        "X1",
        "D",
        "P",
    ]


# Establishing and succeeding units.


def test_establish_a_unit_under_the_ward(world: World) -> None:
    before = event_count(world.office)
    world.office.execute(
        cmd.EstablishUnit(
            **k(ADMIN, date(2026, 1, 1)),
            unit=unit("C9", UnitKind.RESIDENCE_CELL, "XN", valid_from=date(2026, 1, 1)),
        )
    )
    assert event_count(world.office) == before + 2
    tree = world.office.tree()
    assert tree.is_within("C9", "XN", AFTER)
    assert "C9" in {u.id for u in tree.children("XN", AFTER)}


def test_establish_refusals(world: World) -> None:
    def establish(u: Unit, who: object = ADMIN) -> None:
        world.office.execute(cmd.EstablishUnit(**k(who, date(2026, 1, 1)), unit=u))  # type: ignore[arg-type]

    world.refused(Duplicate, lambda: establish(unit("C1", UnitKind.RESIDENCE_CELL, "XN")))
    world.refused(UnknownUnit, lambda: establish(unit("C9", UnitKind.RESIDENCE_CELL, "NOPE")))
    # The parent must be in force when the unit begins: no new cell under D in 2026.
    world.refused(
        UnknownUnit,
        lambda: establish(unit("C9", UnitKind.RESIDENCE_CELL, "D", valid_from=AFTER)),
    )
    # ...nor a cell under XN from 2019.
    world.refused(
        UnknownUnit,
        lambda: establish(unit("C9", UnitKind.RESIDENCE_CELL, "XN", valid_from=BEFORE)),
    )
    for who in (CLERK_W, SUPERVISOR, SEC_C1):
        world.refused(
            OutOfScope,
            lambda w=who: establish(unit("C9", UnitKind.RESIDENCE_CELL, "XN"), w),
        )


def test_succeed_refusals(world: World) -> None:
    def succeed(predecessors: tuple[str, ...], successor: Unit) -> None:
        world.office.execute(
            cmd.SucceedUnits(
                **k(ADMIN, date(2026, 1, 1)), predecessor_ids=predecessors, successor=successor
            )
        )

    new_ward = unit("XM", UnitKind.COMMUNE_COMMITTEE, "P", valid_from=date(2026, 7, 1))
    # X1 already ended.
    world.refused(UnknownUnit, lambda: succeed(("X1",), new_ward))
    world.refused(UnknownUnit, lambda: succeed(("NOPE",), new_ward))
    # The successor id is taken.
    world.refused(
        Duplicate,
        lambda: succeed(("XN",), new_ward.model_copy(update={"id": "C1"})),
    )
    # The successor's parent must be in force when it begins.
    world.refused(
        UnknownUnit,
        lambda: succeed(("XN",), new_ward.model_copy(update={"parent_id": "D"})),
    )
    with pytest.raises(Malformed, match="predecessor_ids"):
        cmd.parse_command(
            cmd.SucceedUnits,
            {**k(ADMIN, date(2026, 1, 1)), "predecessor_ids": [], "successor": new_ward},
        )


def test_a_rename_after_the_merger_keeps_scope(world: World) -> None:
    world.office.execute(
        cmd.SucceedUnits(
            **k(ADMIN, date(2026, 1, 1)),
            predecessor_ids=("XN",),
            successor=unit("XR", UnitKind.COMMUNE_COMMITTEE, "P", valid_from=date(2026, 6, 1)),
        )
    )
    tree = world.office.tree()
    assert tree.in_force("X1", date(2026, 7, 1)).id == "XR"
    assert tree.is_within("C1", "XR", date(2026, 7, 1))
    assert tree.is_within("C1", "XN", date(2026, 7, 1))
    assert tree.is_within("C1", "XN", date(2026, 5, 31))
    assert not tree.is_within("C1", "XR", date(2026, 5, 31))


def test_first_unit_of_an_empty_store_needs_an_administrator() -> None:
    empty = LiaisonOffice(env={}, clock=build_world().office.clock)
    refused(
        empty,
        OutOfScope,
        lambda: empty.execute(
            cmd.EstablishUnit(**k(CLERK_W, TODAY), unit=unit("P", UnitKind.PROVINCIAL_COMMITTEE))
        ),
    )
    assert len(empty.tree()) == 0


def test_an_administrator_changes_only_their_own_subtree(world: World) -> None:
    def establish(u: Unit, who: object) -> None:
        world.office.execute(cmd.EstablishUnit(**k(who, date(2026, 1, 1)), unit=u))  # type: ignore[arg-type]

    world.refused(
        OutOfScope,
        lambda: establish(unit("Y9", UnitKind.RESIDENCE_CELL, "Y"), ADMIN),
    )
    establish(unit("Y9", UnitKind.RESIDENCE_CELL, "Y"), ADMIN_P2)
    assert world.office.tree().is_within("Y9", "P2", date(2026, 1, 1))
    world.refused(
        OutOfScope,
        lambda: (
            world.office.execute(
                cmd.SucceedUnits(
                    **k(ADMIN, date(2026, 1, 1)),
                    predecessor_ids=("Y9",),
                    successor=unit(
                        "Y10", UnitKind.RESIDENCE_CELL, "Y", valid_from=date(2026, 1, 1)
                    ),
                )
            ).unit_id
        ),
    )


@st.composite
def merged_trees(draw: st.DrawFn) -> OrganisationTree:
    """A province with units founded and merged on drawn dates: some merged into a successor,
    some under a parent merged away (their parent is then its successor)."""
    start = date(2000, 1, 1)
    units = [Unit(id="P", name="P", kind=UnitKind.PROVINCIAL_COMMITTEE, valid_from=start)]
    for i in range(draw(st.integers(1, 14))):
        parent = draw(st.sampled_from(units))
        since = date(2000 + draw(st.integers(0, 6)), 1, 1)
        name = draw(st.sampled_from(["An", "Bình", "Chín", "An"]))  # names repeat: ids break ties
        units.append(
            Unit(
                id=f"U{i}",
                name=name,
                kind=UnitKind.COMMUNE_COMMITTEE,
                parent_id=parent.id,
                valid_from=max(since, parent.valid_from),
            )
        )
    for i, u in enumerate(units[1:], start=1):
        successor = draw(st.sampled_from([None, *units[i + 1 :]]))
        if successor is not None and successor.parent_id != u.id:
            days = timedelta(days=draw(st.integers(1, 900)))
            until = max(u.valid_from, successor.valid_from) + days
            if successor.valid_from < until:
                units[i] = u.model_copy(update={"valid_until": until, "successor_id": successor.id})
    return OrganisationTree(units)


@settings(max_examples=200, deadline=None)
@given(tree=merged_trees(), year=st.integers(2000, 2010))
def test_children_and_outline_are_the_units_under_each_on_a_date(
    tree: OrganisationTree, year: int
) -> None:
    on = date(year, 6, 30)

    def parent_then(u: Unit) -> str | None:
        return tree.in_force(u.parent_id, on).id if u.parent_id else None

    try:
        parents = {u.id: parent_then(u) for u in tree if u.in_force_on(on)}
    except (UnknownUnit, Malformed):  # a parent ended with no successor: children refuse too
        with pytest.raises((UnknownUnit, Malformed)):
            tree.children("P", on)
        return
    by_name = lambda u: (u.name, u.id)  # noqa: E731
    for u in tree:
        expected = sorted((v for v in tree if parents.get(v.id) == u.id), key=by_name)
        assert tree.children(u.id, on) == expected

    def outline(unit: Unit, depth: int, levels: int) -> list[tuple[int, Unit]]:
        below = [] if depth >= levels else tree.children(unit.id, on)
        return [(depth, unit), *(x for c in below for x in outline(c, depth + 1, levels))]

    for levels in (0, 1, 64):
        assert tree.outline("P", on, levels) == outline(tree.in_force("P", on), 0, levels)


def test_a_charts_units_are_those_directly_under_the_one_shown(tree: OrganisationTree) -> None:
    overdue = {"C1": 2, "C3": 1, "W": 4, "P": 1}
    assert under_each_child(tree, "P", AFTER, overdue) == [("W", 4), ("XN", 3), ("P", 1)]
    assert under_each_child(tree, "P", BEFORE, {"C1": 2, "C3": 1}) == [("D", 3)]
    assert under_each_child(tree, "XN", AFTER, {"C1": 2, "C3": 1}) == [("C1", 2), ("C3", 1)]


@settings(max_examples=100, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["A", "B"])), max_size=300))
def test_a_tree_grown_unit_by_unit_is_the_tree_of_those_units_and_leaves_the_old_unchanged(
    steps: list[tuple[int, str]],
) -> None:
    """`with_unit` shares most of the old tree (a province replays 30,000 of them): each tree
    along the way must still be exactly its units, in their first order, the latest of each."""
    start = date(2000, 1, 1)
    trees, units = [OrganisationTree()], []
    for number, name in steps:
        unit = Unit(id=f"U{number}", name=name, kind=UnitKind.RESIDENCE_CELL, valid_from=start)
        units.append(unit)
        trees.append(trees[-1].with_unit(unit))
    for n, tree in enumerate(trees):
        whole = OrganisationTree(units[:n])
        assert list(tree) == list(whole)
        assert len(tree) == len(whole)
        for number in range(61):
            unit_id = f"U{number}"
            assert (unit_id in tree) == (unit_id in whole)
            if unit_id in whole:
                assert tree.unit(unit_id) == whole.unit(unit_id)


def test_a_copy_of_the_organisation_shares_its_tree_and_a_change_to_it_leaves_the_cache_alone(
    world: World,
) -> None:
    """The library deep-copies the organisation aggregate for each unit command; the tree is
    never changed in place, so the copy shares it, and a unit recorded through the copy makes
    a new tree."""
    office = world.office
    cached = office.tree()
    assert copy.deepcopy(cached) is cached
    office.execute(
        cmd.EstablishUnit(
            **k(ADMIN, TODAY), unit=unit("C9", UnitKind.RESIDENCE_CELL, "XN", valid_from=AFTER)
        )
    )
    assert "C9" not in cached
    assert "C9" in office.tree()
