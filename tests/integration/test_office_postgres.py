"""LiaisonOffice on real PostgreSQL: durability, races, idempotent retries, save cap, refusals."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from api.messages import refusal_text
from application.office import MAX_EVENTS_PER_SAVE, LiaisonOffice
from domain import commands as c
from domain import errors
from domain.liaison_events import MeetingAttendanceRecorded
from domain.meeting import AttendanceEntry
from domain.registry import INSTALLATION_ID, LEGACY_MEMBER_NAMESPACE, receipt_id_for
from domain.roles import Actor, Role
from domain.state import Attendance, Stage
from projections.log import EVENTS_TABLE
from tests.integration.province import (
    CELL,
    CLERK,
    COMMUNE,
    COMMUNE_CLERK,
    SECRETARY,
    TODAY,
    YEAR,
    Enrolled,
    assess_and_confirm,
    build_province,
    by,
    clock,
    event_count,
    last_notification_id,
    party_card,
    received_member,
    refer_command,
    register,
)
from workers.bootstrap import Root
from workers.settings import Settings

pytestmark = pytest.mark.postgres

Offices = Callable[[], LiaisonOffice]


@pytest.fixture
def new_office(pg_env: dict[str, str]) -> Iterator[Offices]:
    """Open offices on the test's schema (each its own connections); all closed afterwards."""
    opened: list[LiaisonOffice] = []

    def open_office() -> LiaisonOffice:
        office = LiaisonOffice(env=pg_env, clock=clock)
        opened.append(office)
        return office

    yield open_office
    for office in opened:
        office.close()


@pytest.fixture
def office(new_office: Offices) -> LiaisonOffice:
    """An office on a store holding the tiny province."""
    office = new_office()
    build_province(office)
    return office


class SaveGate:
    """While a race runs, hold each office's first save until every office has decided.

    Both commands then load the same version before either writes, so the race is real and
    deterministic: PostgreSQL lets the first insert through and refuses the other's version.
    Later saves of the same command (a meeting's batches) pass straight through.
    """

    def __init__(self, *offices: LiaisonOffice) -> None:
        self.offices = offices
        self.barrier = threading.Barrier(len(offices))
        self.waiting: set[int] = set()
        self.lock = threading.Lock()
        for office in offices:
            original = office.save

            def save(
                *aggregates: Any, _original: Any = original, _key: int = id(office), **kwargs: Any
            ) -> Any:
                with self.lock:
                    held = _key in self.waiting
                    self.waiting.discard(_key)
                if held:
                    self.barrier.wait(timeout=20)
                return _original(*aggregates, **kwargs)

            office.save = save  # type: ignore[method-assign]

    def race(self, *calls: Callable[[], Any]) -> list[Future[Any]]:
        """Run the calls at once, one thread each; return their settled futures."""
        self.barrier.reset()
        self.waiting = {id(office) for office in self.offices}
        try:
            with ThreadPoolExecutor(max_workers=len(calls)) as pool:
                futures = [pool.submit(call) for call in calls]
            return futures
        finally:
            self.waiting = set()


def _all_present(liaison_ids: list[UUID]) -> c.RecordMeeting:
    """Cell C1's meeting of 1 March 2026, every one of these liaisons present."""
    return c.RecordMeeting(
        **by(SECRETARY, date(2026, 3, 1)),
        cell_id=CELL,
        attendance=tuple(
            AttendanceEntry(liaison_id=liaison_id, attendance=Attendance.PRESENT)
            for liaison_id in liaison_ids
        ),
    )


def test_a_year_survives_a_new_application_instance(
    office: LiaisonOffice, new_office: Offices
) -> None:
    enrolled = received_member(office, 1, name="Nguyễn Văn An")
    liaison_id = enrolled.liaison_id
    meeting = _all_present([liaison_id])
    office.execute(meeting)
    assess_and_confirm(office, liaison_id, YEAR, date(2026, 11, 10), date(2026, 11, 12))
    report = c.ReportBack(**by(COMMUNE_CLERK, date(2026, 11, 15)), liaison_id=liaison_id, year=YEAR)
    office.execute(report)

    state = office.liaison(liaison_id).state
    stage = office.stage(liaison_id)
    timeline = office.timeline(enrolled.member_id)
    history = office.history(liaison_id)
    member = office.member(enrolled.member_id)
    deadlines = office.deadlines(liaison_id, TODAY)
    stored = event_count(office)
    office.close()

    reopened = new_office()

    assert stage is Stage.REPORTED_BACK
    assert [entry.event for entry in timeline] == [
        "Referred",
        "ReceivedByCommune",
        "ReceivedByCell",
        "MeetingAttendanceRecorded",
        "Assessed",
        "AssessmentConfirmed",
        "ReportedBack",
    ]
    assert reopened.liaison(liaison_id).state == state
    assert reopened.state_of(liaison_id) == state
    assert reopened.stage(liaison_id) is Stage.REPORTED_BACK
    assert reopened.timeline(enrolled.member_id) == timeline
    assert reopened.history(liaison_id) == history
    assert reopened.member(enrolled.member_id) == member
    assert reopened.member_by_card("00000001") == member
    assert reopened.deadlines(liaison_id, TODAY) == deadlines
    assert reopened.state_of(liaison_id, as_of_date=date(2026, 1, 21)).stage is (
        Stage.RECEIVED_BY_COMMUNE
    )
    # The receipts survived too: replaying the year's commands on the new instance writes nothing.
    reopened.execute(meeting)
    reopened.execute(report)
    assert event_count(reopened) == stored


def _fresh_liaison(office: LiaisonOffice, n: int) -> UUID:
    return received_member(office, n).liaison_id


def test_concurrent_commands_on_one_liaison_one_wins_the_other_conflicts(
    office: LiaisonOffice, new_office: Offices
) -> None:
    """Two instances (two connections) change one liaison at once, twenty times over."""
    first, second = office, new_office()
    gate = SaveGate(first, second)
    winners = {"exempt": 0, "request": 0}

    for n in range(1, 21):
        liaison_id = _fresh_liaison(first, n)
        exempt = c.ExemptFromActivities(
            **by(CLERK, date(2026, 11, 20)),
            liaison_id=liaison_id,
            reason="barracks_or_official_housing",
        )
        request = c.RequestAssessment(
            **by(CLERK, date(2026, 11, 20)), liaison_id=liaison_id, purpose="planning"
        )
        version = first.liaison(liaison_id).version
        stored = event_count(first)

        done = gate.race(
            lambda e=exempt: first.execute(e),
            lambda r=request: second.execute(r).request_id,
        )

        outcomes = [future.exception() for future in done]
        assert sum(outcome is None for outcome in outcomes) == 1, outcomes
        loser = next(outcome for outcome in outcomes if outcome is not None)
        assert isinstance(loser, errors.Conflict), repr(loser)
        assert loser.code == "conflict"
        assert "same moment" in refusal_text(loser, "en")
        assert "cùng lúc" in refusal_text(loser, "vi")
        exempt_won = outcomes[0] is None
        winners["exempt" if exempt_won else "request"] += 1
        won, lost = (exempt, request) if exempt_won else (request, exempt)

        # The winner's liaison event and receipt are stored; the loser only its refusal's audit.
        history = first.history(liaison_id)
        assert len(history) == version + 1
        assert event_count(first) == stored + 3
        assert type(history[-1]).__name__ == (
            "ExemptedFromActivities" if exempt_won else "AssessmentRequested"
        )
        assert history[-1].command_id == won.command_id
        assert receipt_id_for(won.command_id) in first.repository
        assert receipt_id_for(lost.command_id) not in first.repository

        # Retrying the loser's very command now succeeds, on either instance.
        retry = second if n % 2 else first
        if exempt_won:
            retry.execute(request)
        else:
            retry.execute(exempt)
        history = second.history(liaison_id)
        assert len(history) == version + 2
        assert event_count(first) == stored + 5
        assert {e.command_id for e in history[-2:]} == {exempt.command_id, request.command_id}
        state = second.state_of(liaison_id)
        assert state.is_exempt_from_activities
        assert len(state.requests) == 1

    assert sum(winners.values()) == 20


def test_the_same_refer_twice_returns_one_liaison_and_stores_once(office: LiaisonOffice) -> None:
    member_id = register(office, 1)
    refer = refer_command(member_id)
    before = event_count(office)

    liaison_id = office.execute(refer).liaison_id
    once = event_count(office)

    assert office.execute(refer).liaison_id == liaison_id
    assert event_count(office) == once
    assert once - before == 3  # Referred, LiaisonOpened, the receipt
    assert office.member(member_id).liaison_ids == (liaison_id,)
    assert len(office.history(liaison_id)) == 1


def test_the_same_refer_from_two_threads_at_once_stores_once(
    office: LiaisonOffice, new_office: Offices
) -> None:
    first, second = office, new_office()
    gate = SaveGate(first, second)
    for n in range(1, 6):
        member_id = register(first, n)
        refer = refer_command(member_id)
        before = event_count(first)

        done = gate.race(
            lambda r=refer: first.execute(r).liaison_id,
            lambda r=refer: second.execute(r).liaison_id,
        )

        results = [future.result() for future in done]
        assert results[0] == results[1]
        assert event_count(first) == before + 3
        assert first.member(member_id).liaison_ids == (results[0],)
        assert second.member(member_id).open_liaison_id == results[0]
        assert len(second.history(results[0])) == 1


def test_the_same_command_id_with_other_content_is_a_duplicate(office: LiaisonOffice) -> None:
    member_id = register(office, 1)
    refer = refer_command(member_id)
    office.execute(refer)
    before = event_count(office)
    other = refer.model_copy(update={"comment": "another referral under the same id"})

    with pytest.raises(errors.Duplicate) as refused:
        office.execute(other)

    assert refused.value.code == "duplicate"
    assert "command id" in refusal_text(refused.value, "en")
    assert "Mã lệnh" in refusal_text(refused.value, "vi")
    assert event_count(office) == before + 1  # the refusal's audit record


def test_a_meeting_of_250_reaches_every_liaison_within_the_save_cap(
    office: LiaisonOffice,
) -> None:
    liaison_ids = [_fresh_liaison(office, n) for n in range(1, 251)]
    meeting = _all_present(liaison_ids)
    sizes: list[int] = []
    original = office.save

    def measured_save(*aggregates: Any, **kwargs: Any) -> Any:
        sizes.append(sum(len(aggregate.pending_events) for aggregate in aggregates))
        return original(*aggregates, **kwargs)

    office.save = measured_save  # type: ignore[method-assign]
    before = event_count(office)

    meeting_id = office.execute(meeting).meeting_id

    assert max(sizes) <= MAX_EVENTS_PER_SAVE, sizes
    # The meeting, its note in the cell's book, 250 attendances, the receipt, and a receipt for
    # each earlier save.
    assert sum(sizes) == event_count(office) - before == 1 + 1 + 250 + len(sizes)
    for liaison_id in liaison_ids:
        attended = [
            event
            for event in office.history(liaison_id)
            if isinstance(event, MeetingAttendanceRecorded)
        ]
        assert [event.meeting_id for event in attended] == [meeting_id]

    sizes.clear()
    after = event_count(office)
    assert office.execute(meeting).meeting_id == meeting_id
    assert event_count(office) == after
    assert sum(sizes) == 0


def test_the_same_meeting_from_two_threads_at_once_records_once(
    office: LiaisonOffice, new_office: Offices
) -> None:
    first, second = office, new_office()
    liaison_ids = [_fresh_liaison(first, n) for n in range(1, 4)]
    meeting = _all_present(liaison_ids)
    gate = SaveGate(first, second)

    done = gate.race(
        lambda: first.execute(meeting).meeting_id, lambda: second.execute(meeting).meeting_id
    )

    outcomes = [future.exception() for future in done]
    assert any(outcome is None for outcome in outcomes), outcomes
    for outcome in outcomes:  # a loser may only be told to retry, never see a library error
        assert outcome is None or isinstance(outcome, errors.Conflict), repr(outcome)
    meeting_id = second.execute(meeting).meeting_id
    assert all(future.result() == meeting_id for future in done if future.exception() is None)
    for liaison_id in liaison_ids:
        attended = [
            event
            for event in first.history(liaison_id)
            if isinstance(event, MeetingAttendanceRecorded)
        ]
        assert len(attended) == 1


# One refused command of each kind; each must leave the store as it was, but for its audit record.

Refusal = Callable[[LiaisonOffice, Enrolled], Any]
OUTSIDER = Actor(id="outsider", role=Role.CELL_SECRETARY, unit_id=CELL)
NEIGHBOUR = Actor(id="neighbour", role=Role.WORKPLACE_CLERK, unit_id=CELL)
"""Acts for a unit that does not hold the member's workplace: the member is not theirs to see."""

REFUSALS: dict[type[errors.Refused], Refusal] = {
    errors.WrongState: lambda office, e: office.execute(
        c.ConfirmAssessment(**by(COMMUNE_CLERK, TODAY), liaison_id=e.liaison_id, year=YEAR)
    ),
    errors.OutOfScope: lambda office, e: (
        office.execute(
            c.Refer(
                **by(OUTSIDER, TODAY),
                member_id=e.member_id,
                referral=c.Referral(residence_commune_id=COMMUNE),
            )
        ).liaison_id
    ),
    errors.HiddenRecord: lambda office, e: (
        office.execute(
            c.Refer(
                **by(NEIGHBOUR, TODAY),
                member_id=e.member_id,
                referral=c.Referral(residence_commune_id=COMMUNE, workplace_unit_id=CELL),
            )
        ).liaison_id
    ),
    errors.UnknownMember: lambda office, e: office.execute(
        c.ReceiveAtCell(**by(SECRETARY, TODAY), liaison_id=uuid4())
    ),
    errors.UnknownUnit: lambda office, e: (
        office.execute(
            c.Refer(
                **by(CLERK, TODAY),
                member_id=e.member_id,
                referral=c.Referral(residence_commune_id="NOWHERE"),
            )
        ).liaison_id
    ),
    errors.FutureDate: lambda office, e: office.execute(
        c.ExemptFromActivities(
            **by(CLERK, date(2026, 11, 23)),
            liaison_id=e.liaison_id,
            reason="barracks_or_official_housing",
        )
    ),
    errors.GradeNotInScale: lambda office, e: office.execute(
        c.Assess(
            **by(SECRETARY, TODAY),
            liaison_id=e.liaison_id,
            year=YEAR,
            grade="splendid",
            front_committee_representative="Trần Thị Bình",
        )
    ),
    errors.Duplicate: lambda office, e: register(office, 1),
    errors.Malformed: lambda office, e: office.execute(
        c.ExemptFromActivities(**by(CLERK, TODAY), liaison_id=e.liaison_id, reason="bored")
    ),
    errors.OutOfOrder: lambda office, e: office.execute(  # before the referral on 10 January
        c.ExemptFromActivities(
            **by(CLERK, date(2026, 1, 5)), liaison_id=e.liaison_id, reason="travelling"
        )
    ),
    errors.OutsideWindow: lambda office, e: office.execute(  # before the 1 November window
        c.Assess(
            **by(SECRETARY, date(2026, 3, 1)),
            liaison_id=e.liaison_id,
            year=YEAR,
            grade="fulfilled_well",
            front_committee_representative="Trần Thị Bình",
        )
    ),
}


def test_every_refusal_kind_has_an_example() -> None:
    """Conflict is the race of the concurrency test above; every other kind is listed here."""
    kinds = {kind for kind in vars(errors).values() if isinstance(kind, type)}
    refusals = {kind for kind in kinds if issubclass(kind, errors.Refused)}
    assert refusals - {errors.Refused, errors.Conflict} == set(REFUSALS)


@pytest.mark.parametrize("kind", list(REFUSALS), ids=lambda kind: kind.code)
def test_a_refused_command_appends_nothing(
    office: LiaisonOffice, kind: type[errors.Refused]
) -> None:
    enrolled = received_member(office, 1)
    before = event_count(office)
    last = last_notification_id(office)
    version = office.liaison(enrolled.liaison_id).version

    with pytest.raises(errors.Refused) as refused:
        REFUSALS[kind](office, enrolled)

    assert type(refused.value) is kind
    assert refusal_text(refused.value, "en")
    assert refusal_text(refused.value, "vi")
    assert last_notification_id(office) == last + 1
    assert event_count(office) == before + 1
    [audit] = office.recorder.select_notifications(start=last + 1, limit=10)
    assert audit.topic.endswith(":PermissionRefused")
    record = office.repository.get(audit.originator_id)
    assert record.kind == "permission_refused"
    assert office.liaison(enrolled.liaison_id).version == version


# The store's secret namespace for member ids (issue 11).


def test_every_process_on_one_store_derives_the_same_member_ids(new_office: Offices) -> None:
    first = new_office()
    build_province(first)
    member_id = register(first, 1)
    second = new_office()  # another process opening the same store later
    assert second.id_namespace() == first.id_namespace()
    assert second.member_id_for(party_card(1)) == member_id
    assert second.member_by_card(party_card(1)).member_id == member_id


def test_offices_keying_a_store_at_once_agree_on_its_namespace(
    new_office: Offices, pg_url: str
) -> None:
    offices = [new_office() for _ in range(4)]  # one after another: the library's CREATE TABLE
    forget_namespace(pg_url)  # does not race well; the namespace's first record must
    for office in offices:
        office._namespace = None
    with ThreadPoolExecutor(4) as pool:
        namespaces = set(pool.map(lambda office: office.id_namespace(), offices))
    assert len(namespaces) == 1
    assert namespaces == {new_office().id_namespace()}


def forget_namespace(pg_url: str) -> None:
    """Remove the installation record, as in a store written before it existed."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {EVENTS_TABLE} WHERE originator_id = %s", (INSTALLATION_ID,))


def test_a_store_with_members_from_before_keeps_their_namespace(
    new_office: Offices, pg_url: str
) -> None:
    """A store written before the namespace existed (members, no installation record)."""
    office = new_office()
    build_province(office)
    register(office, 1)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {EVENTS_TABLE} WHERE originator_id = %s", (INSTALLATION_ID,))
    assert new_office().id_namespace() == LEGACY_MEMBER_NAMESPACE


def start_a_process(url: str) -> str | None:
    """What a process does first: build its application (in a child process of its own)."""
    root = Root(Settings(database_url=url))
    try:
        root.office  # noqa: B018 - built for its side effect, as each process does
    except Exception as error:  # reported to the parent
        return repr(error)
    finally:
        root.close()
    return None


def test_processes_starting_together_build_their_application_one_at_a_time(pg_url: str) -> None:
    """Worker, dispatcher, projector and board start at once on one store; building the
    application creates or re-creates the library's tables and insert function, and two at once
    failed ("tuple concurrently updated", duplicate pg_type rows) — the stack-start race."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(8, mp_context=spawn) as processes:
        for _ in range(3):  # a fresh store, then one whose tables exist
            failures = [f for f in processes.map(start_a_process, [pg_url] * 8) if f]
            assert failures == []
