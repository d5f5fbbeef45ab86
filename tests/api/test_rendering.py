"""Every board page, as every role that may open it, in both languages, shows only people's words.

One province with members at every stage (a meeting, assessments, a request, an escalation, a
notification) is drawn page by page, signed in through the form as each role, in Vietnamese and
in English. A page fails on: an enum value or internal code (role, stage, grade, metric, deadline,
event… keys), a uuid, an ISO date, a unit's code without its name, on a Vietnamese page an English
phrase of the catalogues, or a message or label looked up without a translation.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

from api import i18n
from api.app import create_app
from api.config import BoardConfig
from api.reads import Metric
from api.reads_projections import ProjectionReads
from api.users import UserStore
from application.office import LiaisonOffice
from domain import commands as c
from domain.commands import RequestPurpose
from domain.deadlines import DeadlineKind
from domain.escalation import SYSTEM_ACTOR_ID, Step
from domain.organisation import Unit, UnitKind
from domain.policy import REGULATIONS
from domain.roles import Action, Role
from domain.state import Attendance, ClosingReason, Stage
from projections.audit import OPERATOR_ROLE
from projections.catalog import MODELS, all_models
from projections.lists import NOT_REFERRED
from projections.runner import Projector
from tests.api.conftest import FAST, PASSWORD, USERS, body, catching_up
from tests.api.test_commands import attending, post, referred
from tests.api.test_inbox import LATE
from tests.conftest import isolated_schema
from tests.integration import province as p
from workers.bootstrap import persistence_env
from workflows.outbox import Notification, PostgresOutbox

UNITS: dict[str, tuple[str, UnitKind, str | None]] = {
    p.PROVINCE: ("Tỉnh ủy Cà Mau", UnitKind.PROVINCIAL_COMMITTEE, None),
    p.WORKPLACE: ("Đảng ủy Sở Tài chính", UnitKind.WORKPLACE_COMMITTEE, p.PROVINCE),
    p.COMMUNE: ("Đảng ủy phường Một", UnitKind.COMMUNE_COMMITTEE, p.PROVINCE),
    p.CELL: ("Chi bộ khóm Một", UnitKind.RESIDENCE_CELL, p.COMMUNE),
    "W2": ("Đảng ủy Sở Y tế", UnitKind.WORKPLACE_COMMITTEE, p.PROVINCE),
    "X2": ("Đảng ủy phường Hai", UnitKind.COMMUNE_COMMITTEE, p.PROVINCE),
    "C2": ("Chi bộ khóm Hai", UnitKind.RESIDENCE_CELL, "X2"),
}
"""The tests' province, each unit with a name of its own (so that a bare code shows)."""
USERNAME = {
    "clerk": "vanphong.sotc",
    "commune": "vanphong.phuong1",
    "secretary": "bithu.khom1",
    "committee": "capuy.phuong1",
    "supervisor": "tinhuy",
    "inspector": "ubkt",
    "admin": "quantri",
}
"""Who draws the pages: for each API user of a role (named after the role, they record the
year), a person of the same role and unit, named as people are."""
ROLES = tuple(USERNAME)
BOARD_USERS = {name: USERS[role] for role, name in USERNAME.items()}
REFER = ("clerk", "committee", "supervisor")
RECEIVE = ("commune", "secretary", "committee", "supervisor")
CELL_WORK = ("secretary", "committee", "supervisor")
IMPORT = ("clerk", "commune", "committee", "supervisor")
"""The roles that import: those that register members, and a commune's clerk (its book)."""
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Page:
    """A page of the board: its address, who may open it (others get a refusal page)."""

    path: str
    roles: tuple[str, ...] = ROLES
    refused: int | None = None
    """The status the other roles get, when they are refused (else they are not drawn)."""


def pages(board: Board) -> dict[str, Page]:
    """Every page of the board, by a name for the test's id."""
    found: dict[str, Page] = {
        "home": Page("/"),
        "home-unit": Page("/?unit={unit}"),
        "figures": Page("/figures"),
        "refer": Page("/forms/refer", REFER),
        "receive": Page("/forms/receive", RECEIVE),
        "meeting": Page("/forms/meeting", CELL_WORK),
        "assess": Page("/forms/assess", CELL_WORK),
        "report": Page("/forms/report"),
        "requests": Page("/forms/requests"),
        "escalations": Page("/forms/escalations"),
        "policy": Page("/forms/policy"),
        "notifications": Page("/notifications"),
        "audit": Page("/audit"),
        "audit-member": Page(f"/audit?member={board.members['reported']}", ("clerk", "admin")),
        "audit-filtered": Page(
            "/audit?unit={unit}&kind=Referred&sign_ins=1&recorded_from=2026-01-01&recorded_to="
        ),
        "audit-sign-ins": Page("/audit?kind=SignedIn"),
        "inspect": Page("/inspect"),
        "inspect-dated": Page(
            "/inspect?unit={unit}&on=2026-11-22&compare_on=2026-06-30&recorded=&verify=true",
            ("inspector", "supervisor"),
        ),
        "import": Page("/import", IMPORT, refused=403),
        "password": Page("/password"),
        "search": Page("/search"),
        "search-found": Page("/search?q=dang+vien"),
        "search-none": Page("/search?q=khong+co+ai"),
        "signed-out": Page("/login", ()),
        "admin-users": Page("/forms/users", ("admin", "supervisor")),
        "admin-units": Page("/forms/units", ("admin",)),
        "admin-units-preview": Page(
            "/forms/units?on=2026-06-30&preview=1&predecessor_ids=X&successor.name=Ph%C6%B0%E1%BB%9Dng"
            "+M%E1%BB%9Bi&successor.id=XP&successor.parent_id=P&successor.valid_from=2026-11-22",
            ("admin",),
        ),
    }
    for metric in Metric:
        found[f"list-{metric.value}"] = Page(f"/list/{metric.value}?unit={{unit}}&year=2026")
    found["list-assessed-grade"] = Page("/list/assessed?unit={unit}&year=2026&code=fulfilled_well")
    for stage, member_id in board.members.items():
        found[f"member-{stage}"] = Page(f"/members/{member_id}", ("clerk", "supervisor"))
        found[f"actions-{stage}"] = Page(
            f"/forms/member?member={member_id}", ("clerk", "supervisor")
        )
    return found


@dataclass
class Drawn:
    """A page as one role saw it in one language, and the lookups that found no translation."""

    role: str
    status: int
    html: str
    untranslated: set[str] = field(default_factory=set)


@dataclass
class Board:
    """The province on the board, and every page drawn."""

    members: dict[str, str]
    drawn: dict[tuple[str, str], list[Drawn]] = field(default_factory=dict)


class Recording:
    """A language's translations that note every message or label they have no entry for."""

    def __init__(self, real: Translations, language: str, misses: set[str]) -> None:
        self.real, self.language, self.misses = real, language, misses

    def _has(self, key: object) -> bool:
        return key in self.real._catalog  # type: ignore[attr-defined]

    def gettext(self, message: str) -> str:
        if self.language == "vi" and not self._has(message):  # English ids are their own words
            self.misses.add(message)
        return self.real.gettext(message)

    def ngettext(self, one: str, many: str, n: int) -> str:
        if self.language == "vi" and not self._has((one, self.real.plural(n))):
            self.misses.add(one)
        return self.real.ngettext(one, many, n)

    def pgettext(self, context: str, message: str) -> str:
        if not self._has(f"{context}\x04{message}"):  # a label's id is a key in both languages
            self.misses.add(f"{context}:{message}")
        return str(self.real.pgettext(context, message))

    def npgettext(self, context: str, one: str, many: str, n: int) -> str:
        if not self._has((f"{context}\x04{one}", self.real.plural(n))):
            self.misses.add(f"{context}:{one}")
        return str(self.real.npgettext(context, one, many, n))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def build_province(office: LiaisonOffice) -> None:
    """The units of the tests' province, with names."""
    for unit_id, (name, kind, parent) in UNITS.items():
        unit = Unit(id=unit_id, name=name, kind=kind, parent_id=parent, valid_from=date(2000, 1, 1))
        office.execute(c.EstablishUnit(**p.by(p.ADMIN, date(2026, 1, 1)), unit=unit))


async def record_the_year(
    client: httpx.AsyncClient, auth: Callable[[str], Any], office: LiaisonOffice, pg_url: str
) -> dict[str, str]:
    """Members at every stage, a meeting, assessments, requests, an escalation, a notification."""
    members: dict[str, str] = {}
    members["referred"], late = await referred(client, auth, 1)
    p.escalate(office, UUID(late), LATE)
    members["received_by_commune"], at_commune = await referred(client, auth, 2)
    received = await post(
        client, await auth("commune"), "receive-at-commune",
        **body(p.COMMUNE_RECEIVED_ON, liaison_id=at_commune, cell_id=p.CELL),
    )  # fmt: skip
    assert received.status_code == 200, received.text
    members["attending"], open_request = await attending(client, auth, 3)
    members["assessed"], assessed = await attending(client, auth, 4)
    members["reported"], reported = await attending(client, auth, 5)
    members["closed"], closed = await attending(client, auth, 6)
    clerk, commune, secretary = await auth("clerk"), await auth("commune"), await auth("secretary")
    marks = [
        {"liaison_id": liaison, "attendance": mark, "absence_reason": "Đi công tác"}
        for liaison, mark in zip(
            (open_request, assessed, reported, closed), list(Attendance), strict=True
        )
    ]
    for headers, verb, fields in (
        (secretary, "record-meeting", body(cell_id=p.CELL, attendance=marks, comment="Họp quý")),
        (secretary, "assess", body(liaison_id=assessed, year=p.YEAR, grade="fulfilled_well",
                                   front_committee_representative="Trần Thị Bình")),
        (secretary, "assess", body(liaison_id=reported, year=p.YEAR, grade="not_fulfilled_well",
                                   front_committee_representative="Trần Thị Bình")),
        (commune, "confirm-assessment", body(liaison_id=reported, year=p.YEAR)),
        (commune, "report-back", body(liaison_id=reported, year=p.YEAR)),
        (secretary, "propose", body(liaison_id=reported, kind="commendation", comment="Gương mẫu")),
        (clerk, "exempt-from-activities", body(liaison_id=assessed, reason="travelling")),
        (clerk, "lift-activities-exemption", body(liaison_id=assessed)),
        (clerk, "request-assessment", body(liaison_id=open_request, purpose="admission")),
        (clerk, "close", body(liaison_id=closed, reason="retired")),
    ):  # fmt: skip
        response = await post(client, headers, verb, **fields)
        assert response.status_code == 200, (verb, response.text)
    # A late reminder as the workflow's activity writes it (message ids and parameters).
    outbox = PostgresOutbox(pg_url)
    await outbox.create_table()
    state = office.state_of(UUID(late))
    [deadline] = office.deadlines(UUID(late), p.TODAY)
    reminder = Notification.of_step(
        uuid4(), state, deadline, Step.REMINDER, p.COMMUNE, p.TODAY, UNITS[p.COMMUNE][0],
        scheduled=deadline.due_on,  # taken late: the notice says so
    )  # fmt: skip
    await outbox.write(reminder)
    await outbox.write(reminder.copy_to(uuid4(), p.WORKPLACE))
    return members


@pytest.fixture(scope="module")
async def board(pg_server_url: str) -> AsyncIterator[Board]:
    """The province on a board of its own, every page drawn by every role in both languages."""
    with isolated_schema(pg_server_url) as url:
        office = LiaisonOffice(env=persistence_env(url), clock=p.clock)
        build_province(office)
        store = UserStore(url, hasher=FAST)
        await store.setup()
        for name, (role, unit) in {**USERS, **BOARD_USERS}.items():
            await store.add(name, PASSWORD, role, unit)
        projector = Projector(persistence_env(url), all_models())
        reads = ProjectionReads(url, fresh=catching_up(projector))
        app = create_app(office, reads, store, BoardConfig(database_url=url, secure_cookies=False))
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://board.test") as api:
                tokens: dict[str, dict[str, str]] = {}

                async def auth(username: str) -> dict[str, str]:
                    if username not in tokens:
                        answer = await api.post(
                            "/api/auth/token", json={"username": username, "password": PASSWORD}
                        )
                        tokens[username] = {
                            "Authorization": f"Bearer {answer.json()['access_token']}"
                        }
                    return tokens[username]

                found = Board(await record_the_year(api, auth, office, url))
                await draw_everything(app, found)
            yield found
        finally:
            await reads.close()
            await store.close()
            projector.close()
            office.close()


async def draw_everything(app: Any, board: Board) -> None:
    """Draw every page as every role (signed in through the form) in both languages."""
    real = i18n.translations
    misses: set[str] = set()
    recording = {lang: Recording(real(lang), lang, misses) for lang in LANGUAGES}  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(i18n, "translations", lambda language: recording[language])
        for language in LANGUAGES:
            for role in (None, *ROLES):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://board.test"
                ) as web:
                    web.cookies.set("lang", language)
                    if role is not None:
                        signed = await web.post(
                            "/login", data={"username": USERNAME[role], "password": PASSWORD}
                        )
                        assert signed.status_code == 303, signed.text
                    for name, page in pages(board).items():
                        allowed = role in page.roles if role else not page.roles
                        if not allowed and (role is None or page.refused is None):
                            continue
                        path = page.path.format(unit=USERS[role][1] if role else "")
                        misses.clear()
                        answer = await web.get(path)
                        want = 200 if allowed else page.refused
                        assert answer.status_code == want, (name, role, path, answer.text[:300])
                        drawn = Drawn(
                            role or "signed out", answer.status_code, answer.text, set(misses)
                        )
                        board.drawn.setdefault((name, language), []).append(drawn)
                    if role == "clerk":
                        misses.clear()
                        answer = await refer_through_the_form(web, language)
                        drawn = Drawn(role, answer.status_code, answer.text, set(misses))
                        board.drawn.setdefault((POSTED, language), []).append(drawn)


POSTED = "refer-posted"
"""The referral form drawn again after it recorded (the outcome the form bindings report)."""


async def refer_through_the_form(web: httpx.AsyncClient, language: str) -> httpx.Response:
    """Register and refer a new member through the board's form; the page it answers."""
    form = await web.get("/forms/refer")
    fields = dict(re.findall(r'name="(csrf|command_id)" value="([^"]+)"', form.text))
    answer = await web.post("/forms/refer", data={
        **fields, "command": ["register-member", "refer"], "name": "Lê Thị Hoa",
        "birth_date": "1985-06-01",
        "party_card_number": f"7777000{LANGUAGES.index(language) + 1}",
        "residence_commune_id": p.COMMUNE, "residence_kind": "temporary",
        "effective_date": p.TODAY.isoformat(),
    })  # fmt: skip
    assert answer.status_code == 200, answer.text[-800:]
    assert 'class="ok"' in answer.text, answer.text[-800:]
    return answer


# What a page must not show -------------------------------------------------------------------


class Visible(HTMLParser):
    """The text a person sees (and hears: labels read aloud), outside parts in another language."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    SKIPPED = ("script", "style")
    VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr")  # fmt: skip

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other = values.get("lang") not in (None, self.language) and tag != "html"
        # A sign-in name is shown as its owner typed it (`translate="no"`), whatever it spells.
        typed = values.get("translate") == "no" and values.get("class") == "username"
        hidden = tag in self.SKIPPED or other or typed or values.get("type") == "hidden"
        if not (hidden or self._hidden()):
            self.parts += [values[a] or "" for a in self.SHOWN_ATTRIBUTES if values.get(a)]
            if tag == "input" and values.get("type") in ("submit", "button"):
                self.parts.append(values.get("value") or "")
        if tag not in self.VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)

    @classmethod
    def text(cls, html: str, language: str) -> str:
        """The page's visible text, one part per line."""
        parser = cls(language)
        parser.feed(html)
        return "\n".join(" ".join(part.split()) for part in parser.parts if part.strip())


def _codes() -> dict[str, str]:
    """Every enum value and internal key a person must never read, with what it is."""
    found: dict[str, str] = {}
    for kind, values in (
        ("role", [*Role, OPERATOR_ROLE]), ("stage", Stage), ("attendance", Attendance),
        ("deadline kind", DeadlineKind), ("step", Step), ("purpose", RequestPurpose),
        ("closing reason", ClosingReason), ("unit kind", UnitKind), ("action", Action),
        ("metric", Metric), ("actor", [SYSTEM_ACTOR_ID]), ("residence", ["permanent", "temporary"]),
        ("grade", [g.code for policy in REGULATIONS for g in policy.grades]),
        ("exemption", [r.code for policy in REGULATIONS
                       for r in (*policy.introduction_exemptions, *policy.activities_exemptions)]),
        ("event", [m.id for m in catalogue("en", "labels") if m.context == "event"]),
        ("read model", MODELS),
    ):  # fmt: skip
        found.update({str(v): kind for v in values})
    return found


def catalogue(language: str, domain: str) -> list[Any]:
    """The entries of one `.po` file (none when the domain has no file yet)."""
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return []
    with path.open("rb") as po:
        return [m for m in read_po(po, locale=language, domain=domain) if m.id]


PLACEHOLDER = re.compile(r"%\(\w+\)s|%[sd]|\{\w*\}")


def _english() -> set[str]:
    """English phrases of the catalogues (message ids, English labels): two words or more, or
    one word of eight letters or more; a message's text between its placeholders counts alone."""
    texts: list[str] = []
    for path in i18n.catalogue_files("en"):
        for m in catalogue("en", path.stem):
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            texts += [str(m.string)] if m.context else ids
    phrases = set()
    for text in texts:
        for between in PLACEHOLDER.split(text):
            piece = between.strip(" .,;:()«»…#/-·")
            words = piece.split()
            if len(words) >= 2 or (len(words) == 1 and len(re.sub(r"\W", "", piece)) >= 8):
                phrases.add(piece)
    return phrases


CODES = _codes()
ENGLISH = _english()
UUID_TEXT = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.\-/]){re.escape(text)}(?![\w\-/])")


CODE_PATTERNS = {code: _word(code) for code in CODES}
ENGLISH_PATTERNS = {phrase: _word(phrase) for phrase in ENGLISH}


def looks_like_code(code: str) -> bool:
    """A key that is no English word: snake_case, kebab-case or CamelCase."""
    return bool(re.search(r"[_-]|[a-z][A-Z]", code))


def problems(
    text: str, language: str, units: dict[str, tuple[str, UnitKind, str | None]] = UNITS
) -> list[str]:
    """What in a page's visible text a person must not read (`units`: whose codes need names)."""
    found = [f"uuid {m}" for m in UUID_TEXT.findall(text)]
    found += [f"ISO date {m}" for m in ISO_DATE.findall(text)]
    for code, pattern in CODE_PATTERNS.items():
        # On an English page a code that is also an English word ("present") is that word.
        if (language == "vi" or looks_like_code(code)) and pattern.search(text):
            found.append(f"{CODES[code]} {code!r}")
    if language == "vi":
        found += [
            f"English {p!r}" for p, pattern in ENGLISH_PATTERNS.items() if pattern.search(text)
        ]
    for unit_id, (name, _, _) in units.items():
        bare = len(_word(unit_id).findall(text)) - text.count(f"{name} ({unit_id})")
        if bare > 0:
            found.append(f"unit {unit_id} by its code alone")
    return found


KNOWN: dict[str, str] = {}
"""Pages that still fail because of text outside the templates, and the module that owes it."""


STAGES = ("referred", "received_by_commune", "attending", "assessed", "reported", "closed")


def page_ids() -> list[Any]:
    """Each page in each language; a known failure is expected to fail (and to say whose)."""
    names = [*pages(Board(dict.fromkeys(STAGES, ""))), POSTED]
    return [
        pytest.param(
            name, language, id=f"{name}-{language}",
            marks=[pytest.mark.xfail(reason=KNOWN[name], strict=True)] if name in KNOWN else [],
        )
        for name in names
        for language in LANGUAGES
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "language"), page_ids())
def test_the_page_shows_only_people_s_words(board: Board, name: str, language: str) -> None:
    drawn = board.drawn.get((name, language))
    assert drawn, f"{name} was drawn for no role"
    report = []
    for page in drawn:
        assert f'<html lang="{language}">' in page.html
        text = Visible.text(page.html, language)
        found = problems(text, language) + [f"no translation for {m!r}" for m in page.untranslated]
        if found:
            report.append(f"{page.role} ({page.status}): {sorted(set(found))}")
    assert report == [], "\n".join(report)


def test_the_checks_catch_what_they_look_for() -> None:
    """The checks above fail on each kind of leak (else a clean page would prove nothing)."""
    leaky = (
        '<html lang="vi"><body><p>fulfilled_well</p><p>MeetingAttendanceRecorded</p>'
        "<p>5b0c3f9e-0d5a-4b8e-8f7c-3d2a1b0c9e8f</p><p>2026-02-09</p><p>Refer a member</p>"
        '<p>C1</p><p>meeting</p><button lang="en">English</button></body></html>'
    )
    found = problems(Visible.text(leaky, "vi"), "vi")
    for expected in ("grade 'fulfilled_well'", "event 'MeetingAttendanceRecorded'",
                     "uuid 5b0c3f9e-0d5a-4b8e-8f7c-3d2a1b0c9e8f", "ISO date 2026-02-09",
                     "English 'Refer a member'", "unit C1 by its code alone",
                     "deadline kind 'meeting'"):  # fmt: skip
        assert expected in found, (expected, found)
    assert not any("English" in f and "English'" in f for f in found)  # another language's part
    clean = '<html lang="vi"><body><p>Chi bộ khóm Một (C1)</p><input type="hidden" value="present">'
    assert problems(Visible.text(clean, "vi"), "vi") == []


def test_a_label_with_no_entry_is_noticed() -> None:
    misses: set[str] = set()
    vi = Recording(i18n.translations("vi"), "vi", misses)
    assert vi.gettext("Dashboard") == "Tổng quan"
    vi.pgettext("grade", "excellent")
    vi.gettext("A sentence nobody translated")
    assert vi.ngettext("%(num)s meeting", "%(num)s meetings", 8) == "%(num)s cuộc họp"
    assert misses == {"grade:excellent", "A sentence nobody translated"}


def test_every_label_context_has_every_value_in_both_languages() -> None:
    """Each enum a person sees has a label for every value, in Vietnamese and English."""
    contexts: dict[str, list[str]] = {
        "role": [*Role, OPERATOR_ROLE], "stage": [*Stage, NOT_REFERRED],
        "attendance": list(Attendance),
        "deadline_kind": list(DeadlineKind), "step": list(Step), "purpose": list(RequestPurpose),
        "closing_reason": list(ClosingReason), "unit_kind": list(UnitKind),
        "action": list(Action), "metric": list(Metric), "actor": [SYSTEM_ACTOR_ID],
        "grade": [g.code for policy in REGULATIONS for g in policy.grades],
        "exemption": [r.code for policy in REGULATIONS
                      for r in (*policy.introduction_exemptions, *policy.activities_exemptions)],
        "event": event_names(), "residence_kind": ["permanent", "temporary"],
        "proposal": ["commendation", "discipline"], "projection": list(MODELS),
    }  # fmt: skip
    for language in LANGUAGES:
        entries = {(m.context, m.id): m.string for m in catalogue(language, "labels")}
        missing = [
            f"{context}:{value}"
            for context, values in contexts.items()
            for value in map(str, values)
            # An English label may be its key ("Assessed"); a Vietnamese one never is.
            if not entries.get((context, value))
            or (language == "vi" and entries[(context, value)] == value)
        ]
        assert missing == [], (language, missing)


def event_names() -> list[str]:
    """Every event class the store can hold (the base classes are never stored as such)."""
    import importlib
    import inspect
    import pkgutil

    import domain
    from domain.events import DomainEvent

    names: set[str] = set()
    for module in pkgutil.iter_modules(domain.__path__):
        loaded = importlib.import_module(f"domain.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, DomainEvent) and not cls.__subclasses__():
                names.add(cls.__name__)
    return sorted(names)
