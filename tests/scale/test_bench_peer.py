"""The peer benchmark (the eventsourcing library's own runner) on a loaded machine."""

from __future__ import annotations

from application.office import LiaisonOffice
from bench.peer import peer_rate


def test_a_peer_short_of_time_reports_the_rate_of_what_it_folded(
    with_tree: LiaisonOffice, pg_env: dict[str, str]
) -> None:
    last = with_tree.recorder.max_notification_id()
    assert last is not None
    assert last > 0
    # No time at all: the runner cannot reach the end, and the benchmark must still answer (it
    # used to end the whole `python -m bench` run with the library's TimeoutError).
    rate = peer_rate(pg_env, last, last, allowed=0.0)
    assert rate >= 0.0
