"""What a fresh installation offers before an administrator changes anything: the company's
usual wrap-up codes and a few ready-made replies in pt-BR."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atende.desk.models import CannedResponse, Disposition
from atende.desk.repository import DeskRepository

DISPOSITIONS: tuple[tuple[str, str], ...] = (
    ("venda_realizada", "Venda realizada"),
    ("cotacao_enviada", "Cotação enviada"),
    ("sem_interesse", "Sem interesse"),
    ("retornar_depois", "Retornar depois"),
)

CANNED_RESPONSES: tuple[tuple[str, str], ...] = (
    ("Saudação", "Olá, {cliente}! Sou {agente}, da corretora. Como posso ajudar?"),
    ("Protocolo", "O número de protocolo do seu atendimento é {protocolo}."),
    ("Um momento", "Um momento, por favor: estou verificando as informações."),
    ("Encerramento", "Posso ajudar em algo mais? Obrigado pelo contato!"),
)


async def ensure_defaults(session: AsyncSession) -> None:
    """Only into empty tables: codes are deactivated, never deleted, so an empty table means
    nobody has configured anything yet."""
    repository = DeskRepository(session)
    if not await repository.dispositions(include_inactive=True):
        for position, (code, label) in enumerate(DISPOSITIONS):
            repository.add(Disposition(code=code, label=label, position=position))
    if not await repository.canned_responses(include_inactive=True):
        for position, (title, body) in enumerate(CANNED_RESPONSES):
            repository.add(CannedResponse(title=title, body=body, position=position))
