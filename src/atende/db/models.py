"""Imports every domain's models so the shared metadata is complete for Alembic and tests."""

from atende.auth import models as auth_models
from atende.conversations import models as conversation_models
from atende.conversations import protocol_models
from atende.db.base import Base
from atende.desk import models as desk_models
from atende.events import models as event_models
from atende.messaging import models as messaging_models
from atende.ops import models as ops_models
from atende.taskrouter import models as taskrouter_models
from atende.taskrouter import nodes as taskrouter_nodes
from atende.voice import models as voice_models

__all__ = [
    "auth_models",
    "conversation_models",
    "desk_models",
    "event_models",
    "messaging_models",
    "metadata",
    "ops_models",
    "protocol_models",
    "taskrouter_models",
    "taskrouter_nodes",
    "voice_models",
]

metadata = Base.metadata
