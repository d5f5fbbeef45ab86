"""Messages a person reads, as an English template and typed parameters, translated at the edge.

A message is a gettext message id (English, with `{name}` placeholders) and its parameters. The
edge (`api.messages`) looks the template up in the reader's language and shows each parameter as
people of that language read it: dates as they write them, enum members and keyed values by their
labels, units by name with their code. Each parameter name has one type (`Params`), so that mypy
checks every message and a message kept as data (a notification) can be read back.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, cast

if TYPE_CHECKING:
    from domain.deadlines import DeadlineKind
    from domain.escalation import Step
    from domain.organisation import UnitKind
    from domain.roles import Action, Role
    from domain.state import Stage


@dataclass(frozen=True)
class UnitRef:
    """An organisation unit named in a message: shown as "Name (CODE)" where the name is known."""

    code: str
    name: str | None = None
    """The unit's name, when whoever wrote the message knew it; else the edge looks it up."""


@dataclass(frozen=True)
class Label:
    """A key shown by its label in the catalogue (`context`: grade, exemption, field…)."""

    context: str
    key: str


@dataclass(frozen=True)
class Localised:
    """A text that data gives in each language (an import file's headings and words)."""

    vi: str
    en: str


class Count(int):
    """A quantity shown with the language's digit grouping (1,024 / 1.024), unlike a year."""


class Params(TypedDict, total=False):
    """Every parameter a message may take, by name: one name, one type, one way of showing it."""

    member: str
    """A member's name."""
    members: tuple[str, ...]
    """Members' names."""
    missing: Count
    """How many members a list leaves out."""
    present: Count
    """How many members were present at a meeting."""
    listed: Count
    """How many members a meeting's attendance list accounts for."""
    card: str
    """A party card number."""
    name: str
    """A file's or a user's name, as given."""
    value: str
    """A value as the person typed it."""
    character: str
    """A refused character, as U+XXXX."""
    regulation: str
    """A regulation's number (76, 213)."""
    setting: str
    """A deadline setting's key, as an administrator types it."""
    settings: tuple[str, ...]
    stage: Stage
    role: Role
    action: Action
    prior: Action
    """The step that the one in `action` depends on."""
    deadline: DeadlineKind
    step: Step
    unit: UnitRef
    unit_kind: UnitKind
    cell: UnitRef
    commune: UnitRef
    year: int
    cycle: int
    """The year of the open annual cycle."""
    current_year: int
    age: int
    row: int
    line: int
    columns: int
    position: int
    """A byte's position in a file."""
    running: int
    minutes: int
    seconds: int
    gigabytes: float
    megabytes: Count
    bytes: Count
    rows: Count
    done: Count
    """Of `total`: how many are done so far."""
    total: Count
    percent: int
    ratio: Count
    """How many times larger a part of a file is inflated than stored."""
    ratio_limit: int
    limit: str
    """A size as the edge words it (1 MiB)."""
    least: int
    most: int
    day: date
    scheduled: date
    """The day a step was due to be taken (a notice sent later says so)."""
    earlier: date
    """A date the one in `day` must not precede."""
    later: date
    """A date the one in `day` must not follow."""
    today: date
    grade: Label
    exemption: Label
    field: Label
    choices: tuple[str | Label | Localised, ...]
    table: Localised
    column: Localised
    reason: Message
    """A message inside this one (why a stage refuses a command)."""


class Message:
    """A template (an English message id) and its parameters; `en` is the English text."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Unpack[Params]) -> None:
        self.template = template
        self.params: dict[str, Any] = dict(params)

    def with_params(self, **params: Unpack[Params]) -> Message:
        """The same template with these parameters added (or replaced)."""
        return Message(self.template, **cast(Params, {**self.params, **params}))

    @property
    def en(self) -> str:
        """The English text with plain parameters (ISO dates, codes): for logs and tests."""
        if not self.params:
            return self.template
        return self.template.format_map({k: _plain(v) for k, v in self.params.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.params) == (
            other.template,
            other.params,
        )

    def __hash__(self) -> int:
        return hash(self.template)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_message, (self.template, self.params))

    def __str__(self) -> str:
        return self.en


def _message(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **cast(Params, params))


def _plain(value: object) -> str:
    """A parameter in plain English: what `Message.en` shows."""
    if isinstance(value, Message):
        return value.en
    if isinstance(value, UnitRef):
        return value.code
    if isinstance(value, Label):
        return value.key
    if isinstance(value, Localised):
        return value.en
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def gettext_noop(template: str) -> str:
    """Mark a template kept in a table for the catalogue's extraction; returns it unchanged."""
    return template


JSON = str | int | float | dict[str, str | None] | list[Any] | None


def encode(params: Mapping[str, object]) -> dict[str, JSON]:
    """A message's parameters as JSON values (for a message stored as data)."""
    out: dict[str, JSON] = {}
    for name, value in params.items():
        if isinstance(value, UnitRef):
            out[name] = {"code": value.code, "name": value.name}
        elif isinstance(value, Label):
            out[name] = {"context": value.context, "key": value.key}
        elif isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, str | int | float):
            out[name] = value
        else:
            raise TypeError(f"{name}: a {type(value).__name__} is not stored in a message")
    return out


def param_types() -> dict[str, Any]:
    """The type of each parameter name (`Params`), resolved."""
    from domain.deadlines import DeadlineKind
    from domain.escalation import Step
    from domain.organisation import UnitKind
    from domain.roles import Action, Role
    from domain.state import Stage

    enums = (DeadlineKind, Step, UnitKind, Action, Role, Stage)
    return typing.get_type_hints(Params, localns={e.__name__: e for e in enums})


def stored(template: str, params: Mapping[str, Any]) -> Message:
    """A message kept as data: its template and `encode`'s JSON of its parameters."""
    return Message(template, **cast(Params, decode(params)))


def decode(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters read back from `encode`'s JSON, each as its name's type in `Params`."""
    hints = param_types()
    out: dict[str, Any] = {}
    for name, value in data.items():
        kind = hints.get(name)
        if kind is None or value is None:
            continue
        if kind is UnitRef:
            out[name] = UnitRef(value["code"], value.get("name"))
        elif kind is Label:
            out[name] = Label(value["context"], value["key"])
        elif kind is date:
            out[name] = date.fromisoformat(value)
        elif isinstance(kind, type) and issubclass(kind, StrEnum | int | float | str):
            out[name] = kind(value)
    return out
