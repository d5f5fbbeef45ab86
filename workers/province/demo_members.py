"""One demo member's life: referral, receipt, meetings, assessments, moves and endings, by seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.member import MINIMUM_AGE
from workers.province.demo_tree import Tree
from workers.province.records import Fact, MemberRecord

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thành", "Kim"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Nga",
    "Phúc",
    "Phương",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Trung",
    "Tuấn",
    "Vân",
    "Yến",
]
ACTIVITIES_REASONS = (
    "barracks_or_official_housing",
    "travelling",
    "full_time_study",
    "student_away",
)
INTRODUCTION_REASONS = ("secret_mission", "combat_readiness")


def _d(n: int) -> timedelta:
    return timedelta(days=n)


def card(seed: int, i: int) -> str:
    """The party card number of demo member i of that seed."""
    return f"9{seed % 1000:03d}{i:07d}"


def meeting_day(seed: int, cell: str, year: int, half: int) -> date:
    """The day a cell meets in that half-year (the same for every member of the cell)."""
    rng = random.Random(f"{seed}:{cell}:{year}:{half}")
    start = date(year, 3 if half == 0 else 9, 1)
    return start + _d(rng.randrange(45))


@dataclass
class Span:
    """One liaison: where and from when, until it ends."""

    cell: str
    referred: date
    received: date | None
    ends: date | None = None
    exempt_on: date | None = None


@dataclass
class Slot:
    """An assessment whose grade is given later, across the whole province's year."""

    year: int
    day: date
    front: str | None
    confirmed: date | None
    reported: date | None
    grade: str | None = None

    def fact(self) -> Fact:
        """The history fact of this assessment."""
        return Fact(
            0,
            "assessment",
            self.day,
            year=self.year,
            grade=self.grade,
            front_representative=self.front,
            confirmed_on=self.confirmed,
            reported_on=self.reported,
        )


@dataclass
class MemberPlan:
    """A member's record in the making; assessment slots get their grades across the province."""

    base: MemberRecord
    facts: list[Fact] = field(default_factory=list)
    assessments: list[Slot] = field(default_factory=list)

    def record(self) -> MemberRecord:
        """The finished record, every fact in date order."""
        self.facts.extend(slot.fact() for slot in self.assessments)
        self.base.facts = sorted(self.facts, key=lambda f: (f.day, f.kind))
        return self.base


def plan_member(
    i: int, kind: str, seed: int, until: date, tree: Tree, rng: random.Random, years: int = 10
) -> MemberPlan:
    """Plan member i of the given situation (see `demo.categories`)."""
    start = date(until.year - years + 1, 1, 1)
    number = card(seed, i)
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    birth = date(1962, 1, 1) + _d(rng.randrange(38 * 365))
    birth = min(birth, date(start.year - MINIMUM_AGE - 2, 12, 31))  # of age when first recorded
    citizen = f"{rng.randrange(10**11, 10**12)}" if rng.random() < 0.7 else None
    record = MemberRecord(
        row=i + 2,
        name=name,
        birth_date=birth,
        party_card_number=number,
        workplace_unit_id=rng.choice(tree.workplaces),
        citizen_id=citizen,
        registered_on=start,
    )
    plan = MemberPlan(record)
    if kind == "exempt_introduction":
        record.exemption, record.exemption_reason = "introduction", rng.choice(INTRODUCTION_REASONS)
        record.exempt_on = start + _d(rng.randrange(400))
        return plan
    if kind == "unreferred":
        record.registered_on = start + _d(rng.randrange((until - start).days - 30))
        return plan
    early = rng.random() < 0.6
    referred = start + _d(rng.randrange(180 if early else max(181, (until - start).days - 45)))
    span = _span(rng.choice(tree.cells), referred, until, rng)
    record.registered_on = referred - _d(rng.randrange(1, 30)) if referred > start else start
    record.cell_id, record.referred_on = span.cell, referred
    record.commune_id = tree.commune_on(span.cell, referred)
    record.commune_received_on = span.received
    record.cell_received_on = span.received + _d(rng.randrange(8)) if span.received else None
    if record.cell_received_on and record.cell_received_on > until:
        record.cell_received_on = until
    relative_sender = rng.random() < 0.03
    if kind == "exempt_activities" and record.cell_received_on:
        room = max(1, min(700, (until - record.cell_received_on).days))
        span.exempt_on = record.cell_received_on + _d(1 + rng.randrange(room))
        record.exemption, record.exempt_on = "activities", span.exempt_on
        record.exemption_reason = rng.choice(ACTIVITIES_REASONS)
    spans = [span]
    if kind in ("retired", "awaiting") or (kind == "referred" and rng.random() < 0.08):
        _ending(plan, kind, spans, until, tree, rng)
    for s in spans:
        _life(
            plan,
            s,
            record.cell_received_on if s is span else s.received,
            until,
            seed,
            relative_sender,
            rng,
        )
    return plan


def _span(cell: str, referred: date, until: date, rng: random.Random) -> Span:
    late = rng.random() < 0.08
    received = referred + _d(rng.randrange(31, 76) if late else rng.randrange(3, 26))
    return Span(cell, referred, received if received <= until else None)


def _ending(
    plan: MemberPlan, kind: str, spans: list[Span], until: date, tree: Tree, rng: random.Random
) -> None:
    first = spans[0]
    if kind in ("retired", "awaiting"):
        if kind == "awaiting":
            day = until - _d(rng.randrange(20, 120))
        else:
            day = first.referred + _d(rng.randrange(30, max(31, (until - first.referred).days)))
        day = min(until, max(day, first.received or first.referred))
        first.ends = day
        reason = (
            ("died" if rng.random() < 0.1 else "retired")
            if kind == "retired"
            else "moved_residence"
        )
        plan.facts.append(Fact(0, "close", day, reason=reason))
        return
    if first.received is None or (until - first.received).days < 500:
        return
    low = first.received + _d(365)
    day = low + _d(rng.randrange(max(1, (until - low).days - 60)))
    first.ends = day
    transfer = rng.random() < 0.3
    cell = first.cell if transfer else rng.choice(tree.cells)
    nxt = _span(cell, day, until, rng)
    cell_on = min(until, nxt.received + _d(rng.randrange(5))) if nxt.received else None
    plan.facts.append(
        Fact(
            0,
            "move",
            day,
            reason="transferred_workplace" if transfer else "moved_residence",
            commune_id=tree.commune_on(cell, day),
            cell_id=cell,
            workplace_unit_id=rng.choice(tree.workplaces) if transfer else None,
            commune_received_on=nxt.received,
            cell_received_on=cell_on,
        )
    )
    nxt.received = cell_on
    spans.append(nxt)


def _life(
    plan: MemberPlan,
    span: Span,
    received: date | None,
    until: date,
    seed: int,
    relative_sender: bool,
    rng: random.Random,
) -> None:
    if received is None:
        return
    stop = min(d for d in (span.ends, span.exempt_on, until + _d(1)) if d is not None)
    for year in range(received.year, until.year + 1):
        for half in (0, 1):
            day = meeting_day(seed, span.cell, year, half)
            if received <= day < stop:
                attendance, reason = _attendance(relative_sender, rng)
                fact = Fact(
                    0, "meeting", day, attendance=attendance, reason=reason, cell_id=span.cell
                )
                plan.facts.append(fact)
        assessed = date(year, 11, 3) + _d(rng.randrange(35))
        if received <= date(year, 10, 31) and assessed < stop:
            closed = until.year if until >= date(until.year, 12, 15) else until.year - 1
            overdue = year == closed and rng.random() < 0.02
            if overdue:
                continue
            confirmed = assessed + _d(rng.randrange(2, 8))
            reported = min(confirmed + _d(rng.randrange(2, 8)), date(year, 12, 31))
            last = year == closed and rng.random() < 0.03
            plan.assessments.append(
                Slot(
                    year,
                    assessed,
                    f"Trưởng ban công tác Mặt trận {span.cell[-4:]}" if year >= 2020 else None,
                    confirmed if confirmed < stop else None,
                    None if last or reported >= stop else reported,
                )
            )


def _attendance(relative_sender: bool, rng: random.Random) -> tuple[str, str | None]:
    r = rng.random()
    if relative_sender and r < 0.5:
        return "relative_sent", None
    if r < 0.92:
        return "present", None
    if r < 0.955:
        return "absent_without_reason", None
    if r < 0.97:
        return "relative_sent", None
    return "absent_with_reason", "Đi công tác"
