"""The import tells the truth as the office does: steps out of order, cards and CCCD numbers not
in their real formats, each refused at the row and column it lies in, nothing of that member
written, the rest written once."""

from __future__ import annotations

from datetime import date

import pytest

from api.messages import render
from tests.unit.conftest import SUPERVISOR, World, build_world, event_count
from workers.province.importer import Source, import_records
from workers.province.records import Fact, MemberRecord


@pytest.fixture
def world(pg_env: dict[str, str]) -> World:
    """The unit tests' tree on a fresh PostgreSQL schema (the import writes through SQL)."""
    return build_world(env=pg_env)


def _record(row: int, card: str, *facts: Fact) -> MemberRecord:
    return MemberRecord(
        row=row,
        name="Lê Văn Nhập",
        birth_date=date(1980, 1, 1),
        party_card_number=card,
        workplace_unit_id="W",
        commune_id="X1",
        cell_id="C1",
        referred_on=date(2021, 1, 10),
        commune_received_on=date(2021, 1, 20),
        cell_received_on=date(2021, 1, 25),
        facts=list(facts),
    )


def _assessment(row: int, day: date, **kw: object) -> Fact:
    return Fact(row, "assessment", day, year=2021, grade="fulfilled_well",
                front_representative="Trần Thị B", **kw)  # type: ignore[arg-type]  # fmt: skip


def test_the_import_refuses_steps_out_of_order_and_writes_nothing_of_them(world: World) -> None:
    records = [
        _record(2, "93100001", _assessment(2, date(2021, 3, 1))),
        _record(3, "93100002", _assessment(3, date(2021, 11, 10), confirmed_on=date(2021, 11, 5))),
        _record(
            4,
            "93100003",
            _assessment(
                4,
                date(2021, 11, 10),
                confirmed_on=date(2021, 11, 12),
                reported_on=date(2021, 11, 11),
            ),
        ),
        _record(5, "93100004", _assessment(5, date(2021, 12, 20))),
        _record(6, "93100005", Fact(6, "meeting", date(2021, 1, 22), attendance="present")),
        _record(7, "93100006", _assessment(7, date(2021, 12, 20), reason="Lũ lụt, họp muộn")),
    ]
    records[4].cell_received_on = date(2021, 1, 25)
    bad = _record(8, "93100007")
    bad.cell_received_on = date(2021, 1, 15)  # before the commune's receipt
    records.append(bad)
    before = event_count(world.office)
    source = Source("test", "e" * 64)
    check = import_records(world.office, records, source, SUPERVISOR, world.today, dry_run=True)
    assert event_count(world.office) == before
    report = import_records(world.office, records, source, SUPERVISOR, world.today)
    assert [p.where for p in check.problems] == [p.where for p in report.problems]
    where = sorted((p.where.table, p.where.row, p.where.column, p.code) for p in report.problems)
    assert where == [
        ("history", 2, "date", "outside_window"),
        ("history", 3, "confirmed_on", "out_of_order"),
        ("history", 4, "reported_on", "out_of_order"),
        ("history", 5, "date", "outside_window"),
        ("history", 6, "date", "out_of_order"),
        ("members", 8, "cell_received_on", "out_of_order"),
    ]
    assert report.valid == 1  # the late assessment with its reason
    written = event_count(world.office)
    again = import_records(world.office, records, source, SUPERVISOR, world.today)
    assert again.events == 0
    assert event_count(world.office) == written


def test_the_import_refuses_cards_and_citizen_ids_not_in_their_formats(world: World) -> None:
    good = _record(2, "93200001")
    letter_o = _record(3, "7501O774")
    cccd = _record(4, "93200003")
    cccd.citizen_id = "03608500123"  # eleven digits
    before = event_count(world.office)
    report = import_records(
        world.office, [good, letter_o, cccd], Source("test", "f" * 64), SUPERVISOR, world.today
    )
    where = sorted((p.where.row, p.where.column, p.where.value) for p in report.problems)
    assert where == [
        (3, "party_card_number", "7501O774"),
        (4, "citizen_id", "03608500123"),
    ]
    said = {p.where.row: render(p.message, "vi") for p in report.problems}
    assert "chỉ gồm chữ số" in said[3]
    assert "12 chữ số" in said[4]
    assert report.valid == 1
    assert event_count(world.office) > before
    assert world.office.member_id_for("93200003") not in world.office.repository
