"""The SMTP connector: escalation and access e-mails leave through a configurable server."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from atende.ops.settings import OpsSettings

TIMEOUT_SECONDS = 15.0


class EmailNotConfigured(RuntimeError):
    """No SMTP host is set: e-mails wait (and are retried) until one is."""


class SmtpConnector:
    def __init__(self, settings: OpsSettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> None:
        if not self.settings.smtp_host:
            raise EmailNotConfigured("ATENDE_SMTP_HOST is not set")
        message = EmailMessage()
        message["From"] = self.settings.smtp_sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
