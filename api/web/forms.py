"""The board's forms, bound to the registry's commands.

Each form page is declared once (`FormPage`: its path, template, what it shows, which commands it
may post) and served by the same two routes: GET draws it, POST binds the form to the commands
named in its hidden `command` fields and carries them out as the signed-in user, then draws the
page again with what was recorded or refused. A refused form keeps its command id and what the
user typed, so sending it again is safe and nothing has to be typed twice.

How a form names a command's fields: by the field's name (`cell_id`), by its dotted path for a
nested one (`referral.residence_commune_id`, or its last part when that is unique), and, for one
command per row of a table, `row` fields listing the rows' keys with `<field>.<key>` per row (a
row whose own fields are all empty is skipped); a list field such as a meeting's attendance is
built from the rows instead (a row left unmarked is left off the list). A page that lets the user
pick rows (a checkbox `pick` per row) sends the picked rows with `scope=picked`, or every row with
`scope=all`, each as its own command even when it has no field of its own (receive, confirm).
`member_id` may be given as `party_card_number`.

The page drawn after a post says, one line per command, what was recorded for whom, or what was
refused for whom and why.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4, uuid5

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.deps import Desk, ReadsDep
from api.errors import BoardError
from api.i18n import language_of
from api.messages import in_language
from api.reads import BoardReads, Scope
from api.routes_queries import scope_of
from api.users import Session
from api.web.render import CheckedForm, WebDesk, WebSession, page
from application.fields import Leaf, leaves, nest
from application.outcome import said
from application.registry import BOARD, REGISTRY, Use
from domain.errors import Refused
from domain.messages import Message
from domain.organisation import WORKPLACE_KINDS, OrganisationTree, Unit, UnitKind
from domain.policy import Policy
from domain.roles import ALLOWED, Action
from domain.state import LiaisonState

Context = Callable[[Desk, BoardReads, Session, Request], Awaitable[dict[str, Any]]]
Guard = Callable[[Desk, Request], Awaitable[object]]
Prepare = Callable[[Desk, Session, Use[Any], dict[str, Any]], Awaitable[dict[str, Any] | None]]


async def _as_is(
    desk: Desk, session: Session, use: Use[Any], values: dict[str, Any]
) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class FormPage:
    """One form page: where it is, what it shows, and the commands it may post."""

    name: str
    template: str
    context: Context
    commands: tuple[str, ...]
    prepare: Prepare = field(default=_as_is)
    """Per command, the values bound from the form completed with what the page knows (the
    user's own unit, say), or None to leave that command out of this post."""
    guard: Guard | None = None
    """What must be readable before anything is sent from the page (its member, say): a page
    the user may not see refuses its forms too, once."""

    @property
    def path(self) -> str:
        """Where the page is served (and its forms post)."""
        return f"/forms/{self.name}"


def pages_by_name(*declared: FormPage) -> dict[str, FormPage]:
    """The form pages by name, each checked to post only commands the board may send."""
    found: dict[str, FormPage] = {}
    for page_ in declared:
        assert page_.name not in found, page_.name
        for slug in page_.commands:
            assert BOARD in REGISTRY.by_slug(slug).surfaces, slug
        found[page_.name] = page_
    return found


def may_do(session: Session, action: Action) -> bool:
    """True when the user's role allows the action at all (the subtree is checked by the domain)."""
    return action in ALLOWED[session.user.role]


def may_send(session: Session, slug: str) -> bool:
    """True when the user's role may send this command at all (the page shows its form)."""
    return may_do(session, REGISTRY.by_slug(slug).action)


BROAD = frozenset({UnitKind.PROVINCIAL_COMMITTEE, UnitKind.DISTRICT_COMMITTEE})
"""Units whose work forms list the units beneath them to choose one, not their members: a merged
province holds hundreds of thousands (a minute to read, a page nobody could use), a commune or a
workplace committee hundreds."""


@dataclass(frozen=True)
class Here:
    """The unit a work form page works on: the one asked for (`?unit=`, once the user may read
    it) or the user's own, and, when it is `BROAD`, the units beneath it to choose from."""

    scope: Scope
    own: bool
    beneath: list[Unit]
    """Empty when the page lists the unit's members."""

    @property
    def query(self) -> str:
        """What the page's forms add to their address to stay on this unit."""
        return "" if self.own else f"?unit={quote(self.scope.unit_id)}"

    @property
    def also(self) -> str:
        """What a link with a query of its own (`?year=`) adds to stay on this unit."""
        return "" if self.own else f"&unit={quote(self.scope.unit_id)}"


def units_beneath(tree: OrganisationTree, scope: Scope) -> list[Unit]:
    """The units directly beneath the scope's on its date: communes and wards (or cells) first,
    then workplace committees, each by name."""
    below = tree.children(scope.unit_id, scope.on)
    return sorted(below, key=lambda u: (u.kind in WORKPLACE_KINDS, u.name))


def _own_today(desk: Desk) -> Scope:
    """The user's own subtree today."""
    today = desk.today()
    return Scope(unit_id=desk.user.unit_id, year=today.year, on=today)


async def here(desk: Desk, request: Request) -> Here:
    """The unit the page works on. One asked for in another subtree, or not in force today, is
    refused (as a page's guard: before anything posted to it is carried out); the user's own is
    served even once merged (its members are then the successor's that were its own)."""
    asked = request.query_params.get("unit")
    if asked:
        scope = await scope_of(desk, asked, None, None, None)
    else:
        scope = _own_today(desk)

    def beneath() -> list[Unit]:
        tree = desk.office.tree()
        return units_beneath(tree, scope) if tree.unit(scope.unit_id).kind in BROAD else []

    own = scope.unit_id == desk.user.unit_id
    return Here(scope, own=own, beneath=await desk.call(beneath))


async def states_here(reads: BoardReads, here_: Here) -> list[LiaisonState]:
    """Every liaison of the page's unit today; none while a unit beneath is to be chosen."""
    return [] if here_.beneath else await reads.states(here_.scope)


async def policy_here(desk: Desk, session: Session) -> Policy:
    """The regulation in force today for the user's province."""
    return await desk.call(desk.office.policy, desk.today(), session.user.unit_id)


async def by_name_here(
    reads: BoardReads, here_: Here, keep: Callable[[LiaisonState], bool]
) -> list[LiaisonState]:
    """The liaisons of the page's unit today that `keep` keeps, by the member's name."""
    states = await states_here(reads, here_)
    return sorted((s for s in states if keep(s)), key=lambda s: s.member_name)


async def policy_and_today(desk: Desk, session: Session) -> dict[str, Any]:
    """What every form page of the year's work shows: the regulation in force for the user's
    province (`policy`), and today (`today`)."""
    return {"policy": await policy_here(desk, session), "today": desk.today()}


# Binding a posted form to commands.


def _base_id(form: FormData) -> UUID:
    try:
        return UUID(str(form.get("command_id")))
    except ValueError:
        return uuid4()


def bind(use: Use[Any], form: FormData, base: UUID, several: bool) -> list[dict[str, Any]]:
    """The payloads one command of the page gets from the form (one per row, or one)."""
    names = {leaf.name: leaf for leaf in leaves(use.model)}
    tails: dict[str, list[str]] = {}
    for name in names:
        tails.setdefault(name.rpartition(".")[2], []).append(name)
    aliases = {tail: found[0] for tail, found in tails.items() if len(found) == 1}

    def common() -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key in form:
            name = key if key in names else aliases.get(key)
            raw = form.get(key)
            if name is not None and _listed(names[name]):  # a list field: every value given
                values[name] = [str(v) for v in form.getlist(key) if isinstance(v, str) and v]
            elif name is not None and isinstance(raw, str) and raw != "":
                values[name] = raw
        if "member_id" in names and "member_id" not in values and form.get("party_card_number"):
            values["party_card"] = str(form.get("party_card_number"))
        return values

    shared = common()
    rows = [str(k) for k in form.getlist("row")]
    own_id = uuid5(base, use.slug) if several else base
    if "attendance" in names:  # one command whose list is the rows
        entries = [
            {
                "liaison_id": key,
                "attendance": form.get(f"attendance.{key}"),
                "absence_reason": form.get(f"absence_reason.{key}") or None,
            }
            for key in rows
            if form.get(f"attendance.{key}")  # unmarked: left off (the roster rule names them)
        ]
        return [{**shared, "attendance": entries, "command_id": own_id}]
    if not rows:
        return [{**shared, "command_id": own_id}]
    scope = form.get("scope")
    if scope == "picked":
        picked = {str(k) for k in form.getlist("pick")}
        rows = [key for key in rows if key in picked]
    payloads = []
    for key in rows:
        own = {
            name: str(form.get(f"{name}.{key}"))
            for name in names
            if form.get(f"{name}.{key}") not in (None, "")
        }
        if not own and scope not in ("picked", "all"):
            continue  # nothing chosen on this row
        row_key = {"liaison_id": key} if "liaison_id" in names else {}
        payloads.append({**shared, **row_key, **own, "command_id": uuid5(own_id, key)})
    return payloads


def _listed(leaf: Leaf) -> bool:
    """True for a field holding a list of plain values (the units a merger ends, say)."""
    return typing.get_origin(leaf.annotation) in (tuple, list) and leaf.name != "attendance"


def _typed(form: FormData) -> dict[str, str]:
    """What the user typed, to fill the form in again after a refusal."""
    typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    return {**typed, **{f"pick.{key}": "on" for key in form.getlist("pick")}}


# The routes: one GET and one POST serve every form page.

router = APIRouter(prefix="/forms", include_in_schema=False)


def _page_named(request: Request, name: str) -> FormPage:
    pages: dict[str, FormPage] = request.app.state.form_pages
    found = pages.get(name)
    if found is None:
        raise BoardError(404, "not_found", "No such page.")
    return found


@router.get("/{name}")
async def show(
    request: Request, name: str, session: WebSession, desk: WebDesk, reads: ReadsDep
) -> HTMLResponse:
    """A form page, ready to fill in."""
    form_ = _page_named(request, name)
    context = await form_.context(desk, reads, session, request)
    return page(request, form_.template, session, new_id=uuid4(), values={}, **context)


@router.post("/{name}")
async def send(
    request: Request,
    name: str,
    session: WebSession,
    desk: WebDesk,
    reads: ReadsDep,
    form: CheckedForm,
) -> HTMLResponse:
    """Carry out the commands the form names, as the signed-in user; draw the page again."""
    form_ = _page_named(request, name)
    slugs = [str(s) for s in form.getlist("command")]
    if not slugs or any(s not in form_.commands for s in slugs):
        raise BoardError(400, "malformed", "The form names no command of this page.")
    if form_.guard is not None:
        await form_.guard(desk, request)
    language, base = language_of(request), _base_id(form)
    names = await _names(desk, reads, form)
    done: list[str] = []
    errors: list[str] = []
    for slug in slugs:
        use = REGISTRY.by_slug(slug)
        for values in bind(use, form, base, several=len(slugs) > 1):
            prepared = await form_.prepare(desk, session, use, values)
            if prepared is None:
                continue
            try:
                outcome = await desk.execute(use.model, await _payload(desk, prepared))
                done.append(await in_language(said(use.done, outcome), language, desk.office))
            except Refused as refusal:
                whom = names.get(str(prepared.get("liaison_id"))) or prepared.get("name")
                said_ = Message("{member}: {reason}", member=str(whom), reason=refusal.message)
                errors.append(await in_language(said_ if whom else refusal, language, desk.office))
        if errors:
            break  # a later command of the same post builds on this one
    await desk.settled(reads)  # the page drawn next shows what was just recorded
    context = await form_.context(desk, reads, session, request)
    status = 200 if not errors else (409 if not done else 200)
    return page(
        request, form_.template, session, status,
        message=_lines(done), error=_lines(errors),
        new_id=base if errors else uuid4(), values=_typed(form) if errors else {}, **context,
    )  # fmt: skip


def _lines(lines: list[str]) -> str | list[str] | None:
    """One line as it is, several as a list (the page draws one line each), none as None."""
    return None if not lines else lines[0] if len(lines) == 1 else lines


async def _names(desk: Desk, reads: BoardReads, form: FormData) -> dict[str, str]:
    """The names of the members the posted rows are about, of the user's subtree (no other's
    member is named), read for those rows alone."""
    posted = set()
    for value in (*form.getlist("row"), *form.getlist("liaison_id")):
        try:
            posted.add(UUID(str(value)))
        except ValueError:
            continue  # refused when bound, if it names a liaison at all
    if not posted:
        return {}
    return {str(s.liaison_id): s.member_name for s in await reads.states(_own_today(desk), posted)}


async def _payload(desk: Desk, values: dict[str, Any]) -> dict[str, Any]:
    """The command's payload: a party card turned into the member's id, dotted names nested."""
    card = values.pop("party_card", None)
    if card is not None:
        values["member_id"] = await desk.call(desk.office.member_id_for, card)
    values.setdefault("effective_date", desk.today())
    return nest(values)
