"""What every voice use case needs within one transaction: the session, the repository, the
routing port, URLs, policy and a Twilio REST client per channel."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from atende.channels.twilio_voice_rest import RestRequest, TwilioVoiceRest, enqueue
from atende.runtime import Runtime
from atende.voice.config import VoiceConfig
from atende.voice.models import Call, VoiceChannel
from atende.voice.repository import VoiceRepository
from atende.voice.routing import Routing
from atende.voice.urls import VoiceUrls

LEG_REPLY = "voice.leg"
"""Outbox replies to requests that create a call, handled by `atende.voice.legs`."""


class ChannelMissing(LookupError):
    """A call whose channel was deleted: nothing can be sent for it."""


class VoiceContext:
    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.repo = VoiceRepository(session)
        self.config: VoiceConfig = runtime.services["voice.config"]
        self.urls = VoiceUrls(runtime.settings.public_url)
        self.routing: Routing = runtime.services["voice.routing"](session, runtime)
        self._channels: dict[str, VoiceChannel] = {}

    async def channel_of(self, call: Call) -> VoiceChannel:
        channel = self._channels.get(call.channel_sid)
        if channel is None:
            channel = await self.repo.channel(call.channel_sid)
            if channel is None:
                raise ChannelMissing(call.channel_sid)
            self._channels[call.channel_sid] = channel
        return channel

    def rest(self, channel: VoiceChannel) -> TwilioVoiceRest:
        base = channel.api_base or self.runtime.settings.twilio_api_base
        return TwilioVoiceRest(channel.account_sid, channel.auth_token, base)

    async def send(
        self,
        call: Call,
        build: Callable[[TwilioVoiceRest], RestRequest],
        kind: str,
        reply_to: str | None = None,
    ) -> RestRequest:
        """Queue one Twilio REST request for this call's channel; `build` gets the client."""
        request = build(self.rest(await self.channel_of(call)))
        if reply_to is None and request.creates_leg:
            reply_to = LEG_REPLY
        enqueue(self.session, request, f"twilio.{kind}", reply_to)
        return request
