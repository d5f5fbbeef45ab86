"""The demo province: deterministic by seed, in the Vĩnh Long and Cần Thơ proportions."""

from __future__ import annotations

from collections import Counter

from tests.scale.conftest import UNTIL
from workers.province import demo


def _fingerprint(p: demo.Province) -> list[object]:
    return [
        (r.party_card_number, r.name, r.referred_on, r.cell_id, r.exemption, r.facts)
        for r in p.records
    ]


def test_same_seed_same_province() -> None:
    a, b = demo.generate(300, seed=3, until=UNTIL), demo.generate(300, seed=3, until=UNTIL)
    assert _fingerprint(a) == _fingerprint(b)
    assert a.tree.units == b.tree.units
    assert _fingerprint(demo.generate(300, seed=4, until=UNTIL)) != _fingerprint(a)


def test_quotas_sum_and_round() -> None:
    assert sum(demo.quotas(1000, demo.CAN_THO_76).values()) == 1000
    # The article says 22,365 received but its grade counts sum to 22,635; the counts rule.
    assert demo.quotas(22_635, demo.CAN_THO_76) == demo.CAN_THO_76


def test_vinh_long_exemption_proportions() -> None:
    n = 2000
    p = demo.generate(n, seed=1, until=UNTIL)
    vl = demo.VINH_LONG
    open_now = sum(
        1
        for r in p.records
        if r.referred_on
        and not any(
            f.kind in ("close",) or (f.kind == "move" and not f.commune_id) for f in r.facts
        )
    )
    assert open_now == round(n * vl["referred"] / vl["members"])
    exemptions = Counter(r.exemption for r in p.records)
    assert exemptions["introduction"] == round(n * vl["exempt_introduction"] / vl["members"])
    assert exemptions["activities"] == round(n * vl["exempt_activities"] / vl["members"])


def test_can_tho_grade_proportions_each_year() -> None:
    p = demo.generate(1500, seed=2, until=UNTIL)
    by_year: dict[int, Counter[str]] = {}
    for r in p.records:
        for f in r.facts:
            if f.kind == "assessment":
                by_year.setdefault(f.year or 0, Counter())[f.grade or ""] += 1
    assert len(by_year) == 10
    for year, grades in by_year.items():
        weights = demo.CAN_THO_76 if year < 2020 else demo.CAN_THO_213
        total = sum(grades.values())
        for grade, weight in weights.items():
            share = weight / sum(weights.values())
            assert abs(grades[grade] - total * share) < 1, (year, grade)


def test_relatives_moves_and_overdue_exist() -> None:
    p = demo.generate(1000, seed=1, until=UNTIL)
    facts = [f for r in p.records for f in r.facts]
    assert any(f.attendance == "relative_sent" for f in facts)
    assert any(f.kind == "move" and f.commune_id for f in facts)
    assert any(f.kind == "close" and f.reason == "retired" for f in facts)
    assert any(f.kind == "assessment" and f.year == 2025 and f.reported_on is None for f in facts)
