"""Every figure on a board equals the length of the list behind it, read as the board reads them.

A workplace committee's figures count its members' liaisons by workplace; the list behind each
figure must name exactly those members (it once filtered by the residence side and came back
empty), with each member's stage.
"""

from __future__ import annotations

from datetime import date

from api.reads import Metric, Scope
from api.reads_projections import ProjectionReads
from application.office import LiaisonOffice
from domain import commands as c
from domain.organisation import Unit, UnitKind
from domain.roles import Actor, Role
from projections.catalog import all_models
from projections.runner import Projector
from tests.integration import province as pv

WORKPLACE_CELL = "W-C"
BOARD = Actor(id="board", role=Role.SUPERVISOR, unit_id=pv.PROVINCE)


def _record(office: LiaisonOffice) -> None:
    """Members of W (one in its cell W-C) referred to X: waiting, received, assessed, reported;
    one received after the assessment window opened, and assessed all the same."""
    pv.build_province(office)
    office.execute(
        c.EstablishUnit(
            **pv.by(pv.ADMIN, date(2026, 1, 1)),
            unit=Unit(id=WORKPLACE_CELL, name="Chi bộ W", kind=UnitKind.WORKPLACE_CELL,
                      parent_id=pv.WORKPLACE, valid_from=date(2000, 1, 1)),
        )
    )  # fmt: skip
    done = pv.received_member(office, 1, name="Nguyễn Văn An")
    waiting = pv.received_member(office, 2, name="Lê Thị Bình")
    pv.received_member(office, 3, name="Trần Văn Cường", received=False)
    in_cell = office.execute(
        c.RegisterMember(
            **pv.by(BOARD, pv.REGISTERED_ON), name="Phạm Thị Dung",
            birth_date=date(1980, 1, 1), party_card_number=pv.party_card(4),
            workplace_unit_id=WORKPLACE_CELL,
        )
    ).member_id  # fmt: skip
    office.execute(
        c.Refer(
            **pv.by(BOARD, pv.REFERRED_ON), member_id=in_cell,
            referral=c.Referral(residence_commune_id=pv.COMMUNE),
        )
    )  # fmt: skip
    day = date(2026, 11, 10)
    office.execute(
        c.Assess(
            **pv.by(pv.SECRETARY, day), liaison_id=done.liaison_id, year=pv.YEAR,
            grade="fulfilled_well", front_committee_representative="Trần Thị Bình",
        )
    )  # fmt: skip
    office.execute(c.ConfirmAssessment(**pv.by(pv.COMMUNE_CLERK, day), liaison_id=done.liaison_id,
                                       year=pv.YEAR))  # fmt: skip
    office.execute(
        c.ReportBack(**pv.by(pv.COMMUNE_CLERK, day), liaison_id=done.liaison_id, year=pv.YEAR)
    )
    late = pv.received_member(office, 5, name="Võ Thị Em", received=False).liaison_id
    office.execute(c.ReceiveAtCommune(**pv.by(BOARD, date(2026, 11, 3)), liaison_id=late,
                                      cell_id=pv.CELL))  # fmt: skip
    office.execute(c.ReceiveAtCell(**pv.by(BOARD, date(2026, 11, 5)), liaison_id=late))
    office.execute(
        c.Assess(
            **pv.by(BOARD, date(2026, 11, 20)), liaison_id=late, year=pv.YEAR,
            grade="fulfilled_well", front_committee_representative="Trần Thị Bình",
        )
    )  # fmt: skip
    assert waiting.liaison_id != done.liaison_id


async def test_every_figure_of_every_unit_equals_its_list(
    pg_env: dict[str, str], pg_url: str
) -> None:
    office = LiaisonOffice(env=pg_env, clock=pv.clock)
    _record(office)
    projector = Projector(pg_env, all_models())
    projector.catch_up()
    projector.close()
    reads = ProjectionReads(pg_url)
    try:
        seen = {}
        for unit in (pv.WORKPLACE, WORKPLACE_CELL, pv.COMMUNE, pv.CELL, pv.PROVINCE):
            scope = Scope(unit_id=unit, year=pv.YEAR, on=date(2026, 12, 20))
            figures = await reads.figures(scope)
            for metric in Metric:
                rows = await reads.rows(scope, metric)
                assert len(rows) == figures.counts[metric], (unit, metric.value)
                seen[unit, metric] = rows
        workplace = {m: {r.name for r in seen[pv.WORKPLACE, m]} for m in Metric}
        assert workplace[Metric.AWAITING_RECEIPT] == {"Trần Văn Cường", "Phạm Thị Dung"}
        assert workplace[Metric.REPORTED] == {"Nguyễn Văn An"}
        assert workplace[Metric.ASSESSED] == {"Nguyễn Văn An", "Võ Thị Em"}
        assert workplace[Metric.ASSESSMENTS_DUE] == {"Nguyễn Văn An", "Lê Thị Bình", "Võ Thị Em"}
        assert workplace[Metric.NOT_ASSESSED] == workplace[Metric.OVERDUE] == {"Lê Thị Bình"}
        assert {r.name for r in seen[WORKPLACE_CELL, Metric.REFERRED]} == {"Phạm Thị Dung"}
        members = seen[pv.WORKPLACE, Metric.IN_SCOPE]
        assert {r.name: r.stage for r in members} == {
            "Nguyễn Văn An": "reported_back",
            "Lê Thị Bình": "attending",
            "Trần Văn Cường": "referred",
            "Phạm Thị Dung": "referred",
            "Võ Thị Em": "assessed",
        }
    finally:
        await reads.close()
