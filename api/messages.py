"""Messages in the reader's language: refusals, validation errors, import problems, notifications.

A `Message` (domain) is an English template and typed parameters; here the template goes through
the catalogue (`messages.po`) and each parameter is shown as people of the language read it:
dates as they write them, enum members and keyed values by their labels, counts with the
language's grouping, units as "Name (CODE)" from the organisation tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import groupby
from typing import Protocol, cast
from uuid import UUID

from babel import numbers
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from api.i18n import format_date, gettext, label, language_of
from api.reads import Metric, NotificationRow, ResultRow
from domain.commands import RequestPurpose
from domain.deadlines import DeadlineKind
from domain.errors import Language, Refused
from domain.escalation import Step
from domain.messages import (
    Count,
    Label,
    Localised,
    Message,
    Params,
    UnitRef,
    gettext_noop,
    stored,
)
from domain.organisation import OrganisationTree, UnitKind
from domain.policy import DayCount
from domain.roles import Action, Role
from domain.state import Attendance, ClosingReason, Stage

CONTEXTS: dict[type[StrEnum], str] = {
    Role: "role",
    Action: "action",
    Stage: "stage",
    Attendance: "attendance",
    ClosingReason: "closing_reason",
    DeadlineKind: "deadline_kind",
    Step: "step",
    RequestPurpose: "purpose",
    UnitKind: "unit_kind",
    DayCount: "day_count",
    Metric: "metric",
}
"""The catalogue context of each enum a person may see: a member is shown by its label there."""

UnitNames = Callable[[str], str | None]
"""A unit's name by its code (None when there is no such unit)."""


def unit_names(tree: OrganisationTree) -> UnitNames:
    """Names from the organisation tree."""
    return lambda code: tree.unit(code).name if code in tree else None


def render(message: Message, language: Language, units: UnitNames | None = None) -> str:
    """The message in the language, its parameters shown as people of that language read them."""
    text = gettext(message.template, language)
    if not message.params:
        return text
    shown = {name: _shown(value, language, units) for name, value in message.params.items()}
    return text.format_map(shown)


def _shown(value: object, language: Language, units: UnitNames | None) -> str:
    # Most specific first: a StrEnum is a str, a Count an int.
    if isinstance(value, Message):
        return render(value, language, units)
    if isinstance(value, UnitRef):
        name = value.name or (units(value.code) if units is not None else None)
        return f"{name} ({value.code})" if name else value.code
    if isinstance(value, Label):
        return label(value.context, value.key, language)
    if isinstance(value, Localised):
        return str(getattr(value, language))
    if isinstance(value, StrEnum):
        return label(CONTEXTS[type(value)], value.value, language)
    if isinstance(value, Count):
        return numbers.format_decimal(value, format="#,##0", locale=language)
    if isinstance(value, float):
        return numbers.format_decimal(value, format="#,##0.0", locale=language)
    if isinstance(value, date):
        return format_date(value, language)
    if isinstance(value, tuple):
        return ", ".join(_shown(v, language, units) for v in value)
    return str(value)


@dataclass(frozen=True)
class Translated:
    """A message for a template to show: `text(lang)` is it in that language (units named)."""

    message: Message

    def __call__(self, language: Language) -> str:
        """The message in the language."""
        return render(self.message, language)


def refusal_text(refusal: Refused, language: Language, units: UnitNames | None = None) -> str:
    """A refusal in the language."""
    return render(refusal.message, language, units)


def with_unit_names(message: Message, units: UnitNames) -> Message:
    """The message with every unit it names carrying its name (to be shown without the tree)."""
    params: dict[str, object] = {}
    for name, value in message.params.items():
        if isinstance(value, UnitRef) and value.name is None:
            params[name] = UnitRef(value.code, units(value.code))
        elif isinstance(value, Message):
            params[name] = with_unit_names(value, units)
        else:
            params[name] = value
    return Message(message.template, **cast(Params, params))


def names_units(message: Message) -> bool:
    """True when the message (or one inside it) names a unit whose name it does not carry."""
    return any(
        (isinstance(v, UnitRef) and v.name is None) or (isinstance(v, Message) and names_units(v))
        for v in message.params.values()
    )


class HasTree(Protocol):
    """Whatever holds the organisation tree (the office)."""

    def tree(self) -> OrganisationTree:
        """The organisation tree as the store holds it now."""
        ...


async def in_language(what: Refused | Message, language: Language, office: HasTree | None) -> str:
    """A refusal or message in the language, units named from the office's tree.

    The tree is read off the event loop, and only when a unit is to be named."""
    message = what.message if isinstance(what, Refused) else what
    units: UnitNames | None = None
    if office is not None and names_units(message):
        units = unit_names(await run_in_threadpool(office.tree))
    if isinstance(what, Refused):
        return refusal_text(what, language, units)
    return render(message, language, units)


async def notices(
    rows: list[NotificationRow], language: Language, office: HasTree | None
) -> list[NotificationRow]:
    """Notices with title and body in the language (stored as message ids and parameters)."""
    if not rows:
        return []
    units = unit_names(await run_in_threadpool(office.tree)) if office is not None else None
    shown = []
    for row in rows:
        title, body = stored(row.title, row.params), stored(row.body, row.params)
        shown.append(
            row.model_copy(
                update={
                    "title": render(title, language, units),
                    "body": render(body, language, units),
                    "params": {},
                }
            )
        )
    return shown


async def said(connection: HTTPConnection, what: Refused | Message) -> str:
    """A refusal or message in the caller's language, units named from the board's tree."""
    office = getattr(connection.app.state, "office", None)
    return await in_language(what, language_of(connection), office)


RESULTS: dict[str, str] = {
    "ReceivedByCommune": gettext_noop("{unit} received {member} on {day}."),
    "ReceivedByCell": gettext_noop("{member} was received into the cell {unit} on {day}."),
    "Assessed": gettext_noop("{unit} assessed {member} for {year}: {grade}."),
    "ReportedBack": gettext_noop("The {year} assessment of {member} was reported back by {unit}."),
    "CommendationProposed": gettext_noop("{unit} proposed {member} for commendation on {day}."),
    "DisciplineProposed": gettext_noop("{unit} proposed discipline of {member} on {day}."),
}
"""What a workplace committee reads when a member it referred is received, assessed, reported."""


@dataclass(frozen=True)
class Notice:
    """One notice as its reader reads it: about whom, what, and whether its step came late."""

    key: str
    day: date
    unit_id: str
    """The unit told."""
    member_id: UUID | None
    title: str
    body: str
    late: bool = False
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Digest:
    """Everything one unit was told on one day, in one place (one message per unit and day)."""

    day: date
    unit_id: str
    notices: list[Notice]


def _result(row: ResultRow, language: Language, units: UnitNames | None) -> Notice:
    params: dict[str, object] = {
        "member": row.member_name,
        "unit": UnitRef(row.actor_unit_id or row.workplace_unit_id),
        "day": row.effective_date,
    }
    if isinstance(row.details.get("year"), int):
        params["year"] = row.details["year"]
    if row.details.get("grade"):
        params["grade"] = Label("grade", str(row.details["grade"]))
    body = render(Message(RESULTS[row.event], **cast(Params, params)), language, units)
    return Notice(
        key=f"result-{row.notification_id}",
        day=row.effective_date,
        unit_id=row.workplace_unit_id,
        member_id=row.member_id,
        title=f"{row.member_name} — {label('event', row.event, language)}",
        body=body,
    )


async def inbox(
    rows: list[NotificationRow],
    results: list[ResultRow],
    language: Language,
    office: HasTree | None,
) -> list[Digest]:
    """The workflows' notices and the results of referred members, in the reader's language, as
    one digest per unit and day, newest first."""
    units = unit_names(await run_in_threadpool(office.tree)) if office is not None else None
    shown = [
        Notice(
            key=str(row.id), day=row.effective_date, unit_id=row.unit_id,
            member_id=row.member_id, title=told.title, body=told.body,
            late="scheduled" in row.params, sent_at=row.sent_at,
        )
        for row, told in zip(rows, await notices(rows, language, office), strict=True)
    ]  # fmt: skip
    shown += [_result(r, language, units) for r in results if r.event in RESULTS]
    shown.sort(key=lambda n: (n.day, n.unit_id), reverse=True)
    return [
        Digest(day=day, unit_id=unit, notices=list(group))
        for (day, unit), group in groupby(shown, key=lambda n: (n.day, n.unit_id))
    ]
