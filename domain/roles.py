"""Roles and permissions as pure functions: who may do what, within which organisation subtree."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.errors import OutOfScope
from domain.organisation import OrganisationTree


class Role(StrEnum):
    """The roles of the people who use Liaison."""

    WORKPLACE_CLERK = "workplace_clerk"
    COMMUNE_CLERK = "commune_clerk"
    CELL_SECRETARY = "cell_secretary"
    COMMITTEE_MEMBER = "committee_member"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    """Everything a command can ask to do; each is checked against the actor's role and scope."""

    MANAGE_ORGANISATION = "manage_organisation"
    MANAGE_USERS = "manage_users"
    OVERRIDE_POLICY = "override_policy"
    REBUILD_SEAL = "rebuild_seal"
    REGISTER_MEMBER = "register_member"
    EXEMPT_FROM_INTRODUCTION = "exempt_from_introduction"
    REFER = "refer"
    RECEIVE_AT_COMMUNE = "receive_at_commune"
    RECEIVE_AT_CELL = "receive_at_cell"
    RECORD_MEETING = "record_meeting"
    ASSESS = "assess"
    CONFIRM_ASSESSMENT = "confirm_assessment"
    REPORT_BACK = "report_back"
    OPEN_CYCLE = "open_cycle"
    REQUEST_ASSESSMENT = "request_assessment"
    PROVIDE_ASSESSMENT = "provide_assessment"
    EXEMPT_FROM_ACTIVITIES = "exempt_from_activities"
    PROPOSE = "propose"
    CLOSE = "close"
    SEND_CLOSING_SLIP = "send_closing_slip"
    RESOLVE_ESCALATION = "resolve_escalation"
    READ = "read"


class Actor(BaseModel):
    """Who issues a command: a person, their role, and the unit whose subtree they act for."""

    model_config = ConfigDict(frozen=True)

    id: str
    role: Role
    unit_id: str


_WORKPLACE_SIDE = frozenset(
    {
        Action.REGISTER_MEMBER,
        Action.EXEMPT_FROM_INTRODUCTION,
        Action.REFER,
        Action.REQUEST_ASSESSMENT,
        Action.EXEMPT_FROM_ACTIVITIES,
        Action.CLOSE,
        Action.SEND_CLOSING_SLIP,
    }
)
_COMMUNE_SIDE = frozenset(
    {Action.RECEIVE_AT_COMMUNE, Action.CONFIRM_ASSESSMENT, Action.REPORT_BACK}
)
_CELL_SIDE = frozenset(
    {
        Action.RECEIVE_AT_CELL,
        Action.RECORD_MEETING,
        Action.ASSESS,
        Action.PROVIDE_ASSESSMENT,
        Action.PROPOSE,
        Action.REPORT_BACK,
    }
)

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.WORKPLACE_CLERK: _WORKPLACE_SIDE | {Action.READ},
    Role.COMMUNE_CLERK: _COMMUNE_SIDE | {Action.READ},
    Role.CELL_SECRETARY: _CELL_SIDE | {Action.READ},
    Role.COMMITTEE_MEMBER: _WORKPLACE_SIDE
    | _COMMUNE_SIDE
    | _CELL_SIDE
    | {Action.RESOLVE_ESCALATION, Action.READ},
    Role.SUPERVISOR: frozenset(
        _WORKPLACE_SIDE
        | _COMMUNE_SIDE
        | _CELL_SIDE
        | {
            Action.OPEN_CYCLE,
            Action.RESOLVE_ESCALATION,
            Action.MANAGE_USERS,
            Action.OVERRIDE_POLICY,
            Action.READ,
        }
    ),
    Role.INSPECTOR: frozenset({Action.READ}),
    Role.ADMINISTRATOR: frozenset(
        {
            Action.MANAGE_ORGANISATION,
            Action.MANAGE_USERS,
            Action.OVERRIDE_POLICY,
            Action.REBUILD_SEAL,
            Action.OPEN_CYCLE,
            Action.READ,
        }
    ),
}


def may(actor: Actor, action: Action, unit_id: str, tree: OrganisationTree, on: date) -> bool:
    """True when the actor's role allows the action and the unit lies in the actor's subtree."""
    return action in ALLOWED[actor.role] and tree.is_within(unit_id, actor.unit_id, on)


def require_role(actor: Actor, action: Action) -> None:
    """Refuse when the actor's role never allows the action, wherever it acts."""
    if action not in ALLOWED[actor.role]:
        raise OutOfScope("Your role ({role}) may not {action}.", role=actor.role, action=action)


def authorise(
    actor: Actor, action: Action, unit_ids: tuple[str, ...], tree: OrganisationTree, on: date
) -> None:
    """Refuse unless the actor may do the action on at least one of the units concerned."""
    require_role(actor, action)
    if not any(may(actor, action, unit_id, tree, on) for unit_id in unit_ids):
        # Name nothing the caller asked about: the units may be another district's.
        raise OutOfScope("This lies outside the units you act for.")


BOOK_KEEPERS = frozenset({Role.COMMUNE_CLERK})
"""Roles that keep a commune's book of the working members residing there (sổ theo dõi đảng viên
đang công tác), and so may import it."""


def keeps_the_book_of(actor: Actor, commune_id: str, tree: OrganisationTree, on: date) -> bool:
    """True when the actor keeps the book of that residence commune: a commune clerk of it.

    Importing its book, such a clerk records every step of a member who resides there — the
    workplace's registration and referral as its introduction letter states them, the cell's
    receipt, meetings and assessments — and nothing of a member who resides elsewhere."""
    return actor.role in BOOK_KEEPERS and tree.is_within(commune_id, actor.unit_id, on)


def may_import(role: Role) -> bool:
    """True when the role imports members: it registers them, or it keeps a commune's book."""
    return Action.REGISTER_MEMBER in ALLOWED[role] or role in BOOK_KEEPERS


SEAL_VERIFIERS = frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.ADMINISTRATOR})
"""Who may have the seal recomputed (kiểm tra niêm phong): it reads every stored event."""


def require_seal_verifier(actor: Actor) -> None:
    """Refuse unless the actor's role may have the seal verified."""
    if actor.role not in SEAL_VERIFIERS:
        raise OutOfScope("Your role ({role}) may not have the seal verified.", role=actor.role)
