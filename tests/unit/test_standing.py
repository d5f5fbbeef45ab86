"""A member's part of the state figures, as steps (`projections.standing`), without a database."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from projections.standing import Fact, member_steps

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
