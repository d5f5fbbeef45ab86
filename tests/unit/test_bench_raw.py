"""The catch-up pipeline's arithmetic: each read-model table's rows spread over the batches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bench.raw import share


@given(
    rows=st.integers(0, 10**7),
    events=st.integers(1, 20_000),
    batch=st.integers(1, 5000),
)
def test_the_batches_write_exactly_the_rows_the_table_holds(
    rows: int, events: int, batch: int
) -> None:
    parts = [share(rows, events, start, start + batch) for start in range(0, events, batch)]
    assert sum(parts) == rows
    assert all(p >= 0 for p in parts)


def test_each_batch_writes_its_part_of_the_rows() -> None:
    # 10 events, 41 rows (4.1 a event): batches of 5 events write 20 and 21 rows.
    assert [share(41, 10, 0, 5), share(41, 10, 5, 10)] == [20, 21]
    assert share(41, 10, 10, 15) == 0  # past the log: nothing
    assert share(41, 0, 0, 5) == 0  # an empty log
