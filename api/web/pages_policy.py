"""A province's deadlines (điều chỉnh thời hạn): each beside the regulation's default, the changes
recorded with the date each took effect, a form to change one and a button to withdraw one.

Administrators and supervisors see it for the provinces in their subtree; the domain decides
whose province it is (a supervisor of a commune has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.deps import Desk
from api.reads import BoardReads
from api.users import Session
from api.web.forms import FormPage, may_send
from domain.organisation import Unit, UnitKind
from domain.policy import DAY_SETTINGS, PolicyOverride, limits_of, policy_in_force

COMMANDS = ("override-policy", "withdraw-policy-override")


@dataclass(frozen=True)
class SettingRow:
    """One deadline setting: the regulation's default, what governs today, the bounds."""

    key: str
    default: int
    in_force: int
    least: int
    most: int

    @property
    def changed(self) -> bool:
        """True when the province's value today differs from the regulation's."""
        return self.in_force != self.default


def _provinces(desk: Desk, session: Session) -> list[Unit]:
    """The provincial committees in force today that lie in the user's subtree."""
    tree, today = desk.office.tree(), desk.today()
    return sorted(
        (
            u
            for u in tree
            if u.kind is UnitKind.PROVINCIAL_COMMITTEE
            and u.in_force_on(today)
            and tree.is_within(u.id, session.user.unit_id, today)
        ),
        key=lambda u: u.name,
    )


async def _deadlines(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    today = desk.today()
    provinces = await desk.call(_provinces, desk, session)
    asked = request.query_params.get("province")
    province = next((p for p in provinces if p.id == asked), provinces[0] if provinces else None)
    rows: list[SettingRow] = []
    overrides: tuple[PolicyOverride, ...] = ()
    if province is not None:
        default = policy_in_force(today).deadlines
        here = (await desk.call(desk.office.policy, today, province.id)).deadlines
        rows = [
            SettingRow(key, getattr(default, key), getattr(here, key), *limits_of(key))
            for key in DAY_SETTINGS
        ]
        overrides = (await desk.call(desk.office.regulation_book)).for_province(province.id)
    return {
        "provinces": provinces,
        "province": province,
        "rows": rows,
        "overrides": [o for o in overrides if o.setting in DAY_SETTINGS],
        "regulation": policy_in_force(today),
        "may_change": may_send(session, "override-policy") and province is not None,
        "today": today,
    }


PAGES = (FormPage("policy", "policy.html", _deadlines, COMMANDS),)
