"""The demo's contact center, as data: the broker's queues, skills, channels and people.

Kept apart from the code that creates it so the same shape seeds the demo, the simulator's
scenarios and the browser tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from atende.messaging.routing import known_agent_first
from atende.voice.routing import transfer_filters

WORKSPACE_NAME = "Corretora Demo"
DEMO_PASSWORD = "atende-demo"
DEMO_DOMAIN = "corretora.example"

# (name, available) in the order an agent sees them in the status selector.
ACTIVITIES: tuple[tuple[str, bool], ...] = (
    ("Disponível", True),
    ("Pausa", False),
    ("Almoço", False),
    ("Treinamento", False),
    ("Ausente", False),
    ("Offline", False),
)
DEFAULT_ACTIVITY = "Offline"
TIMEOUT_ACTIVITY = "Ausente"

# (unique_name, friendly_name, capacity per agent)
CHANNELS: tuple[tuple[str, str, int], ...] = (
    ("voice", "Voz", 1),
    ("whatsapp", "WhatsApp", 3),
    ("webchat", "Chat do site", 3),
    ("sms", "SMS", 3),
)


@dataclass(frozen=True)
class Queue:
    key: str
    name: str
    target_workers: str


QUEUES: tuple[Queue, ...] = (
    Queue("auto", "Vendas Auto", "skills HAS 'auto'"),
    Queue("residencial", "Vendas Residencial", "skills HAS 'residencial'"),
    Queue("vida", "Vendas Vida", "skills HAS 'vida'"),
    Queue("relacionamento", "Relacionamento", "skills HAS 'relacionamento'"),
    Queue("cancelamento", "Cancelamento e retenção", "skills HAS 'retencao'"),
    Queue("reclamacao", "Reclamações", "skills HAS 'ouvidoria'"),
)

# What the IVR or bot collected (`motivo`) decides the queue; sales fall back to relationship.
ROUTES: tuple[tuple[str, str, str | None], ...] = (
    ("motivo == 'cotacao_auto'", "auto", "relacionamento"),
    ("motivo == 'cotacao_residencial'", "residencial", "relacionamento"),
    ("motivo == 'cotacao_vida'", "vida", "relacionamento"),
    ("motivo == 'cancelamento'", "cancelamento", None),
    ("motivo == 'reclamacao'", "reclamacao", None),
    ("motivo IN ['apolice', 'renovacao', 'sinistro']", "relacionamento", None),
)


EVERYONE = Queue("todos", "Todos os agentes", "1==1")
"""Where transfers to a named agent and returning customers' own agents are reached."""
ALL_QUEUES = (*QUEUES, EVERYONE)


def workflow_configuration(queue_sids: dict[str, str]) -> str:
    """TaskRouter workflow JSON: transfers first; then per motive, the customer's previous agent
    (if any) for two minutes, the specialists for a minute, then the fallback queue."""
    everyone = queue_sids[EVERYONE.key]
    by_name = {queue.name: queue_sids[queue.key] for queue in QUEUES}
    filters = transfer_filters(by_name, everyone)
    for expression, primary, fallback in ROUTES:
        targets: list[dict[str, object]] = [
            known_agent_first(everyone),
            {"queue": queue_sids[primary]},
        ]
        if fallback is not None:
            targets[-1]["timeout"] = 60
            targets.append({"queue": queue_sids[fallback]})
        filters.append(
            {
                "filter_friendly_name": f"{primary}: {expression}",
                "expression": expression,
                "targets": targets,
            }
        )
    return json.dumps(
        {
            "task_routing": {
                "filters": filters,
                "default_filter": {"queue": queue_sids["relacionamento"]},
            }
        }
    )


@dataclass(frozen=True)
class Agent:
    name: str
    email_user: str
    skills: tuple[str, ...]
    team: str
    languages: tuple[str, ...] = ("pt",)
    simulated: bool = True
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"{self.email_user}@{DEMO_DOMAIN}"

    def attributes(self) -> str:
        return json.dumps(
            {
                "skills": list(self.skills),
                "languages": list(self.languages),
                "team": self.team,
                "contact_uri": f"client:{self.email_user}",
                "email": self.email,
            }
        )


AGENTS: tuple[Agent, ...] = (
    Agent("Ana Souza", "ana", ("auto", "relacionamento"), "Vendas", simulated=False),
    Agent("Bruno Lima", "bruno", ("auto", "residencial"), "Vendas"),
    Agent("Carla Mendes", "carla", ("vida", "residencial"), "Vendas"),
    Agent("Diego Rocha", "diego", ("auto",), "Vendas", ("pt", "es")),
    Agent("Elisa Prado", "elisa", ("relacionamento", "retencao"), "Relacionamento"),
    Agent("Fábio Nunes", "fabio", ("relacionamento",), "Relacionamento"),
    Agent("Gabriela Costa", "gabriela", ("relacionamento", "ouvidoria"), "Relacionamento"),
    Agent("Heitor Alves", "heitor", ("retencao", "relacionamento"), "Retenção"),
    Agent("Isabela Ramos", "isabela", ("ouvidoria",), "Ouvidoria"),
    Agent("João Pereira", "joao", ("vida", "auto", "relacionamento"), "Vendas", ("pt", "en")),
)

# (role, e-mail user) of the people who sign in to look around.
STAFF: tuple[tuple[str, str], ...] = (("supervisor", "supervisora"), ("admin", "admin"))

# How the simulated customers ask for things: (motivo, channel, weight).
DEMAND: tuple[tuple[str, str, int], ...] = (
    ("cotacao_auto", "voice", 6),
    ("cotacao_auto", "whatsapp", 8),
    ("cotacao_residencial", "whatsapp", 3),
    ("cotacao_vida", "voice", 2),
    ("apolice", "whatsapp", 5),
    ("renovacao", "voice", 3),
    ("sinistro", "voice", 3),
    ("cancelamento", "voice", 2),
    ("reclamacao", "whatsapp", 1),
)
