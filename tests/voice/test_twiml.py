"""The TwiML Twilio receives is the document the `twilio` package would write for the same verbs,
whatever the flow says (accents, markup characters, quotes and line breaks included)."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import VoiceResponse

from atende.channels.twilio_voice_twiml import (
    ConferenceJoin,
    join_conference,
    offer_callback,
    render_flow,
    say_and_hang_up,
    twiml_text,
    waiting_room,
)
from atende.flows import actions as act

TRICKY = 'Olá & bem-vindo à <Corretora> "Segura"\nprotocolo\t42'
URL = "https://atende.example/webhooks/twilio/voice/gather?call=VC1&step=2"


def _flow(text: str) -> VoiceResponse:
    options = (act.PromptOption("1", "auto", "Auto"), act.PromptOption("22", "vida", "Vida"))
    return render_flow(
        VoiceResponse(),
        [
            act.Say(text),
            act.Prompt(text, options),
            act.Ask(text, "cpf", "digits", 11),
            act.Record(text, 120),
            act.Hangup(),
        ],
        language="pt-BR",
        gather_url=URL,
        record_url=URL + "&kind=record",
        recording_callback_url=URL + '&note="a\tb"',
    )


def _conference(record: bool) -> VoiceResponse:
    response = offer_callback(VoiceResponse(), TRICKY, language="en", action_url=URL)
    return join_conference(
        response,
        ConferenceJoin(
            name="VC123",
            status_callback=URL,
            wait_url=URL if record else None,
            start_on_enter=not record,
            end_on_exit=record,
            record=record,
            recording_callback=URL,
            dial_action=URL if record else None,
        ),
    )


def _nested_strings() -> VoiceResponse:
    response = VoiceResponse()
    say = response.say(language="pt-BR")
    say.append("antes <")
    say.break_(time="1s")
    say.append("depois & fim")
    say.emphasis("ênfase", level="strong")
    response.pause(length=2)
    return response


@pytest.mark.parametrize(
    "response",
    [
        _flow(TRICKY),
        _flow("Seu protocolo é 2026112500001."),
        _conference(record=False),
        _conference(record=True),
        waiting_room([TRICKY, "Aguarde."], language="pt-BR", music_url=URL, music_loops=3),
        say_and_hang_up(TRICKY, language="pt-BR"),
        say_and_hang_up(None, language="en"),
        VoiceResponse(),
        _nested_strings(),
    ],
)
def test_twiml_text_is_the_twilio_packages_document(response: VoiceResponse) -> None:
    assert twiml_text(response) == str(response)
