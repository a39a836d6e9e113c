"""Voice settings that are policy rather than plumbing, read from `ATENDE_VOICE_*` variables.

- `ATENDE_VOICE_SHORT_ABANDON_SECONDS` (10): a caller who hangs up sooner after entering the queue
  is a short abandon, reported apart (a wrong number, not a service failure).
- `ATENDE_VOICE_RECORDING_RETENTION_DAYS` (90; never less, the SAC decree's minimum).
- `ATENDE_VOICE_DISPOSITIONS`: comma-separated wrap-up codes agents choose from.
- `ATENDE_VOICE_HOLD_MUSIC_URL`: what callers hear while they wait or are on hold.
- `ATENDE_VOICE_AVERAGE_HANDLE_SECONDS` (240): used for the expected wait until there is history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MINIMUM_RETENTION_DAYS = 90
DEFAULT_DISPOSITIONS = (
    "venda_realizada",
    "cotacao_enviada",
    "duvida_resolvida",
    "sinistro_orientado",
    "cancelamento_efetivado",
    "cliente_retido",
    "reclamacao_registrada",
    "retorno_agendado",
    "sem_contato",
)
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class VoiceConfig:
    short_abandon_seconds: int = 10
    recording_retention_days: int = MINIMUM_RETENTION_DAYS
    dispositions: tuple[str, ...] = DEFAULT_DISPOSITIONS
    hold_music_url: str = DEFAULT_HOLD_MUSIC
    average_handle_seconds: int = 240

    def __post_init__(self) -> None:
        if self.recording_retention_days < MINIMUM_RETENTION_DAYS:
            raise ValueError(
                f"recordings must be kept at least {MINIMUM_RETENTION_DAYS} days (SAC decree)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VoiceConfig:
        env = os.environ if environ is None else environ

        def number(name: str, default: int) -> int:
            value = env.get(f"ATENDE_VOICE_{name}", "").strip()
            return int(value) if value else default

        codes = tuple(
            code.strip() for code in env.get("ATENDE_VOICE_DISPOSITIONS", "").split(",") if code
        )
        return cls(
            short_abandon_seconds=number("SHORT_ABANDON_SECONDS", 10),
            recording_retention_days=number("RECORDING_RETENTION_DAYS", MINIMUM_RETENTION_DAYS),
            dispositions=codes or DEFAULT_DISPOSITIONS,
            hold_music_url=env.get("ATENDE_VOICE_HOLD_MUSIC_URL", "").strip() or DEFAULT_HOLD_MUSIC,
            average_handle_seconds=number("AVERAGE_HANDLE_SECONDS", 240),
        )
