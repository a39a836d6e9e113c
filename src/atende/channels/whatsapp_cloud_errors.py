"""Graph API error codes in words an agent understands (pt-BR), and which ones mean "wait".

The agent sees why a message did not go, not a number; the provider's own detail is kept
beside it for whoever investigates."""

from __future__ import annotations

# Throughput (per number), pair rate (one customer) and account-wide rate limits.
THROTTLING_CODES = frozenset({"130429", "131056", "80007", "4", "613"})

_WORDS = {
    "0": "O token de acesso do WhatsApp não é válido; avise o administrador.",
    "190": "O token de acesso do WhatsApp expirou; avise o administrador.",
    "10": "O aplicativo não tem permissão para enviar mensagens por este número.",
    "100": "O WhatsApp recusou um parâmetro da mensagem.",
    "4": "Limite de chamadas do aplicativo atingido; a mensagem será reenviada.",
    "613": "Limite de chamadas atingido; a mensagem será reenviada.",
    "80007": "Limite de envios da conta do WhatsApp atingido; a mensagem será reenviada.",
    "130429": "Limite de envios por segundo do número atingido; a mensagem será reenviada.",
    "131056": "Muitas mensagens seguidas para este cliente; a mensagem será reenviada.",
    "131000": "O WhatsApp teve um erro desconhecido ao enviar.",
    "131005": "Acesso negado pelo WhatsApp para este envio.",
    "131008": "Falta um parâmetro obrigatório na mensagem.",
    "131009": "Um valor da mensagem não é aceito pelo WhatsApp.",
    "131016": "O WhatsApp está temporariamente indisponível; a mensagem será reenviada.",
    "131021": "O destinatário é o próprio número da empresa.",
    "131026": "Não foi possível entregar: o número pode não ter WhatsApp ou usar versão antiga.",
    "131031": "A conta do WhatsApp da empresa está bloqueada.",
    "131042": "Há um problema de pagamento na conta do WhatsApp.",
    "131045": "O número da empresa não está registrado no WhatsApp.",
    "131047": (
        "Passaram-se mais de 24 horas desde a última mensagem do cliente: "
        "só é possível enviar um modelo aprovado."
    ),
    "131049": "O WhatsApp não entregou esta mensagem de marketing para preservar o engajamento.",
    "131051": "Tipo de mensagem não suportado.",
    "131052": "Não foi possível baixar a mídia enviada pelo cliente.",
    "131053": "Não foi possível enviar a mídia: formato ou tamanho não aceito.",
    "131062": "Este tipo de mensagem não vai a clientes identificados só pelo usuário.",
    "132000": "O número de variáveis não confere com o modelo aprovado.",
    "132001": "O modelo não existe neste idioma ou ainda não foi aprovado.",
    "132005": "O texto do modelo, com as variáveis, ficou longo demais.",
    "132007": "O conteúdo viola a política de modelos do WhatsApp.",
    "132012": "As variáveis do modelo estão no formato errado.",
    "132015": "O modelo está pausado por baixa qualidade.",
    "132016": "O modelo foi desativado por baixa qualidade.",
    "133010": "O número da empresa não está registrado no WhatsApp.",
    "135000": "Erro genérico do WhatsApp com os parâmetros enviados.",
    "470": (
        "Passaram-se mais de 24 horas desde a última mensagem do cliente: "
        "só é possível enviar um modelo aprovado."
    ),
    "network": "Sem resposta do WhatsApp; a mensagem será reenviada.",
}


def describe(code: str, details: str = "") -> str:
    """The agent-facing sentence, with the provider's own detail when it adds something."""
    words = _WORDS.get(code, "O WhatsApp recusou a mensagem.")
    return f"{words} ({code}: {details})" if details else f"{words} ({code})"
