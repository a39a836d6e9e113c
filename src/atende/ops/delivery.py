"""Sending queued notifications (e-mail through SMTP, webhooks with httpx, WhatsApp templates
through the messaging domain's Graph API connector and its HTTP session), with retries.

A notification is stored in the same transaction as the escalation that caused it, so a
crash between the two loses nothing; delivery runs later, here, and records failures in the
incident's timeline once it gives up."""

from __future__ import annotations

import aiohttp
import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atende.channels.whatsapp_cloud import WhatsAppCloudConnector
from atende.conversations.items import ProviderError
from atende.events.outbox import backoff
from atende.ops import whatsapp
from atende.ops.context import OpsContext
from atende.ops.email import SmtpConnector
from atende.ops.escalation_service import SYSTEM_ACTOR, new_entry
from atende.ops.models import Notification
from atende.ops.repository import OpsRepository
from atende.ops.timeline import EntryKind

BATCH = 20
MAX_ATTEMPTS = 8
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class DeliveryFailed(Exception):
    pass


class NotificationDelivery:
    def __init__(
        self,
        context: OpsContext,
        http: httpx.AsyncClient,
        whatsapp_connector: WhatsAppCloudConnector | None = None,
        whatsapp_http: aiohttp.ClientSession | None = None,
    ) -> None:
        """`whatsapp_http`: the messaging hub's session, which the connector sends with."""
        self.context = context
        self.email = SmtpConnector(context.settings)
        self.http = http
        self.whatsapp = whatsapp_connector
        self.whatsapp_http = whatsapp_http

    async def deliver_due(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Try every due notification once; returns how many were tried."""
        now = self.context.clock()
        async with sessions() as session:
            repo = OpsRepository(session)
            due = await repo.notifications_due(now, BATCH)
            for notification in due:
                notification.attempts += 1
                try:
                    await self._send(notification)
                except ProviderError as refused:
                    final = not refused.retryable
                    await self._failed(repo, notification, refused.message, final=final)
                except Exception as exc:
                    await self._failed(repo, notification, f"{exc.__class__.__name__}: {exc}")
                else:
                    notification.status = "sent"
                    notification.sent_at = self.context.clock()
            await session.commit()
        return len(due)

    async def _send(self, notification: Notification) -> None:
        if notification.channel == "email":
            await self.email.send(notification.recipient, notification.subject, notification.body)
            return
        if notification.channel == "whatsapp":
            if self.whatsapp is None or self.whatsapp_http is None:
                raise ProviderError(
                    "config", "canal WhatsApp indisponível neste nó", retryable=True
                )
            await whatsapp.send(
                self.whatsapp, self.whatsapp_http, notification.recipient, notification.body
            )
            return
        response = await self.http.post(
            notification.recipient,
            content=notification.body,
            headers={"Content-Type": "application/json", "User-Agent": "Atende"},
            timeout=WEBHOOK_TIMEOUT,
        )
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    async def _failed(
        self, repo: OpsRepository, notification: Notification, error: str, *, final: bool = False
    ) -> None:
        """Retried with backoff; recorded in the timeline once it gives up or the provider says
        trying again is useless (an invalid number, a template Meta does not know)."""
        notification.last_error = error
        now = self.context.clock()
        if not final and notification.attempts < MAX_ATTEMPTS:
            notification.next_attempt_at = now + backoff(notification.attempts)
            return
        notification.status = "failed"
        if notification.incident_id is None:
            return
        incident = await repo.incident_by_id(notification.incident_id)
        if incident is not None:
            data = {
                "notification_id": notification.id,
                "channel": notification.channel,
                "recipient": notification.recipient,
                "error": error,
            }
            repo.add(new_entry(incident, EntryKind.NOTIFICATION_FAILED, now, SYSTEM_ACTOR, data))
