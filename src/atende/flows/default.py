"""The company's default flow, for voice and for chat, as a flow document.

It follows the SAC decree: the protocol number is the first thing the contact hears or reads; the
first menu offers complaint (7) and cancellation (6) and a person (0); nothing asks for a CPF.
Out of hours it offers a callback or a message. A deployment replaces it by storing its own
document on the channel; this one is what a fresh install and the demo run.

The menu's choice is stored as `motivo` (cotacao_auto, cotacao_residencial, cotacao_vida,
apolice, sinistro, cancelamento, reclamacao, atendente): the attribute the demo workflow routes
on."""

from __future__ import annotations

from typing import Any, Literal

from atende.flows.loader import load_flow
from atende.flows.model import Flow

Channel = Literal["voice", "chat"]

_OPTIONS: list[dict[str, Any]] = [
    {
        "key": "1",
        "value": "cotacao_auto",
        "label": {"pt-BR": "Seguro auto", "en": "Car insurance"},
    },
    {
        "key": "2",
        "value": "cotacao_residencial",
        "label": {"pt-BR": "Seguro residencial", "en": "Home insurance"},
    },
    {
        "key": "3",
        "value": "cotacao_vida",
        "label": {"pt-BR": "Seguro de vida", "en": "Life insurance"},
    },
    {
        "key": "4",
        "value": "apolice",
        "label": {"pt-BR": "Minha apólice e renovação", "en": "My policy and renewal"},
    },
    {
        "key": "5",
        "value": "sinistro",
        "label": {"pt-BR": "Sinistro", "en": "Claims"},
    },
    {
        "key": "6",
        "value": "cancelamento",
        "intent": "cancellation",
        "label": {"pt-BR": "Cancelamento", "en": "Cancellation"},
    },
    {
        "key": "7",
        "value": "reclamacao",
        "intent": "complaint",
        "label": {"pt-BR": "Reclamação", "en": "Complaint"},
    },
    {
        "key": "0",
        "value": "atendente",
        "intent": "agent",
        "label": {"pt-BR": "Falar com um atendente", "en": "Talk to a person"},
    },
]

_VOICE_MENU = {
    "pt-BR": (
        "Para contratar seguro auto, digite 1. Seguro residencial, 2. Seguro de vida, 3. "
        "Sua apólice ou renovação, 4. Sinistro, 5. Cancelamento, 6. Reclamação, 7. "
        "Para falar com um atendente, digite 0."
    ),
    "en": (
        "For car insurance, press 1. Home insurance, 2. Life insurance, 3. "
        "Your policy or renewal, 4. Claims, 5. Cancellation, 6. Complaints, 7. "
        "To talk to a person, press 0."
    ),
}
_CHAT_MENU = {
    "pt-BR": "Como podemos ajudar? Escolha uma opção.",
    "en": "How can we help? Choose an option.",
}


def default_flow(channel: Channel = "voice", crm_lookup_url: str | None = None) -> dict[str, Any]:
    """The default flow document; with `crm_lookup_url` (e.g. "https://crm/clientes?tel={from}")
    the caller is looked up before the menu and the answer stored as `crm`."""
    voice = channel == "voice"
    after_hours_check = "consulta_crm" if crm_lookup_url else "menu_principal"
    nodes: dict[str, Any] = {
        "saudacao": {
            "type": "say",
            "text": {
                "pt-BR": "Olá! Seu número de protocolo é {protocol_digits}."
                if voice
                else "Olá! Seu número de protocolo é {protocol}.",
                "en": "Hello! Your protocol number is {protocol_digits}."
                if voice
                else "Hello! Your protocol number is {protocol}.",
            },
            "next": "aviso_gravacao" if voice else "horario",
        },
        "horario": {
            "type": "business_hours",
            "calendar": "atendimento",
            "open": after_hours_check,
            "closed": "fora_do_horario",
        },
        "menu_principal": {
            "type": "menu",
            "attribute": "motivo",
            "prompt": _VOICE_MENU if voice else _CHAT_MENU,
            "options": [{**option, "next": "fila"} for option in _OPTIONS],
            "retries": 2,
            "on_failure": "fila",
        },
        "fila": {
            "type": "handoff",
            "text": {
                "pt-BR": "Aguarde, você será atendido em instantes.",
                "en": "Please hold, someone will be with you shortly.",
            },
        },
        "fora_do_horario": {
            "type": "say",
            "text": {
                "pt-BR": "Nosso atendimento funciona de segunda a sábado, das 8 às 20 horas, "
                "exceto feriados.",
                "en": "We are open Monday to Saturday, 8 am to 8 pm, except on public holidays.",
            },
            "next": "oferta_retorno",
        },
        "oferta_retorno": {
            "type": "menu",
            "attribute": "after_hours_choice",
            "prompt": {
                "pt-BR": "Para receber nossa ligação no próximo horário de atendimento, digite 1. "
                "Para deixar um recado, digite 2."
                if voice
                else "Quer que a gente entre em contato no próximo horário de atendimento, "
                "ou prefere deixar um recado?",
                "en": "To get a call back when we open, press 1. To leave a message, press 2."
                if voice
                else "Would you like us to contact you when we open, or leave a message?",
            },
            "options": [
                {
                    "key": "1",
                    "value": "retorno",
                    "label": {"pt-BR": "Quero retorno", "en": "Call me back"},
                    "next": "retorno",
                },
                {
                    "key": "2",
                    "value": "recado",
                    "label": {"pt-BR": "Deixar recado", "en": "Leave a message"},
                    "next": "recado",
                },
            ],
            "retries": 1,
            "on_failure": "recado",
        },
        "retorno": {
            "type": "callback",
            "text": {
                "pt-BR": "Combinado. Entraremos em contato assim que abrirmos.",
                "en": "Done. We will contact you as soon as we open.",
            },
            "next": "despedida",
        },
        "recado": {
            "type": "voicemail",
            "prompt": {
                "pt-BR": "Deixe seu recado após o sinal. Para terminar, desligue."
                if voice
                else "Escreva seu recado e responderemos assim que abrirmos.",
                "en": "Leave your message after the tone, then hang up."
                if voice
                else "Write your message and we will answer when we open.",
            },
            "max_seconds": 120,
            "next": "despedida",
        },
        "despedida": {
            "type": "hangup",
            "text": {"pt-BR": "Obrigado pelo contato. Até logo!", "en": "Thank you. Goodbye!"},
        },
    }
    if voice:
        nodes["aviso_gravacao"] = {
            "type": "say",
            "text": {
                "pt-BR": "Esta ligação é gravada para sua segurança.",
                "en": "This call is recorded for your security.",
            },
            "next": "horario",
        }
    if crm_lookup_url:
        nodes["consulta_crm"] = {
            "type": "http_lookup",
            "url": crm_lookup_url,
            "attribute": "crm",
            "timeout": 2.0,
            "fallback": {},
            "next": "menu_principal",
        }
    return {"name": f"atendimento-{channel}", "start": "saudacao", "nodes": nodes}


def load_default_flow(channel: Channel = "voice", crm_lookup_url: str | None = None) -> Flow:
    return load_flow(default_flow(channel, crm_lookup_url))
