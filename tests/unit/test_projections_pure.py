"""Pure parts of the read side: name folding, the flattened tree, the seal's link."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from api.reads import Scope
from domain.organisation import OrganisationTree, UnitKind
from domain.text import fold, search_keys, words
from projections.ancestry import ancestry_rows
from projections.dashboard import Period
from projections.figures import (
    COUNTS,
    KNOWN_COUNTS,
    SMALL_SUBTREE,
    STEPPED_COUNTS,
    for_subtree,
    within,
)
from projections.log import StoredRow
from projections.seal import GENESIS, link
from tests.unit.conftest import unit as make_unit


def test_fold_finds_names_without_diacritics() -> None:
    assert fold("Nguyễn Văn An") == "nguyen van an"
    assert fold("  ĐẶNG  Thị Đào ") == "dang thi dao"


def _tree() -> OrganisationTree:
    merged = date(2025, 7, 1)
    return OrganisationTree(
        [
            make_unit("P", UnitKind.PROVINCIAL_COMMITTEE),
            make_unit("D", UnitKind.DISTRICT_COMMITTEE, "P"),
            make_unit("X1", UnitKind.COMMUNE_COMMITTEE, "D", valid_until=merged, successor="XN"),
            make_unit("XN", UnitKind.COMMUNE_COMMITTEE, "P", valid_from=merged),
            make_unit("C1", UnitKind.RESIDENCE_CELL, "X1"),
        ]
    )


def _rolls_into(
    rows: list[tuple[str, str, int, date, date | None]], unit: str, on: date
) -> list[str]:
    chain = [
        (depth, ancestor)
        for u, ancestor, depth, since, until in rows
        if u == unit and since <= on and (until is None or on < until)
    ]
    return [ancestor for _, ancestor in sorted(chain)]


def test_ancestry_follows_the_tree_of_each_date() -> None:
    tree = _tree()
    rows = ancestry_rows(tree)
    for unit in ("C1", "X1", "XN", "D"):
        for on in (date(2019, 5, 1), date(2025, 6, 30), date(2025, 7, 1), date(2026, 1, 1)):
            try:
                expected = [u.id for u in tree.ancestors(unit, on)]
            except Exception:
                expected = []
            assert _rolls_into(rows, unit, on) == expected, (unit, on)
    assert _rolls_into(rows, "C1", date(2019, 5, 1)) == ["C1", "X1", "D", "P"]
    assert _rolls_into(rows, "C1", date(2026, 1, 1)) == ["C1", "XN", "P"]


def test_every_stored_byte_changes_the_link() -> None:
    row = StoredRow(7, UUID(int=1), 3, "domain.liaison_events:Referred", b'{"a":1}')
    base = link(GENESIS, row)
    variants = [
        StoredRow(8, row.originator_id, 3, row.topic, row.state),
        StoredRow(7, UUID(int=2), 3, row.topic, row.state),
        StoredRow(7, row.originator_id, 4, row.topic, row.state),
        StoredRow(7, row.originator_id, 3, "domain.liaison_events:Closed", row.state),
        StoredRow(7, row.originator_id, 3, row.topic, b'{"a":2}'),
    ]
    assert all(link(GENESIS, v) != base for v in variants)
    assert link(base, row) != base


def test_the_year_before_is_read_as_the_records_stood_at_the_same_moment() -> None:
    moment = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    scope = Scope(unit_id="XN", year=2024, on=date(2024, 2, 29), recorded_by=moment)
    before = scope.previous()
    assert (before.year, before.on, before.recorded_by) == (2023, date(2023, 2, 28), moment)
    assert Period("XN", date(2024, 2, 29), moment).previous_year().known_at == moment


def test_words_are_folded_and_split_at_anything_but_letters_and_digits() -> None:
    assert words("Nguyễn-Văn  AN") == ["nguyen", "van", "an"]
    assert words("%_' OR 1=1; --\x00") == ["or", "1", "1"]
    assert words("Ưng Hoàng Phúc Đạt") == ["ung", "hoang", "phuc", "dat"]


def test_a_member_is_found_by_every_start_of_every_word_of_name_card_and_citizen_id() -> None:
    keys = search_keys("Đỗ Thị Ánh", "93.000.001", None)
    assert {"d", "do", "t", "th", "thi", "a", "an", "anh"} <= set(keys)
    assert {"9", "93", "930", "93000001", "000", "001"} <= set(keys)
    assert "hi" not in keys
    assert "nh" not in keys
    assert keys == sorted(set(keys))  # one way to write them: a rebuild stores the same
    assert set(search_keys("A", "1", "001085012345")) >= {"0010", "001085012345"}


def test_a_subtree_is_looked_up_while_it_is_a_small_share_of_the_tree() -> None:
    """A commune of a hundred units in a province of 14,000 is looked up through the unit
    indexes (a scan reads the whole province's rows); a district of 500 there, or a hundred
    units where the tree's size is not known, is scanned."""
    looked_up = "= ANY($1::text[])"
    few, hundred, district = ["u"] * SMALL_SUBTREE, ["u"] * 100, ["u"] * 500
    assert looked_up in for_subtree(COUNTS, few)
    assert looked_up in for_subtree(COUNTS, hundred, tree=14_000)
    assert looked_up not in for_subtree(COUNTS, hundred)
    assert looked_up not in for_subtree(COUNTS, district, tree=14_000)
    assert looked_up not in for_subtree(COUNTS, hundred, tree=3_000)


def test_a_large_subtree_tests_each_row_among_its_units_and_a_small_one_looks_them_up() -> None:
    """A large subtree's registrations (at their workplace) and cells attending (at their cell)
    are read and each tested among the subtree's units, which PostgreSQL would otherwise make a join
    expecting 200 units (28,876 index look-ups a statement at 300,000 members); a commune's are
    looked up in the unit indexes, the test left out."""
    tested = "(f.workplace_id IN (SELECT unit_id FROM board_unit)) IS TRUE"
    district, commune = ["u"] * 5_000, ["u"] * 40
    large, small = (
        for_subtree(COUNTS, district, tree=28_938),
        for_subtree(COUNTS, commune, tree=28_938),
    )
    assert large.count(tested) == 2  # in scope, and referrals late
    assert "(f.unit_id IN (SELECT unit_id FROM board_unit)) IS TRUE" in large  # cells attending
    assert "IS TRUE" not in small
    assert "f.workplace_id = ANY($1::text[])" in small


def test_a_subtree_of_most_of_the_tree_tests_its_rows_against_the_units_outside_it() -> None:
    """The province's board in a store of one province tests each row's unit ids against the
    few units outside its subtree on the date, not among its 28,876 (a hashed set built for
    each figure): every membership test of the statement is said so, none left the other way."""
    province = for_subtree(COUNTS, ["u"] * 28_876, tree=28_938)
    assert "IN (SELECT unit_id FROM board_unit)" not in province
    assert province.count("board_outside AS (SELECT unit_id FROM unit EXCEPT") == 1
    assert "(f.workplace_id NOT IN (SELECT unit_id FROM board_outside)) IS TRUE" in province
    assert "(d.residence_id NOT IN (SELECT unit_id FROM board_outside)) IS TRUE" in province
    assert for_subtree(COUNTS, ["u"] * 14_000, tree=28_938) == COUNTS  # half: among its units


def test_a_statement_that_finds_its_subtree_itself_takes_the_form_of_its_size() -> None:
    """`within`: the board's unit id ($1) in place of its unit ids, the subtree worked out from
    the ancestry on the period's last day ($3), then tested as `for_subtree` would: against the
    units outside it for the province, hashed for a district, looked up for a commune."""
    province, district, commune = (within(STEPPED_COUNTS, n, 28_938) for n in (28_876, 5_000, 40))
    for sql in (province, district, commune):
        assert "$1::text[]" not in sql
        assert "unnest" not in sql
        assert sql.startswith("WITH board_unit AS (SELECT a.unit_id FROM unit_ancestry a")
        assert "r.unit_id = $1 AND r.depth = 0 AND r.valid_from <= $3" in sql
    assert province.count("board_outside AS (SELECT unit_id FROM unit EXCEPT") == 1
    assert "e.unit_id NOT IN (SELECT unit_id FROM board_outside)" in province
    assert "e.unit_id IN (SELECT unit_id FROM board_unit)" in district
    assert "e.unit_id = ANY(ARRAY(SELECT unit_id FROM board_unit))" in commune


def test_a_small_subtree_finds_its_facts_recorded_after_a_time_by_unit_alone() -> None:
    """As known at a past time, a commune's tallied facts recorded since are found through the
    unit indexes, the recorded time and dates tested on the rows found (`OFFSET 0` fences the
    search); a district's are not fenced (it scans, and a fence would hold its every fact)."""
    fenced = " = ANY($1::text[])) OFFSET 0) f WHERE f.notification_id <= $7 AND f.recorded_at > $4"
    few, district = ["u"] * SMALL_SUBTREE, ["u"] * 500
    assert fenced in for_subtree(KNOWN_COUNTS, few)
    assert "OFFSET 0" not in for_subtree(KNOWN_COUNTS, district, tree=14_000)
    assert "OFFSET 0" not in for_subtree(COUNTS, few)
