"""The board's reading pages: the statistics, lists behind figures, member timeline, inspection."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ReadsDep
from api.errors import BoardError
from api.i18n import format_number, gettext, label, language_of
from api.reads import DETAIL_CONTEXT, Figures, Metric, Scope, with_year_before
from api.routes_audit import may_verify_seal, verifies_seal
from api.routes_queries import readable_member, scope_of
from api.web.charts import Bar, bars
from api.web.render import Units, WebDesk, WebSession, page, unit_choices, units_on
from domain.calendar import VIETNAM, in_vietnam
from domain.errors import Language, UnknownUnit
from domain.organisation import OrganisationTree

router = APIRouter(include_in_schema=False)
Day = Annotated[date | None, Query()]
Moment = Annotated[datetime | None, Query()]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
Text = Annotated[str | None, Query(max_length=40)]
T = TypeVar("T", date, datetime)


def parsed(raw: str | None, kind: type[T]) -> T | None:
    """An optional date or time from a form field that may be left empty."""
    if not raw:
        return None
    try:
        return kind.fromisoformat(raw)
    except ValueError:
        raise BoardError(422, "malformed", "“{value}” is not a date.", value=raw) from None


def list_link(scope: Scope, metric: str, code: str | None = None) -> str:
    """The address of the list behind one figure of the scope (of one grade or reason)."""
    query = {"unit": scope.unit_id, "year": scope.year, "on": scope.on.isoformat()}
    if scope.recorded_by is not None:
        query["recorded_by"] = scope.recorded_by.isoformat()
    if code is not None:
        query["code"] = code
    return f"/list/{metric}?{urlencode(query)}"


LIST_PAGE = 200
"""Members on one page of a figure's list."""

CHART_BARS = 20
"""The most units the overdue chart shows by name, the most overdue first; the rest are one bar."""


def under_each_child(
    tree: OrganisationTree, unit_id: str, on: date, by_unit: dict[str, int]
) -> list[tuple[str, int]]:
    """Counts of units of a subtree added up under the units directly below its root (the
    root's own under the root), the largest first: a province's chart shows its communes and
    workplaces, not its 25,000 cells. Each sum is what the child's own list counts."""
    sums: dict[str, int] = {}
    for unit, n in by_unit.items():
        try:
            way = [u.id for u in tree.ancestors(unit, on)]
        except UnknownUnit:
            way = []
        at = way.index(unit_id) if unit_id in way else 0
        key = way[at - 1] if at > 0 else unit_id
        sums[key] = sums.get(key, 0) + n
    return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))


def charts(
    language: Language, now: Figures, before: Figures, tree: OrganisationTree
) -> dict[str, Any]:
    """The four charts of the dashboard, with last year's values where they compare."""
    unit_name = Units(lambda: tree)
    funnel = [
        Bar(label("stage", stage, language), count, previous=before.stages.get(stage))
        for stage, count in now.stages.items()
    ]
    total = sum(now.grades.values()) or 1
    policy_grades = [
        Bar(
            label("grade", grade, language),
            n,
            list_link(now.scope, "assessed", grade),
            note=f" ({format_number(100 * n / total, language)}%)",
        )
        for grade, n in now.grades.items()
    ]
    meetings = [
        Bar(gettext("Held", language), now.meetings_held, previous=before.meetings_held),
        Bar(gettext("Expected", language), now.meetings_expected,
            previous=before.meetings_expected),
    ]  # fmt: skip
    scope = now.scope
    by_child = under_each_child(tree, scope.unit_id, scope.on, now.overdue_by_unit)
    overdue = [
        Bar(
            unit_name.name(unit),
            n,
            list_link(scope.model_copy(update={"unit_id": unit}), "overdue"),
        )
        for unit, n in by_child[:CHART_BARS]
    ]
    if len(by_child) > CHART_BARS:
        rest = by_child[CHART_BARS:]
        label_rest = gettext("Other units (%(num)s)", language) % {"num": len(rest)}
        overdue.append(Bar(label_rest, sum(n for _, n in rest)))
    return {
        "funnel": bars(gettext("Stage funnel", language), funnel),
        "grades": bars(
            gettext("Grade distribution", language),
            policy_grades,
            gettext("No assessment has been recorded this year.", language),
        ),
        "meetings": bars(gettext("Meetings held vs expected", language), meetings),
        "overdue": bars(
            gettext("Overdue by unit", language),
            overdue,
            gettext("No unit has an overdue deadline.", language),
        ),
    }


@router.get("/figures")
async def figures(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None, year: YearQ = None, on: Day = None, recorded_by: Moment = None,
) -> HTMLResponse:  # fmt: skip
    """The statistics of the user's unit (or a unit of their subtree), beside last year."""
    scope = await scope_of(desk, unit or session.user.unit_id, year, on, recorded_by)
    now, before = await with_year_before(reads, scope)
    tree = desk.office.tree()
    return page(
        request, "home.html", session, now=now, before=before, metrics=list(Metric),
        link=list_link, charts=charts(language_of(request), now, before, tree),
        children=tree.children(scope.unit_id, scope.on),
    )  # fmt: skip


@router.get("/list/{metric}")
async def metric_list(
    request: Request, metric: Metric, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None, year: YearQ = None, on: Day = None, recorded_by: Moment = None,
    code: Text = None, page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:  # fmt: skip
    """The members behind one figure (of one grade or reason, where the figure has them), a
    page at a time: a province's list runs to hundreds of thousands."""
    scope = await scope_of(desk, unit or session.user.unit_id, year, on, recorded_by)
    context = DETAIL_CONTEXT.get(metric)
    code = code if context else None
    rows = await reads.rows(scope, metric, code, page_number, LIST_PAGE)
    here = list_link(scope, metric, code)
    return page(
        request, "list.html", session, metric=metric, scope=scope, rows=rows[:LIST_PAGE],
        detail_context=context, code=code, first=here if page_number > 1 else None,
        next=f"{here}&page={page_number + 1}" if len(rows) > LIST_PAGE else None,
    )  # fmt: skip


@router.get("/members/{member_id}")
async def member_page(
    request: Request, member_id: UUID, session: WebSession, desk: WebDesk
) -> HTMLResponse:
    """A member's record, open deadlines and the timeline of who did what and when."""
    member = await readable_member(desk, member_id)
    timeline = await desk.call(desk.core.timeline, member_id)
    deadlines = await desk.call(desk.core.open_deadlines, member)
    return page(
        request, "member.html", session, member=member, timeline=timeline, deadlines=deadlines,
        today=desk.today(),
    )  # fmt: skip


@router.get("/inspect")
async def inspect(
    request: Request, session: WebSession, desk: WebDesk, reads: ReadsDep,
    unit: str | None = None, on: Day = None, recorded: Text = None, compare_on: Text = None,
    verify: bool = False,
) -> HTMLResponse:  # fmt: skip
    """The board of a unit as it was on a date (and as recorded by a time), beside another date."""
    recorded_by, compare = parsed(recorded, datetime), parsed(compare_on, date)
    if verify:
        await may_verify_seal(desk)
    seal, may_verify = await reads.seal(verify), verifies_seal(desk)
    root = session.user.unit_id
    if on is None:
        choices = await desk.call(unit_choices, desk.office.tree(), root, root, desk.today())
        return page(
            request, "inspect.html", session, now=None, today=desk.today(), seal=seal,
            may_verify=may_verify, choices=choices,
        )  # fmt: skip
    scope = await scope_of(desk, unit or root, None, on, recorded_by)
    # The inspection draws no chart: its figures without the funnel and the overdue units.
    now = await reads.figures(scope, stages=False, overdue_by_unit=False)
    tree = desk.office.tree()
    outline = await desk.call(units_on, tree, scope.unit_id, on, 1)  # deeper: follow a link
    choices = await desk.call(unit_choices, tree, root, scope.unit_id, on)
    other = None
    if compare is not None:
        compared = await scope_of(desk, scope.unit_id, None, compare, None)
        other = await reads.figures(compared, stages=False, overdue_by_unit=False)
    recorded_field = local_moment(scope.recorded_by)

    def inspect_link(unit_id: str) -> str:
        query = {"unit": unit_id, "on": scope.on.isoformat(), "recorded": recorded_field}
        return f"/inspect?{urlencode({k: v for k, v in query.items() if v})}"

    return page(
        request, "inspect.html", session, now=now, other=other, metrics=list(Metric),
        link=list_link, today=desk.today(), outline=outline, evidence=list_link(scope, "x").replace(
            "/list/x", "/inspect/evidence"), seal=seal, may_verify=may_verify, choices=choices,
        recorded_field=recorded_field, tree_link=inspect_link,
    )  # fmt: skip


def local_moment(moment: datetime | None) -> str:
    """A moment as a datetime-local field holds it, in Vietnam's hours ("" for none)."""
    if moment is None:
        return ""
    local = in_vietnam(moment).astimezone(VIETNAM).replace(tzinfo=None, microsecond=0)
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")


@router.get("/inspect/evidence")
async def evidence(
    session: WebSession, desk: WebDesk, reads: ReadsDep, unit: str | None = None,
    year: YearQ = None, on: Day = None, recorded_by: Moment = None,
) -> Response:  # fmt: skip
    """The inspection's evidence as a JSON download, the file `liaison verify --evidence` checks."""
    scope = await scope_of(desk, unit or session.user.unit_id, year, on, recorded_by)
    name = f"liaison-evidence-{scope.unit_id}-{scope.on.isoformat()}.json"
    return Response(
        json.dumps(await reads.evidence(scope), ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
