"""The kinds of timeline entries and how the stored timeline becomes the clocks' history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from atende.ops.history import (
    CalendarChanged,
    Closed,
    HistoryEvent,
    Opened,
    Paused,
    Reopened,
    Resolved,
    ResponseStarted,
    Restored,
    Resumed,
    SeverityChanged,
    TotalOutageChanged,
)
from atende.ops.severity import Severity


class EntryKind(StrEnum):
    OPENED = "opened"
    SEVERITY_CHANGED = "severity_changed"
    TOTAL_OUTAGE_CHANGED = "total_outage_changed"
    PAUSED = "paused"
    RESUMED = "resumed"
    RESPONSE_STARTED = "response_started"
    RESTORED = "restored"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    CALENDAR_CHANGED = "calendar_changed"
    COMMENT = "comment"
    EDITED = "edited"
    OWNER_CHANGED = "owner_changed"
    EXTERNAL_REF_ADDED = "external_ref_added"
    ESCALATED = "escalated"
    NOTIFIED = "notified"
    NOTIFICATION_FAILED = "notification_failed"
    ACKNOWLEDGED = "acknowledged"


class StoredEntry(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    @property
    def data(self) -> dict[str, Any]: ...


def to_history(entries: Iterable[StoredEntry]) -> list[HistoryEvent]:
    """The entries that move the clocks, in the clocks' own terms; the others are skipped."""
    history: list[HistoryEvent] = []
    for entry in entries:
        event = _to_event(EntryKind(entry.kind), entry.at, entry.data)
        if event is not None:
            history.append(event)
    return history


def _to_event(kind: EntryKind, at: datetime, data: dict[str, Any]) -> HistoryEvent | None:
    reason = str(data.get("reason", ""))
    match kind:
        case EntryKind.OPENED:
            return Opened(at, Severity(data["severity"]), bool(data.get("total_outage")))
        case EntryKind.SEVERITY_CHANGED:
            return SeverityChanged(at, Severity(data["severity"]), reason)
        case EntryKind.TOTAL_OUTAGE_CHANGED:
            return TotalOutageChanged(at, bool(data["total_outage"]))
        case EntryKind.PAUSED:
            return Paused(at, reason)
        case EntryKind.RESUMED:
            return Resumed(at)
        case EntryKind.RESPONSE_STARTED:
            return ResponseStarted(at)
        case EntryKind.RESTORED:
            return Restored(at)
        case EntryKind.RESOLVED:
            return Resolved(at)
        case EntryKind.CLOSED:
            return Closed(at)
        case EntryKind.REOPENED:
            return Reopened(at, reason)
        case EntryKind.CALENDAR_CHANGED:
            return CalendarChanged(at, data.get("calendar"), reason)
    return None
