"""A member's part of the state figures, as steps (`projections.standing`), without a database."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from projections.standing import Fact, cells_counted, member_steps, unknown_rows

MEMBER, LIAISON = UUID(int=1), UUID(int=2)
ROLLS = {"W": {"P": ((date(2019, 1, 1), None),)}, "X": {"P": ((date(2019, 1, 1), None),)}}


def _fact(nid: int, kind: str, day: date, year: int | None = None) -> Fact:
    liaison = None if kind == "registered" else LIAISON
    unit = None if kind == "registered" else "X"
    return Fact(nid, kind, MEMBER, liaison, unit, "W", day, year, None, date(2024, 4, 1))


def test_a_member_in_scope_steps_up_once_on_the_day_they_are_registered() -> None:
    steps, _ = member_steps([_fact(1, "registered", date(2024, 3, 1))], ROLLS)
    assert steps[("P", "members_in_scope", None, None, date(2024, 3, 1))] == 1
    late = ("P", "referrals_late", None, None, date(2024, 4, 2))  # due 1 April, late the day after
    assert steps[late] == 1


def test_an_assessment_without_a_year_counts_for_no_year_and_nothing_twice() -> None:
    facts = [
        _fact(1, "registered", date(2024, 3, 1)),
        _fact(2, "referred", date(2024, 3, 5)),
        _fact(3, "assessed", date(2024, 12, 1), year=None),
    ]
    steps, _ = member_steps(facts, ROLLS)
    assert steps[("P", "members_in_scope", None, None, date(2024, 3, 1))] == 1
    assert all(key[3] is None for key in steps)
    assert sum(n for key, n in steps.items() if key[1] == "members_in_scope") == 1


def test_a_closure_recorded_later_is_what_a_board_known_before_it_counts_differently() -> None:
    """Received in cell X, then a closure dated before the receipt recorded: as known before the
    closure the member was in scope and X attending; with it, neither."""
    received = Fact(
        1, "received_cell", MEMBER, LIAISON, "X", "W", date(2024, 3, 5), None, None, None
    )
    closed = Fact(2, "closed", MEMBER, LIAISON, "X", "W", date(2024, 3, 1), None, None, None)
    figures, cells = unknown_rows([([received, closed], [received])], date(2024, 6, 1), {"X"}, 2024)
    assert dict(figures) == {("members_in_scope", None, None): -1}
    assert dict(cells) == {("X", "attending", None): -1}
    with_every = {("X", "attending", None): 0}  # the cell's count on the day, every fact seen
    known = {k: n - cells[k] for k, n in with_every.items()}
    assert cells_counted(with_every)["cells_attending", None, None] == 0
    assert cells_counted(known)["cells_attending", None, None] == 1


def test_a_cell_counts_as_assessed_while_it_has_assessments_due_and_none_owing() -> None:
    counts = {("X", "due", 2024): 2, ("X", "owing", 2024): 0, ("Y", "due", 2024): 1,
              ("Y", "owing", 2024): 1, ("Z", "attending", None): 3}  # fmt: skip
    assert +cells_counted(counts) == Counter({
        ("cells_assessing", None, 2024): 2, ("cells_assessed", None, 2024): 1,
        ("cells_attending", None, None): 1,
    })  # fmt: skip
