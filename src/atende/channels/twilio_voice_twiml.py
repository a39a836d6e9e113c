"""TwiML for the IVR, the waiting room and the conference, built with the `twilio` package.

A flow's channel-neutral actions become verbs here: `Say` → <Say>, `Prompt` and `Ask` →
<Gather> (digits; the action URL is posted even on silence, which the flow hears as NoReply),
`Record` → <Record>, `Hangup` → <Hangup>."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from twilio.twiml import TwiML
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from atende.flows import actions as act

GATHER_TIMEOUT_SECONDS = 6
CONFERENCE_EVENTS = "start end join leave hold mute"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#09;",
    }
)


def twiml_text(response: TwiML) -> str:
    """The document `str(response)` gives, written straight from the verbs: the `twilio`
    package builds an ElementTree and serialises it, which cost more than the rest of an
    arriving call's reply (every webhook answers with one). Same rules as its `xml()`: sorted
    attributes, booleans in lower case, a nested string is the text before the first child
    verb or the tail of the one before it."""
    return XML_DECLARATION + _element(response)


def _element(verb: TwiML) -> str:
    text = json.dumps(verb.value) if isinstance(verb.value, dict) else verb.value
    children: list[list[str]] = []  # [element, tail]
    for child in verb.verbs:
        if not isinstance(child, str):
            children.append([_element(child), ""])
        elif children:
            children[-1][1] = child
        else:
            text = child
    attributes = "".join(f' {name}="{_attribute(verb.attrs[name])}"' for name in sorted(verb.attrs))
    if not text and not children:
        return f"<{verb.name}{attributes} />"
    inner = (text or "").translate(_TEXT_ESCAPES) + "".join(
        element + tail.translate(_TEXT_ESCAPES) for element, tail in children
    )
    return f"<{verb.name}{attributes}>{inner}</{verb.name}>"


def _attribute(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text.translate(_ATTRIBUTE_ESCAPES)


def language_code(language: str) -> str:
    """Twilio's <Say> wants "pt-BR" or "en-US"."""
    return "en-US" if language.lower().startswith("en") else "pt-BR"


def render_flow(
    response: VoiceResponse,
    actions: Iterable[act.Action],
    *,
    language: str,
    gather_url: str,
    record_url: str,
    recording_callback_url: str,
) -> VoiceResponse:
    """Append what the flow said and waited for; `Handoff` and `RequestCallback` are the
    caller's business (they need the database), not TwiML."""
    lang = language_code(language)
    for action in actions:
        if isinstance(action, act.Say):
            response.say(action.text, language=lang)
        elif isinstance(action, act.Prompt):
            digits = max(len(option.key) for option in action.options)
            _gather(response, gather_url, num_digits=digits).say(action.text, language=lang)
        elif isinstance(action, act.Ask):
            gather = _gather(response, gather_url, finish_on_key="#")
            gather.say(action.text, language=lang)
        elif isinstance(action, act.Record):
            response.say(action.text, language=lang)
            response.record(
                max_length=action.max_seconds,
                play_beep=True,
                action=record_url,
                method="POST",
                recording_status_callback=recording_callback_url,
                recording_status_callback_method="POST",
            )
        elif isinstance(action, act.Hangup):
            response.hangup()
    return response


def _gather(
    response: VoiceResponse, action_url: str, *, num_digits: int | None = None, **extra: str
) -> Gather:
    return response.gather(
        input="dtmf",
        action=action_url,
        method="POST",
        timeout=GATHER_TIMEOUT_SECONDS,
        num_digits=num_digits,
        action_on_empty_result=True,
        **extra,
    )


@dataclass(frozen=True)
class ConferenceJoin:
    """How one leg enters a contact's conference (named after the call's sid)."""

    name: str
    status_callback: str
    wait_url: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    record: bool = False
    recording_callback: str | None = None
    dial_action: str | None = None


def join_conference(response: VoiceResponse, join: ConferenceJoin) -> VoiceResponse:
    dial: Dial = (
        response.dial(action=join.dial_action, method="POST")
        if join.dial_action
        else (response.dial())
    )
    options: dict[str, object] = {
        "start_conference_on_enter": join.start_on_enter,
        "end_conference_on_exit": join.end_on_exit,
        "status_callback": join.status_callback,
        "status_callback_method": "POST",
        "status_callback_event": CONFERENCE_EVENTS,
        "beep": False,
    }
    if join.wait_url:
        options.update(wait_url=join.wait_url, wait_method="POST")
    if join.record and join.recording_callback:
        options.update(
            record="record-from-start",
            recording_status_callback=join.recording_callback,
            recording_status_callback_method="POST",
            recording_status_callback_event="in-progress completed",
        )
    dial.conference(join.name, **options)
    return response


def offer_callback(
    response: VoiceResponse, text: str, *, language: str, action_url: str
) -> VoiceResponse:
    """ "Press 1 to keep your place and be called back": a short <Gather> before the queue,
    since a conference's waiting room cannot listen for keys."""
    gather = _gather(response, action_url, num_digits=1)
    gather.say(text, language=language_code(language))
    return response


def waiting_room(
    texts: Iterable[str], *, language: str, music_url: str, music_loops: int = 1
) -> VoiceResponse:
    """What a conference's waitUrl answers: position and expected wait, then music; Twilio asks
    again when it ends, so the caller hears fresh figures every loop."""
    response = VoiceResponse()
    lang = language_code(language)
    for text in texts:
        response.say(text, language=lang)
    response.play(music_url, loop=music_loops)
    return response


def say_and_hang_up(text: str | None, *, language: str) -> VoiceResponse:
    response = VoiceResponse()
    if text:
        response.say(text, language=language_code(language))
    response.hangup()
    return response
