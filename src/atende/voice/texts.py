"""What callers hear outside the configurable flow, pt-BR first."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "callback_offer": {
        "pt-BR": "Para não esperar na linha, digite 1: guardamos seu lugar na fila e ligamos "
        "para você assim que um atendente estiver livre.",
        "en": "To avoid waiting on the line, press 1: we keep your place in the queue and call "
        "you back as soon as an agent is free.",
    },
    "callback_confirmed": {
        "pt-BR": "Combinado! Seu lugar na fila está guardado e ligaremos para você em breve. "
        "Até logo!",
        "en": "Done! Your place in the queue is kept and we will call you back soon. Goodbye!",
    },
    "position": {
        "pt-BR": "Você é o {position}º da fila. O tempo estimado de espera é de {minutes} "
        "minuto(s).",
        "en": "You are number {position} in the queue. The expected wait is {minutes} minute(s).",
    },
    "connecting": {
        "pt-BR": "Estamos transferindo sua ligação para um atendente.",
        "en": "We are connecting you to an agent.",
    },
    "no_route": {
        "pt-BR": "Desculpe, não foi possível encaminhar sua ligação agora. Tente mais tarde.",
        "en": "Sorry, we cannot take your call right now. Please try again later.",
    },
    "no_agent": {
        "pt-BR": "Desculpe, nenhum atendente pôde atender agora. Tente novamente mais tarde.",
        "en": "Sorry, no agent could take your call. Please try again later.",
    },
    "agent_callback": {
        "pt-BR": "Retorno de ligação. Conectando ao cliente.",
        "en": "Callback. Connecting you to the customer.",
    },
}


def text(key: str, language: str, **values: Any) -> str:
    options = TEXTS[key]
    template = options["en"] if language.lower().startswith("en") else options["pt-BR"]
    return template.format(**values)
