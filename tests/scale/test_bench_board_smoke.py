"""The board pages' benchmark at a tiny size, so it cannot rot; its times are not judged."""

from __future__ import annotations

import pytest

from bench import bench_board


def test_bench_board_smoke(pg_server_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_board.run(pg_server_url, 40)
    # statistics page and supervisor's worklist, province and commune; the API's liaisons and a
    # form's post at the province; the list behind the province's members in scope; the
    # commune's states; the province's two pages under load, asked the same by all clients and
    # each on a date of its own
    assert len(figures) == 12
    assert all(f.value > 0 and f.raw_value > 0 for f in figures)
    out = capsys.readouterr().out
    assert "statistics page, province" in out
    assert "open liaisons, as the API lists them" in out
    assert "worklist states, commune " in out
    assert "a work form posted at the province: the names of the " in out
    assert "supervisor's worklist, province (" in out
    assert "the list behind the province's members in scope (200 of " in out
    assert "target < 1 s" in out
    for page in ("supervisor's home", "statistics page"):
        for asked in ("the same page", "each its own date"):
            assert f"{page}, province, p99 of 200 with 20 clients at once, {asked}" in out
