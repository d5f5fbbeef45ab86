"""What the daily-work forms share: the user's scope, running commands, reporting the outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4, uuid5

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.deps import Desk
from api.i18n import language_of, word
from api.messages import in_language
from api.reads import BoardReads, Scope
from api.users import Session
from api.web.render import page
from domain.errors import Language, Refused
from domain.policy import Policy
from domain.roles import ALLOWED, Action
from domain.state import LiaisonState

Call = tuple[Callable[[], Any], str, str]


def may_do(session: Session, action: Action) -> bool:
    """True when the user's role allows the action at all (the subtree is checked by the domain)."""
    return action in ALLOWED[session.user.role]


def form_day(form: FormData, desk: Desk, field: str = "effective_date") -> date:
    """The business date posted, else today."""
    raw = str(form.get(field) or "")
    try:
        return date.fromisoformat(raw) if raw else desk.today()
    except ValueError:
        return desk.today()


def command_id(form: FormData, *parts: str) -> UUID:
    """The form's command id (rendered with the form, so a double submit records once)."""
    try:
        base = UUID(str(form.get("command_id")))
    except ValueError:
        base = uuid4()
    return uuid5(base, "/".join(parts)) if parts else base


async def attempt(
    desk: Desk, language: Language, calls: list[Call], reads: BoardReads | None = None
) -> tuple[int, list[str]]:
    """Run each command; count those recorded and collect refusals in the user's language.

    With `reads`, wait until the read models include what was recorded: the page drawn next
    from them shows it (the projector runs in its own process), instead of a queue that still
    offers the member just received."""
    done, errors = 0, []
    for call, action, target in calls:
        try:
            await desk.command(call, action, target)
            done += 1
        except Refused as refusal:
            errors.append(await in_language(refusal, language, desk.office))
    if reads is not None:
        await desk.settled(reads)
    return done, errors


async def states_in_scope(desk: Desk, reads: BoardReads, session: Session) -> list[LiaisonState]:
    """Every liaison in the user's subtree today."""
    today = desk.today()
    scope = Scope(unit_id=session.user.unit_id, year=today.year, on=today)
    return await reads.states(scope)


def policy_here(desk: Desk, session: Session) -> Policy:
    """The regulation in force today for the user's province."""
    return desk.office.policy(desk.today(), session.user.unit_id)


def outcome(
    request: Request, template: str, session: Session, done: int, errors: list[str], **ctx: Any
) -> HTMLResponse:
    """The form again, with what was recorded and what was refused."""
    language = language_of(request)
    message = f"{word('saved', language)} ({done})" if done else None
    status = 200 if not errors else (409 if done == 0 else 200)
    return page(
        request, template, session, status, message=message, error=" · ".join(errors) or None,
        new_id=uuid4(), **ctx,
    )  # fmt: skip
