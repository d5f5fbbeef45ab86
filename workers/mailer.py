"""The mail relay: sends the outbox's notifications by SMTP, retrying each until it is delivered.

Delivery is at least once: a crash between sending and marking sent sends that mail again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
from email.message import EmailMessage

from api.messages import render
from workers.settings import Settings
from workflows.outbox import Notification, Outbox

log = logging.getLogger(__name__)


def _send(settings: Settings, notification: Notification) -> None:
    assert settings.smtp_host is not None
    # One recipient, the board's: the mail speaks the language the installation is set to.
    title, body = (render(m, settings.language) for m in notification.messages())
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = settings.smtp_recipient or settings.smtp_sender
    message["Subject"] = f"[Liaison] {title}"
    message["Message-ID"] = f"<{notification.id}@liaison>"
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)


async def relay_once(settings: Settings, outbox: Outbox) -> int:
    """Try every unsent notification once; return how many were delivered."""
    delivered = 0
    for notification in await outbox.unsent():
        try:
            await asyncio.to_thread(_send, settings, notification)
        except (OSError, smtplib.SMTPException) as error:
            await outbox.mark_sent(notification.id, error=repr(error))
            log.warning("Mail %s not delivered yet: %r", notification.id, error)
            continue
        await outbox.mark_sent(notification.id)
        delivered += 1
    return delivered


async def relay(
    settings: Settings, outbox: Outbox, stop: asyncio.Event, every: float = 5.0
) -> None:
    """Relay until stopped, backing off while the SMTP server refuses."""
    delay = every
    while not stop.is_set():
        try:
            await relay_once(settings, outbox)
            delay = every if not await outbox.unsent(1) else min(delay * 2, 300.0)
        except Exception:  # the database may be restarting; the next round tries again
            log.exception("Mail relay round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
