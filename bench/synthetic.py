"""A synthetic store for the API, storm and memory benchmarks: members all referred on one day.

Written through the import's own bulk path (tree first, then the members' records), so the store
has the same shape as an imported province; only the history is short: registered, referred.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from application.office import LiaisonOffice
from domain.calendar import business_date
from domain.deadlines import after_days
from domain.organisation import UnitKind
from domain.roles import Actor, Role
from workers.onboarding import open_liaisons
from workers.province.bulk import BulkWriter
from workers.province.demo_tree import PROVINCE, Tree, write_tree
from workers.province.importer import Source, import_records
from workers.province.records import MemberRecord

IMPORTER = Actor(id="bench-import", role=Role.SUPERVISOR, unit_id=PROVINCE)


def today() -> date:
    """Today's business date (Vietnam), as the office and the workflows see it."""
    return business_date(datetime.now(UTC))


def commune(c: int) -> str:
    """The id of synthetic commune c."""
    return f"{PROVINCE}-X{c + 1:03d}"


def cell(c: int) -> str:
    """The one residence cell of synthetic commune c."""
    return f"{commune(c)}-C001"


def tree(communes: int) -> Tree:
    """A province of `communes` communes, one cell each, and one workplace per five communes."""
    built = Tree()
    built.found(PROVINCE, "Bench", UnitKind.PROVINCIAL_COMMITTEE, None)
    for c in range(communes):
        built.found(commune(c), f"Xã {c + 1}", UnitKind.COMMUNE_COMMITTEE, PROVINCE)
        built.found(cell(c), f"Chi bộ {c + 1}", UnitKind.RESIDENCE_CELL, commune(c))
        built.cells.append(cell(c))
        built.commune_of[cell(c)] = commune(c)
    for w in range(max(1, communes // 5)):
        workplace = f"{PROVINCE}-W{w + 1:04d}"
        built.found(workplace, f"Cơ quan {w + 1}", UnitKind.WORKPLACE_COMMITTEE, PROVINCE)
        built.workplaces.append(workplace)
    return built


def reminder_today(office: LiaisonOffice, on: date) -> date:
    """The latest referral date whose receipt reminder falls due exactly on `on`."""
    rules = office.policy(on, commune(0)).deadlines
    for back in range(120):
        referred = on - timedelta(days=back)
        due = after_days(referred, rules.receipt_days, rules.counting)
        if max(referred, due - timedelta(days=rules.reminder_lead_days)) == on:
            return referred
    msg = f"no referral date puts a receipt reminder on {on}"
    raise RuntimeError(msg)


def load(office: LiaisonOffice, members: int, communes: int, due_today: bool) -> list[UUID]:
    """Write the tree and `members` members referred on one day; return their open liaisons.

    With `due_today` every receipt reminder falls due today; otherwise they were referred
    yesterday and nothing falls due for weeks (the workflows sleep on a timer).
    """
    built = tree(communes)
    writer = BulkWriter(office)
    write_tree(office, built, writer)
    on = today()
    referred = reminder_today(office, on) if due_today else on - timedelta(days=1)
    records = [
        MemberRecord(
            row=i + 2,
            name=f"Đảng viên {i + 1}",
            birth_date=date(1970, 1, 1) + timedelta(days=i % 9000),
            party_card_number=f"8{i:09d}",
            workplace_unit_id=built.workplaces[i % len(built.workplaces)],
            registered_on=referred - timedelta(days=30),
            commune_id=commune(i % communes),
            cell_id=cell(i % communes),
            referred_on=referred,
        )
        for i in range(members)
    ]
    digest = hashlib.sha256(f"{members}/{communes}/{referred}".encode()).hexdigest()
    source = Source(f"bench {members} referred {referred}", digest)
    processes = 0 if members < 5000 else None  # a pool of builders only pays off when large
    report = import_records(
        office, records, source, IMPORTER, today(), writer=writer, processes=processes
    )
    if report.problems:
        msg = f"synthetic import refused: {report.problems[0]}"
        raise RuntimeError(msg)
    return open_liaisons(office)


@dataclass
class Child:
    """A child process and the file its standard error goes to."""

    popen: subprocess.Popen[bytes]
    log: Path

    def check(self, what: str) -> None:
        """Raise with the child's last words if it has exited."""
        if self.popen.poll() is not None:
            err = self.log.read_text(errors="replace")[-2000:]
            msg = f"{what} exited with {self.popen.returncode}: {err}"
            raise RuntimeError(msg)


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[Child]:
    """A child process of this interpreter's venv, stopped (SIGTERM, then SIGKILL) afterwards."""
    bin_dir = str(Path(sys.executable).parent)
    full_env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", **(env or {})}
    with tempfile.TemporaryDirectory(prefix="bench-child-") as folder:
        log = Path(folder) / "stderr.txt"
        with log.open("wb") as err:
            popen = subprocess.Popen(args, env=full_env, stdout=subprocess.DEVNULL, stderr=err)
        child = Child(popen, log)
        try:
            yield child
        finally:
            if popen.poll() is None:
                popen.terminate()
                try:
                    popen.wait(10)
                except subprocess.TimeoutExpired:
                    popen.kill()
                    popen.wait()


def wait_for(check: object, what: str, seconds: float = 30.0) -> None:
    """Poll `check()` (a callable returning bool) until true or raise after `seconds`."""
    assert callable(check)
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            msg = f"{what}: not ready after {seconds:.0f} s"
            raise TimeoutError(msg)
        time.sleep(0.05)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether something accepts connections on that loopback port."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def dev_server(db_file: Path | None = None) -> Iterator[tuple[Child, str]]:
    """The Temporal dev server (no UI) as a child process; its address.

    In memory, unless given a SQLite file: then in WAL mode, as `liaison up` runs it."""
    temporal = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    port = free_port()
    args = [temporal, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    args += ["--headless", "--log-level", "error"]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
        args += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    with process(args) as child:

        def up() -> bool:
            child.check("temporal dev server")
            return listening(port)

        wait_for(up, "temporal dev server")
        yield child, f"127.0.0.1:{port}"


async def polling(
    client: Client, queue: str, what: Child, seconds: float = 60.0, pollers: int = 1
) -> None:
    """Wait until that many workers poll the task queue for workflow tasks (`what` must stay
    alive)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    deadline = time.monotonic() + seconds
    while len((await client.workflow_service.describe_task_queue(request)).pollers) < pollers:
        what.check("worker")
        if time.monotonic() > deadline:
            msg = f"no worker polls {queue} after {seconds:.0f} s"
            raise TimeoutError(msg)
        await asyncio.sleep(0.1)
