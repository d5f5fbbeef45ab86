"""The dispatcher forwards a board's events to workflows but not the bulk import's history."""

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder

from domain.imported import as_importer
from domain.liaison_events import LiaisonEvent
from tests.unit.conftest import World
from workflows.dispatcher import LiaisonDispatch


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
