"""What happened to an incident, as the SLA clocks see it.

The clocks are a function of this history, never stored state, so a late correction (a severity
changed an hour later, an import of past incidents) recomputes them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from atende.ops.severity import Severity


@dataclass(frozen=True)
class Opened:
    at: datetime
    severity: Severity
    total_outage: bool = False


@dataclass(frozen=True)
class SeverityChanged:
    """A reclassification: it describes the incident, so the new targets apply from opening."""

    at: datetime
    severity: Severity
    reason: str = ""


@dataclass(frozen=True)
class TotalOutageChanged:
    """From this moment support works (or stops working) around the clock."""

    at: datetime
    total_outage: bool


@dataclass(frozen=True)
class Paused:
    """Waiting on the company or a third party: no clock counts until resumed."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Resumed:
    at: datetime


@dataclass(frozen=True)
class ResponseStarted:
    at: datetime


@dataclass(frozen=True)
class Restored:
    """Service is back (perhaps by a workaround); restoration implies a response."""

    at: datetime


@dataclass(frozen=True)
class Resolved:
    """Root cause fixed; stops whatever clock still runs."""

    at: datetime


@dataclass(frozen=True)
class Closed:
    at: datetime


@dataclass(frozen=True)
class Reopened:
    """The problem is back: restoration counts again from where it stopped."""

    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class CalendarChanged:
    """From this moment count in the named calendar; `None` returns to the policy's choice."""

    at: datetime
    calendar: str | None
    reason: str = ""


HistoryEvent = (
    Opened
    | SeverityChanged
    | TotalOutageChanged
    | Paused
    | Resumed
    | ResponseStarted
    | Restored
    | Resolved
    | Closed
    | Reopened
    | CalendarChanged
)
