"""The dispatcher forwards a board's events to workflows but not the bulk import's history, and
a province's change of a deadline to the liaisons it concerns."""

from datetime import date

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.utils import get_topic

from domain import commands as cmd
from domain.imported import as_importer
from domain.liaison_events import LiaisonEvent
from domain.registry import PolicyOverridden
from tests.unit.conftest import ADMIN, World, k
from workflows.dispatcher import (
    LiaisonDispatch,
    policy_change,
    referred_in_province,
)


def test_imported_history_is_tracked_but_not_forwarded(world: World) -> None:
    _, liaison_id = world.received()
    events = world.office.history(liaison_id)
    imported = [e.model_copy(update={"actor": as_importer(e.actor)}) for e in events]
    sent: list[LiaisonEvent] = []
    view = POPOTrackingRecorder()
    dispatch = LiaisonDispatch(view, sent.append)
    for position, event in enumerate([*imported, *events], start=1):
        dispatch.process_event(event, Tracking(notification_id=position, application_name="t"))
    assert sent == events
    assert view.max_tracking_id("t") == len(imported) + len(events)


def test_a_provinces_change_of_a_deadline_goes_to_its_liaisons_referred_before(
    world: World,
) -> None:
    """Liaisons referred to the province's communes before the change, and none of the
    neighbouring province's; one referred after loads the changed policy itself."""
    on = date(2026, 3, 1)
    here = world.refer(world.register(card="70000001", on=on), commune="XN", on=on)
    merged = world.refer(world.register(card="70000002", on=on), commune="X1", on=date(2025, 3, 1))
    there = world.refer(world.register(card="70000003", on=on), commune="Y", on=on)
    world.office.execute(
        cmd.OverridePolicy(**k(ADMIN, on), province_id="P", setting="receipt_days", value=20)
    )
    position = world.office.recorder.max_notification_id() or 0
    world.refer(world.register(card="70000004", on=on), commune="XN", on=on)

    concerned = referred_in_province(world.office, "P", (on,), position)
    assert sorted(concerned) == sorted(str(x) for x in (here, merged))
    assert str(there) not in referred_in_province(world.office, "P", (on,), 10**9)
    assert referred_in_province(world.office, "P2", (on,), position) == [str(there)]


def test_the_dispatcher_tells_a_policy_change_and_tracks_it(world: World) -> None:
    world.office.execute(
        cmd.OverridePolicy(
            **k(ADMIN, date(2026, 3, 1)), province_id="P", setting="receipt_days", value=20
        )
    )
    [notification] = world.office.recorder.select_notifications(
        start=1, limit=10, topics=[get_topic(PolicyOverridden)]
    )
    told: list[tuple[object, int]] = []
    view = POPOTrackingRecorder()
    dispatch = LiaisonDispatch(view, lambda e: None, tell=lambda e, p: told.append((e, p)))
    event = world.office.mapper.to_domain_event(notification)
    dispatch.process_event(event, Tracking(notification_id=notification.id, application_name="t"))
    assert told == [(event, notification.id)]
    assert policy_change(event).setting == "receipt_days"
    assert view.max_tracking_id("t") == notification.id
