"""The demo province: members and ten years of liaison history, deterministic by seed.

Proportions come from the boards' reports (DOMAIN.md). Of the members in scope, as in Vĩnh Long
2023, 24,537 of 44,156 have an open referral, 24 are exempt from introduction and 71 from
activities; the rest were never referred, retired or died (2 %), or moved and await re-referral
(1 %). Annual grades follow Cần Thơ 2013 each year: under Regulation 76 tốt 96.89 %, khá 2.39 %,
trung bình 0.42 %, chưa tốt 0.30 %; under Regulation 213's two levels tốt and khá become
"fulfilled well" (99.28 %) and trung bình and chưa tốt "not fulfilled well" (0.72 %). Every count
is an exact quota (largest remainder), so any size reproduces the proportions within rounding.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date

from application.office import LiaisonOffice
from domain.roles import Actor, Role
from workers.province.bulk import BulkWriter
from workers.province.demo_members import MemberPlan, Slot, card, plan_member
from workers.province.demo_tree import PROVINCE, Tree, build_tree, write_tree
from workers.province.importer import Progress, Report, Source, import_records
from workers.province.records import Fact, MemberRecord

VINH_LONG = {
    "members": 44_156,
    "referred": 24_537,
    "exempt_introduction": 24,
    "exempt_activities": 71,
}
CAN_THO_76 = {"good": 21_929, "fair": 541, "average": 96, "poor": 69}
CAN_THO_213 = {
    "fulfilled_well": CAN_THO_76["good"] + CAN_THO_76["fair"],
    "not_fulfilled_well": CAN_THO_76["average"] + CAN_THO_76["poor"],
}
REGULATION_213_FROM = date(2020, 1, 2)


def quotas(n: int, weights: dict[str, int]) -> dict[str, int]:
    """Split n by the weights with the largest-remainder rule (the counts sum to n exactly)."""
    total = sum(weights.values())
    exact = {k: n * w / total for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (counts[k] - exact[k], list(weights).index(k)))[
        : n - sum(counts.values())
    ]:
        counts[k] += 1
    return counts


@dataclass
class Province:
    """A generated province: its tree and its members' records."""

    seed: int
    until: date
    tree: Tree
    records: list[MemberRecord]


def categories(n: int) -> list[str]:
    """Each member's situation today, in exact proportions before shuffling."""
    vl = VINH_LONG
    referred = round(n * vl["referred"] / vl["members"])
    exempt_activities = round(n * vl["exempt_activities"] / vl["members"])
    exempt_introduction = round(n * vl["exempt_introduction"] / vl["members"])
    retired, awaiting = round(n * 0.02), round(n * 0.01)
    rest = n - referred - exempt_introduction - retired - awaiting
    return (
        ["exempt_activities"] * exempt_activities
        + ["referred"] * (referred - exempt_activities)
        + ["exempt_introduction"] * exempt_introduction
        + ["retired"] * retired
        + ["awaiting"] * awaiting
        + ["unreferred"] * rest
    )


def generate(
    members: int = 1000, seed: int = 1, until: date | None = None, years: int = 10
) -> Province:
    """The province for that seed, with `years` of history up to `until` (default: today)."""
    until = until or date.today()
    rng = random.Random(seed)
    tree = build_tree(members, rng)
    kinds = categories(members)
    rng.shuffle(kinds)
    plans = [plan_member(i, kind, seed, until, tree, rng, years) for i, kind in enumerate(kinds)]
    _grade(plans, rng)
    return Province(seed, until, tree, [p.record() for p in plans])


def _grade(plans: list[MemberPlan], rng: random.Random) -> None:
    """Give each year's assessments grades in the Cần Thơ proportions (exact quotas, shuffled)."""
    by_year: dict[int, list[Slot]] = {}
    for plan in plans:
        for slot in plan.assessments:
            by_year.setdefault(slot.year, []).append(slot)
    for year in sorted(by_year):
        slots = by_year[year]
        rng.shuffle(slots)
        first_day = min(s.day for s in slots)
        weights = CAN_THO_213 if first_day >= REGULATION_213_FROM else CAN_THO_76
        grades = [g for g, k in quotas(len(slots), weights).items() for _ in range(k)]
        for slot, grade in zip(slots, grades, strict=True):
            slot.grade = grade


__all__ = ["CAN_THO_76", "VINH_LONG", "Fact", "Province", "generate", "quotas"]


def load(office: LiaisonOffice, province: Province, progress: Progress | None = None) -> Report:
    """Write the province through the import's own path: tree first, then every member in bulk."""
    writer = BulkWriter(office)
    tree_events = write_tree(office, province.tree, writer)
    source = Source(f"demo --seed {province.seed}", _digest(province))
    actor = Actor(id="demo-import", role=Role.SUPERVISOR, unit_id=PROVINCE)
    report = import_records(
        office, province.records, source, actor, province.until, progress=progress, writer=writer
    )
    report.events += tree_events
    return report


def _digest(province: Province) -> str:
    key = f"demo:{province.seed}:{len(province.records)}:{province.until.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()


def ensure(
    office: LiaisonOffice,
    members: int = 1000,
    seed: int = 1,
    until: date | None = None,
    progress: Progress | None = None,
) -> Report | None:
    """Load the demo province unless one with this seed is already there (for `up --demo`).

    A province generated on another day differs (its history runs to that day), so a second
    load is refused here rather than reported member by member as a different history.
    """
    if office.member_id_for(card(seed, 0)) in office.repository:
        return None
    return load(office, generate(members, seed, until), progress)


def examples() -> list[MemberRecord]:
    """Three members for the templates: one who moved, one plain history, one not referred."""
    records = generate(60, seed=5, until=date(2025, 12, 31), years=3).records
    moved = next(r for r in records if any(f.kind == "move" and f.commune_id for f in r.facts))
    plain = next(r for r in records if r.facts and r is not moved)
    waiting = next(r for r in records if r.referred_on is None and r.exemption is None)
    return [moved, plain, waiting]
