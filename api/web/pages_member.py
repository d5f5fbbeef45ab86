"""What can be done about one member, on one page: exemptions and their end, a proposal of
commendation or discipline, an on-demand assessment asked for and answered, the year's cycle, a
move to another workplace, the end of the liaison.

Each form is shown only to a role that may send its command; the subtree is the domain's to check.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import Desk
from api.reads import BoardReads
from api.users import Session
from api.web.forms import FormPage, may_send
from application.views import MemberView
from domain.commands import RequestPurpose
from domain.errors import no_such
from domain.organisation import WORKPLACE_KINDS
from domain.state import ClosingReason, Stage

COMMANDS = (
    "exempt-from-introduction",
    "lift-introduction-exemption",
    "exempt-from-activities",
    "lift-activities-exemption",
    "propose",
    "request-assessment",
    "provide-assessment",
    "open-cycle",
    "transfer-member",
    "close",
)


def _member_id(request: Request) -> UUID:
    try:
        return UUID(request.query_params.get("member", ""))
    except ValueError:
        raise no_such("member") from None


async def _readable(desk: Desk, request: Request) -> MemberView:
    """The member the page is about, once the user may read them."""
    return await desk.call(desk.core.member, _member_id(request))


async def _actions(
    desk: Desk, reads: BoardReads, session: Session, request: Request
) -> dict[str, Any]:
    member = await _readable(desk, request)
    today = desk.today()
    state = None
    if member.open_liaison_id is not None:
        state = await desk.call(desk.core.liaison, member.open_liaison_id)
    policy = await desk.call(desk.office.policy, today, member.workplace_unit_id)

    def workplaces() -> list[Any]:
        tree = desk.office.tree()
        return [
            u for u in tree
            if u.kind in WORKPLACE_KINDS and u.in_force_on(today)
            and u.id != member.workplace_unit_id
            and tree.is_within(u.id, session.user.unit_id, today)
        ]  # fmt: skip

    open_ = state is not None and state.stage is not Stage.CLOSED
    received = open_ and state is not None and state.cell_received_on is not None
    exempt = state is not None and state.is_exempt_from_activities
    may = {slug: may_send(session, slug) for slug in COMMANDS}
    pending = [r for r in state.requests if r.provided_on is None] if received and state else []
    return {
        "member": member,
        "state": state,
        "policy": policy,
        "today": today,
        "reasons": list(ClosingReason),
        "purposes": list(RequestPurpose),
        "pending": pending,
        "workplaces": await desk.call(workplaces) if may["transfer-member"] else [],
        "show": {
            "exempt-from-introduction": may["exempt-from-introduction"]
            and not open_
            and member.exempt_from_introduction is None,
            "lift-introduction-exemption": may["lift-introduction-exemption"]
            and member.exempt_from_introduction is not None,
            "exempt-from-activities": may["exempt-from-activities"] and open_ and not exempt,
            "lift-activities-exemption": may["lift-activities-exemption"] and exempt,
            "propose": may["propose"] and received and not exempt,
            "request-assessment": may["request-assessment"] and received,
            "provide-assessment": may["provide-assessment"] and bool(pending),
            "open-cycle": may["open-cycle"] and received,
            "transfer-member": may["transfer-member"] and not open_,
            "close": may["close"] and open_,
        },
    }


PAGES = (FormPage("member", "member_actions.html", _actions, COMMANDS, guard=_readable),)
