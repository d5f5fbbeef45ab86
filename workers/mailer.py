"""The mail relay: sends the outbox's notifications by SMTP, retrying each until it is delivered.

Notices to one unit on one day go as one digest: when many members fall due together, the unit
reads one mail listing them, not one mail per member. Delivery is at least once: a crash between
sending and marking sent sends that mail again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from itertools import groupby
from uuid import NAMESPACE_URL, uuid5

from api.messages import UnitNames, render
from domain.messages import Count, Message, UnitRef, gettext_noop
from workers.settings import Settings
from workflows.outbox import Notification, Outbox

log = logging.getLogger(__name__)


DAY_OF_MAIL = 2_000
"""The most notices read for one round: a day's notices of a unit go in one mail."""
DIGEST = gettext_noop("{rows} notices for {unit} on {day}")


def _send(settings: Settings, notices: Sequence[Notification], units: UnitNames | None) -> None:
    """One mail: a notice, or the digest of one unit's notices of one day."""
    assert settings.smtp_host is not None
    # One recipient, the board's: the mail speaks the language the installation is set to.
    texts = [[render(m, settings.language, units) for m in n.messages()] for n in notices]
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = settings.smtp_recipient or settings.smtp_sender
    if len(notices) == 1:
        [(subject, body)] = texts
        key = str(notices[0].id)
    else:
        first = notices[0]
        digest = Message(
            DIGEST, rows=Count(len(notices)), unit=UnitRef(first.unit_id), day=first.effective_date
        )
        subject = render(digest, settings.language, units)
        body = "\n\n".join(f"{title}\n{text}" for title, text in texts)
        key = str(uuid5(NAMESPACE_URL, ",".join(sorted(str(n.id) for n in notices))))
    message["Subject"] = f"[Liaison] {subject}"
    message["Message-ID"] = f"<{key}@liaison>"
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)


async def relay_once(settings: Settings, outbox: Outbox, units: UnitNames | None = None) -> int:
    """Try every unsent notification once, one mail per unit and day; return how many
    notifications were delivered (`units` names the units the mails speak of)."""
    delivered = 0
    day_of_unit = lambda n: (n.unit_id, n.effective_date)  # noqa: E731
    for _, group in groupby(
        sorted(await outbox.unsent(DAY_OF_MAIL), key=day_of_unit), key=day_of_unit
    ):
        notices = list(group)
        try:
            await asyncio.to_thread(_send, settings, notices, units)
        except (OSError, smtplib.SMTPException) as error:
            for notification in notices:
                await outbox.mark_sent(notification.id, error=repr(error))
            log.warning("Mail of %s notices not delivered yet: %r", len(notices), error)
            continue
        for notification in notices:
            await outbox.mark_sent(notification.id)
        delivered += len(notices)
    return delivered


async def relay(
    settings: Settings,
    outbox: Outbox,
    stop: asyncio.Event,
    every: float = 5.0,
    units: UnitNames | None = None,
) -> None:
    """Relay until stopped, backing off while the SMTP server refuses."""
    delay = every
    while not stop.is_set():
        try:
            await relay_once(settings, outbox, units)
            delay = every if not await outbox.unsent(1) else min(delay * 2, 300.0)
        except Exception:  # the database may be restarting; the next round tries again
            log.exception("Mail relay round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
