"""Rendering pages: one Jinja environment per language, the web session, CSRF-checked forms.

Templates take every word from the gettext catalogues through Jinja's i18n extension
(`{{ _("Sign in") }}`, `{% trans %}`); enum values through `label(context, value)`; dates, numbers,
units (by name, code second) and members (by name, card second) through the helpers below.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from api import i18n
from api.deps import SESSION_COOKIE, Desk, OfficeDep, UsersDep, address_of, not_signed_in
from api.errors import BoardError
from api.one_time import require_changed
from api.users import Session
from domain.errors import Language, UnknownUnit
from domain.organisation import OrganisationTree, Unit

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
OTHER_LANGUAGE: dict[Language, Language] = {"vi": "en", "en": "vi"}
"""The language the board's switch offers from each (codes, not words)."""


def _date(value: date | datetime | None, language: Language) -> str:
    if isinstance(value, datetime):
        return i18n.format_moment(value, language)
    return i18n.format_date(value, language)


def _number(value: float | None, language: Language, decimals: int = 0) -> str:
    return "" if value is None else i18n.format_number(value, language, decimals)


def environment(language: Language) -> Environment:
    """The board's templates in one language: gettext from its catalogues, labels, dates."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    # Callables that look the catalogue up at each call (it is compiled once and cached), so
    # that the language's translations are whatever `api.i18n.translations` answers.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(language).gettext(message),
        ngettext=lambda one, many, n: i18n.translations(language).ngettext(one, many, n),
        pgettext=lambda context, message: i18n.translations(language).pgettext(context, message),
        npgettext=lambda context, one, many, n: i18n.translations(language).npgettext(
            context, one, many, n
        ),
        newstyle=True,
    )
    other = OTHER_LANGUAGE[language]
    env.globals.update(
        lang=language,
        other_lang=other,
        other_lang_name=i18n.language_name(other),
        label=lambda context, value: i18n.label(context, str(value), language),
        actor=lambda actor_id: i18n.actor_name(actor_id, language),
        day_of_year=lambda month_day: i18n.format_day_of_year(month_day[0], month_day[1], language),
        person=lambda name, card: (
            i18n.gettext("%(name)s (card %(card)s)", language) % {"name": name, "card": card}
        ),
    )
    env.filters.update(
        date=lambda value: _date(value, language),
        number=lambda value, decimals=0: _number(value, language, decimals),
    )
    return env


TEMPLATES: dict[Language, Jinja2Templates] = {
    language: Jinja2Templates(env=environment(language)) for language in i18n.LANGUAGES
}


class Units:
    """Units as people know them, "Name (CODE)": the organisation tree read at the first use."""

    def __init__(self, load: Callable[[], OrganisationTree]) -> None:
        self._load = load
        self._tree: OrganisationTree | None = None

    def _known(self, unit_id: str) -> str | None:
        if self._tree is None:
            self._tree = self._load()
        try:
            return self._tree.unit(unit_id).name
        except UnknownUnit:
            return None

    def name(self, unit_id: str | None) -> str:
        """The unit's name (its code when the tree does not know it)."""
        return (self._known(unit_id) or unit_id) if unit_id else ""

    def __call__(self, unit_id: str | None) -> str:
        """The unit's name with its code second (the code alone when it is its name, or unknown)."""
        name = self._known(unit_id) if unit_id else None
        return f"{name} ({unit_id})" if name and name != unit_id else (unit_id or "")


def units_on(
    tree: OrganisationTree, root_id: str, on: date, levels: int = 64
) -> list[tuple[int, Unit]]:
    """The units under a root in force on that date, down to `levels` below, depth first (none
    when the root was not)."""
    try:
        return tree.outline(root_id, on, levels)
    except UnknownUnit:
        return []


def unit_choices(
    tree: OrganisationTree, root_id: str, unit_id: str, on: date
) -> list[tuple[int, Unit]]:
    """The units a unit field offers on that date (the inspection's, the audit trail's), by
    name: the way down from the person's unit to the one shown, then the units directly under
    it (the inspection's tree opens any deeper one); just the unit when the person's unit was
    not its ancestor."""
    try:
        chain = tree.ancestors(unit_id, on)
        root = tree.in_force(root_id, on)
    except UnknownUnit:
        return []
    ids = [u.id for u in chain]
    way = list(reversed(chain[: ids.index(root.id) + 1])) if root.id in ids else chain[:1]
    return [*enumerate(way), *((len(way), u) for u in tree.children(way[-1].id, on))]


def _tree_of(request: Request) -> Callable[[], OrganisationTree]:
    def load() -> OrganisationTree:
        office = getattr(request.app.state, "office", None)
        return office.tree() if office is not None else OrganisationTree()

    return load


async def web_session(request: Request, users: UsersDep) -> Session:
    """The session of the board's cookie; without one the page redirects to sign-in, and while
    the one-time password is unchanged every page but its change redirects there."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await users.session(cookie, "web") if cookie else None
    if session is None:
        raise not_signed_in()
    request.state.session = session  # an error page drawn later still knows who is signed in
    require_changed(session, request.url.path)
    return session


WebSession = Annotated[Session, Depends(web_session)]


async def checked_form(request: Request, session: WebSession) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    if form.get("csrf") != session.csrf:
        raise BoardError(403, "csrf", "The form has expired; please reload.")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


async def _web_desk(request: Request, session: WebSession, office: OfficeDep) -> Desk:
    return Desk(office, session.user, address_of(request))


WebDesk = Annotated[Desk, Depends(_web_desk)]


def page(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a template in the caller's language, with the user, the CSRF token and units."""
    language = i18n.language_of(request)
    units = Units(_tree_of(request))
    values = {
        "user": session.user if session else None,
        "csrf": session.csrf if session else "",
        "unit": units,
        "unit_name": units.name,
        "details": lambda entry: i18n.event_details(entry.event, entry.details, language, units),
        **context,
    }
    return TEMPLATES[language].TemplateResponse(request, template, values, status_code=status)
