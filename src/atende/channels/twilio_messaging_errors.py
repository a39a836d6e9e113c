"""Twilio messaging error codes in words an agent understands (pt-BR)."""

from __future__ import annotations

_WORDS = {
    "11751": (
        "As mídias passam do limite de tamanho da Twilio: 5 MB por MMS, 16 MB por WhatsApp "
        "(imagens, 5 MB)."
    ),
    "20003": "As credenciais da Twilio não foram aceitas; avise o administrador.",
    "20429": "Muitas requisições à Twilio; a mensagem será reenviada.",
    "21211": "O número do cliente não é válido.",
    "21408": "Envio para esta região não está habilitado na Twilio.",
    "21610": "O cliente pediu para não receber mensagens (respondeu STOP).",
    "21614": "O número do cliente não recebe SMS.",
    "21617": "O texto ficou longo demais.",
    "21623": "Mídias demais na mensagem: a Twilio envia até 10 por MMS e 1 por WhatsApp.",
    "30003": "O aparelho do cliente está inacessível.",
    "30005": "O número do cliente não existe.",
    "30006": "A operadora não entrega neste número.",
    "30007": "A mensagem foi bloqueada pela operadora como possível spam.",
    "30008": "Erro desconhecido na entrega.",
    "63003": "O número do cliente não está no WhatsApp.",
    "63016": (
        "Passaram-se mais de 24 horas desde a última mensagem do cliente: "
        "só é possível enviar um modelo aprovado."
    ),
    "63018": "Limite de envios do WhatsApp atingido; a mensagem será reenviada.",
    "63024": "O destinatário não é válido no WhatsApp.",
    "63027": "O modelo não confere com o aprovado.",
    "network": "Sem resposta da Twilio; a mensagem será reenviada.",
}


def describe(code: str | None, details: str = "") -> str:
    words = _WORDS.get(code or "", "A Twilio recusou a mensagem.")
    return f"{words} ({code}: {details})" if details else f"{words} ({code})"
