"""The catch-up's pace by quarter of the log, from its progress (`bench_projection.Pace`)."""

from __future__ import annotations

import pytest

from bench.bench_projection import Pace


def _pace(marks: list[tuple[float, int]], ended: float) -> Pace:
    pace = Pace(started=0.0)
    pace.marks = [(0.0, 0), *marks]
    pace.ended = ended
    return pace


def test_a_catch_up_that_slows_shows_it_in_its_last_quarter() -> None:
    # 400 events: the first three hundred at 100 a second, the last hundred at 50; built 5 s more.
    pace = _pace([(1.0, 100), (2.0, 200), (3.0, 300), (5.0, 400)], ended=10.0)
    assert pace.quarters() == pytest.approx([100.0, 100.0, 100.0, 50.0])
    assert pace.final_build() == pytest.approx(5.0)


def test_reports_between_the_quarters_are_read_as_an_even_pace() -> None:
    # Reported at 150 and 400 events only: 150 in 3 s (50 a second), the other 250 in 1 s.
    pace = _pace([(3.0, 150), (4.0, 400)], ended=4.0)
    assert pace.reached(100) == pytest.approx(2.0)
    assert pace.reached(200) == pytest.approx(3.2)
    assert pace.quarters() == pytest.approx([50.0, 100 / 1.2, 250.0, 250.0])
    assert pace.final_build() == 0.0


def test_the_same_count_reported_again_is_reached_at_its_first_report() -> None:
    # The folding done at 2 s, reported again while the final build runs.
    pace = _pace([(1.0, 50), (2.0, 100), (2.5, 100), (3.0, 100)], ended=7.0)
    assert pace.reached(100) == pytest.approx(2.0)
    assert pace.final_build() == pytest.approx(5.0)
