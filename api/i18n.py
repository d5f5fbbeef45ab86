"""Translation at the edge: the caller's language and the gettext catalogues (vi and en).

Catalogues are the `.po` files under `api/locale/<language>/LC_MESSAGES/`, one per domain
(`labels`: every enum value a person sees, by context; the others: words and messages), read and
compiled in memory at first use with Babel. Message ids are English; labels are keys with a
context (`pgettext("role", "workplace_clerk")`), so the English catalogue carries their words too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from domain.calendar import VIETNAM, in_vietnam
from domain.errors import Language
from domain.escalation import SYSTEM_ACTOR_ID

if TYPE_CHECKING:  # the `liaison` command reads these words without a web stack
    from starlette.requests import HTTPConnection

LANGUAGES: tuple[Language, ...] = ("vi", "en")
LOCALE_DIR = Path(__file__).parent / "locale"


def catalogue_files(language: Language) -> list[Path]:
    """The `.po` files of a language, one per message domain."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@functools.cache
def translations(language: Language) -> Translations:
    """Every catalogue of the language, compiled once and merged into one set of translations."""
    merged = Translations()
    for path in catalogue_files(language):
        with path.open("rb") as po:
            catalog = read_po(po, locale=language, domain=path.stem)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        each = Translations(compiled, domain=path.stem)
        merged.merge(each)
        merged.plural = each.plural  # merging keeps the first's rule: the language's, from its file
    return merged


def gettext(message: str, language: Language) -> str:
    """The message in the language (the English message id when it has no translation)."""
    return translations(language).gettext(message)


def label(context: str, key: str, language: Language) -> str:
    """The label of an enum value (`context` names the enum: role, stage, grade…)."""
    return str(translations(language).pgettext(context, key))


DATE_PATTERNS: dict[Language, str] = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
"""How people write a date: 02/12/2026 in Vietnamese, 2 Dec 2026 in English (Babel's CLDR)."""
DAY_PATTERNS: dict[Language, str] = {"vi": "dd/MM", "en": "d MMM"}
"""A day of the year without its year (a yearly due date): 31/12, 31 Dec."""
TIME_PATTERN = "HH:mm"


def format_date(day: date | None, language: Language) -> str:
    """A date as people of the language write it ("" for none)."""
    return "" if day is None else dates.format_date(day, DATE_PATTERNS[language], locale=language)


def format_moment(moment: datetime | None, language: Language) -> str:
    """A recorded time in Vietnam's hours (the database hands them back in UTC): its date as
    people write it, then hours and minutes ("" for none)."""
    if moment is None:
        return ""
    pattern = f"{DATE_PATTERNS[language]} {TIME_PATTERN}"
    return dates.format_datetime(in_vietnam(moment), pattern, tzinfo=VIETNAM, locale=language)


def format_day_of_year(month: int, day: int, language: Language) -> str:
    """A yearly day (month, day) as people write it: 31/12 in Vietnamese, 31 Dec in English."""
    return dates.format_date(date(2000, month, day), DAY_PATTERNS[language], locale=language)


def format_number(value: float, language: Language, decimals: int = 0) -> str:
    """A number with the language's grouping and decimal mark (1.234,5 / 1,234.5)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return numbers.format_decimal(value, format=pattern, locale=language)


def language_name(language: Language) -> str:
    """The language's own name for itself (Tiếng Việt, English), from CLDR."""
    return str(Locale.parse(language).display_name)


def actor_name(actor_id: str | None, language: Language) -> str:
    """Who acted: the board user's name, or the label of the automatic workflow."""
    if actor_id == SYSTEM_ACTOR_ID:
        return label("actor", SYSTEM_ACTOR_ID, language)
    return actor_id or ""


UNIT_DETAILS = ("workplace_unit_id", "residence_commune_id", "cell_id")
DETAIL_LABELS: dict[str, str] = {
    "residence_kind": "residence_kind",
    "attendance": "attendance",
    "grade": "grade",
    "purpose": "purpose",
}
"""An event detail whose value is an enum key, and the label context that names it."""
REASON_CONTEXTS: dict[str, str] = {
    "ExemptedFromActivities": "exemption",
    "Closed": "closing_reason",
}
"""The `reason` detail means a different enum in each event."""


def event_details(
    event: str, details: dict[str, Any], language: Language, unit: Callable[[str], str]
) -> list[str]:
    """An event's details for people: labels for keys, units by name, no internal ids."""
    shown: list[str] = []
    for key, value in details.items():
        if value in (None, "") or key == "member_name":
            continue
        if key in UNIT_DETAILS:
            shown.append(unit(str(value)))
        elif key in DETAIL_LABELS:
            shown.append(label(DETAIL_LABELS[key], str(value), language))
        elif key == "reason" and event in REASON_CONTEXTS:
            shown.append(label(REASON_CONTEXTS[event], str(value), language))
        elif key in ("year", "front_committee_representative", "late_reason"):
            shown.append(str(value))
    return shown


LANGUAGE_CODES: dict[str, Language] = {"vi": "vi", "en": "en"}


def language_of(request: HTTPConnection) -> Language:
    """The `lang` cookie, else (API only) the first of vi/en in Accept-Language, else the default.

    Pages ignore Accept-Language: browsers send en-US by default, and the board is Vietnamese
    unless its user switches.
    """
    cookie = LANGUAGE_CODES.get(request.cookies.get("lang", ""))
    if cookie is not None:
        return cookie
    api = request.url.path.startswith("/api/")
    header = request.headers.get("accept-language", "") if api else ""
    for part in header.split(","):
        tag = LANGUAGE_CODES.get(part.split(";")[0].strip().lower()[:2])
        if tag is not None:
            return tag
    config = getattr(request.app.state, "config", None)
    return LANGUAGE_CODES.get(str(getattr(config, "language", "vi")), "vi")
