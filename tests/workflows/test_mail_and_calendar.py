"""Mail relay against a real local SMTP server (aiosmtpd), and the holiday calendar's arithmetic."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from psycopg_pool import AsyncConnectionPool

from domain.calendar import add_working_days, holidays, is_working_day, tet
from domain.deadlines import DeadlineKind
from domain.escalation import Step
from domain.messages import UnitRef, encode
from workers.mailer import relay_once
from workers.settings import Settings
from workflows.outbox import InMemoryOutbox, Notification, Outbox, PostgresOutbox


class Inbox:
    """Keeps every message the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """A real SMTP server on the port while the block runs; its inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _notice(due: date) -> Notification:
    """An escalation notice as the workflow's activity stores it: message ids and parameters."""
    params = encode(
        {
            "step": Step.ESCALATED,
            "deadline": DeadlineKind.RECEIPT,
            "member": "Nguyễn Văn An",
            "day": due,
            "unit": UnitRef("MAU-P1", "Phường 1"),
        }
    )
    return Notification(
        id=uuid4(),
        liaison_id=uuid4(),
        step=Step.ESCALATED,
        deadline_kind="receipt",
        subject="s",
        unit_id="P",
        due_on=due,
        effective_date=date(2027, 2, 11),
        title="{step}: {deadline} — {member} (due {day})",
        body="{step}: {deadline} for {member}, due {day}, to be done by {unit}.",
        params=params,
    )


@pytest.fixture(params=["memory", "postgres", "pooled"])
async def outbox(request: pytest.FixtureRequest) -> AsyncIterator[Outbox]:
    """The outbox in memory, in PostgreSQL through a connection per call (the board), and
    through a pool (the worker, whose relay marks what it sent)."""
    if request.param == "memory":
        yield InMemoryOutbox()
        return
    url = request.getfixturevalue("pg_url")
    async with AsyncConnectionPool(url, min_size=1, max_size=2, open=False) as pool:
        table = PostgresOutbox(url, pool if request.param == "pooled" else None)
        await table.create_table()
        yield table


async def test_mail_is_retried_until_delivered(tmp_path: Path, outbox: Outbox) -> None:
    """A notice is mailed once it can be, then marked sent: the next round mails nothing (the
    outbox in PostgreSQL could not mark it, and the relay mailed it again every round)."""
    port = _free_port()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, data_dir=tmp_path)
    notification = _notice(date(2027, 2, 4))
    await outbox.write(notification)
    assert await relay_once(settings, outbox) == 0  # no server yet: kept for the next round
    with smtp_server(port) as inbox:
        assert await relay_once(settings, outbox) == 1
        assert await relay_once(settings, outbox) == 0  # delivered once
    assert len(inbox.messages) == 1
    assert await outbox.unsent() == []
    assert f"<{notification.id}@liaison>".encode() in inbox.messages[0]


async def test_mail_speaks_the_configured_language(tmp_path: Path) -> None:
    port = _free_port()
    with smtp_server(port) as inbox:
        for language in ("vi", "en"):
            outbox = InMemoryOutbox()
            await outbox.write(_notice(date(2027, 2, 4)))
            settings = Settings(
                smtp_host="127.0.0.1", smtp_port=port, data_dir=tmp_path, language=language
            )
            assert await relay_once(settings, outbox) == 1
    vi, en = (message_from_bytes(m).get_payload(decode=True).decode() for m in inbox.messages)
    assert "hạn 04/02/2027, đơn vị thực hiện Phường 1 (MAU-P1)." in vi
    assert "due 4 Feb 2027, to be done by Phường 1 (MAU-P1)." in en
    assert "{" not in vi + en


def test_tet_days_and_their_make_up_days() -> None:
    assert tet(2027) == date(2027, 2, 6)
    off_2027 = {d for d in holidays(2027) if d.month == 2}
    # Eve (Fri 5), days 1-4 (Sat 6 - Tue 9), and make-up days for Sat/Sun (Wed 10, Thu 11).
    assert off_2027 == {date(2027, 2, d) for d in range(5, 12)}
    assert not is_working_day(date(2027, 2, 10))
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)


def test_calendar_follows_the_labour_codes() -> None:
    assert tet(2007) == date(2007, 2, 17)  # Vietnam's calendar, a day before China's
    # Four Tết days before 2013 (Sun 22 - Wed 25 Jan 2012), Thu 26 making up for the Sunday eve.
    assert {date(2012, 1, d) for d in range(22, 27)} <= holidays(2012)
    assert date(2012, 1, 27) not in holidays(2012)
    assert date(2013, 2, 13) in holidays(2013)  # five from 2013: eve + 4
    assert date(2006, 4, 7) not in holidays(2006)  # Hùng Kings' day is a holiday from 2007
    assert date(2025, 9, 1) in holidays(2025)  # two National days from 2021
    assert add_working_days(date(2050, 1, 3), 5) == date(
        2050, 1, 10
    )  # beyond the table: solar only


async def test_a_units_notices_of_one_day_go_as_one_digest(tmp_path: Path) -> None:
    """Three members fall due together at P: one mail lists the three; Q's notice goes alone."""
    port = _free_port()
    with smtp_server(port) as inbox:
        outbox = InMemoryOutbox()
        together = [_notice(date(2027, 2, 4)) for _ in range(3)]
        alone = _notice(date(2027, 2, 4)).model_copy(update={"unit_id": "Q"})
        for notice in (*together, alone):
            await outbox.write(notice)
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, data_dir=tmp_path)
        names = {"P": "Tỉnh ủy Quảng Ninh", "Q": "Đảng ủy Khối"}.get
        assert await relay_once(settings, outbox, names) == 4
        assert await relay_once(settings, outbox, names) == 0
    mails = sorted((message_from_bytes(m) for m in inbox.messages), key=lambda m: len(m.as_bytes()))
    assert len(mails) == 2
    digest = mails[1]
    subject = str(make_header(decode_header(digest["Subject"])))
    assert subject == "[Liaison] 3 thông báo gửi Tỉnh ủy Quảng Ninh (P) ngày 11/02/2027"
    text = digest.get_payload(decode=True).decode()
    assert text.count("Nguyễn Văn An") == 6  # each notice's title and body
