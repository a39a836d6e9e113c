"""What a simulation measured: outcomes per queue, channel and interval, and agents' occupancy.

Every offered contact ends the run in exactly one state: handled (an agent accepted it; it
may still be in progress), abandoned (the customer gave up), canceled (routing gave up: a
workflow that ran out of steps or the task's TTL), or still waiting. Service level is the
share of handled-in-time among handled plus abandoned, so giving up counts against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Tally:
    offered: int = 0
    handled: int = 0
    handled_in_time: int = 0
    abandoned: int = 0
    canceled: int = 0
    waiting: int = 0
    answer_wait_total: float = 0.0
    wait_total: float = 0.0
    longest_wait: float = 0.0

    def add_handled(self, wait: float, in_time: bool) -> None:
        self.offered += 1
        self.handled += 1
        self.handled_in_time += in_time
        self.answer_wait_total += wait
        self._waited(wait)

    def add_abandoned(self, wait: float) -> None:
        self.offered += 1
        self.abandoned += 1
        self._waited(wait)

    def add_canceled(self) -> None:
        self.offered += 1
        self.canceled += 1

    def add_waiting(self, wait: float) -> None:
        self.offered += 1
        self.waiting += 1
        self.longest_wait = max(self.longest_wait, wait)

    def _waited(self, wait: float) -> None:
        self.wait_total += wait
        self.longest_wait = max(self.longest_wait, wait)

    @property
    def resolved(self) -> int:
        return self.handled + self.abandoned

    @property
    def service_level(self) -> float | None:
        return self.handled_in_time / self.resolved if self.resolved else None

    @property
    def average_speed_of_answer(self) -> float | None:
        return self.answer_wait_total / self.handled if self.handled else None

    @property
    def average_wait(self) -> float | None:
        """Mean wait of handled and abandoned contacts alike."""
        return self.wait_total / self.resolved if self.resolved else None

    @property
    def abandonment_rate(self) -> float | None:
        return self.abandoned / self.resolved if self.resolved else None


@dataclass(frozen=True, slots=True)
class AgentResult:
    name: str
    staffed_seconds: float
    """On shift, plus time spent finishing work after the shift ended."""
    busy_seconds: float
    """Holding at least one accepted contact (talk, chat or wrap-up)."""
    handled: int

    @property
    def occupancy(self) -> float | None:
        return self.busy_seconds / self.staffed_seconds if self.staffed_seconds else None


@dataclass(frozen=True, slots=True)
class IntervalResult:
    start: float
    """Simulated seconds since midnight of the first day."""
    tally: Tally
    """Contacts that arrived in the interval, by how they ended."""
    average_waiting: float
    """Time-weighted mean number of contacts waiting, all queues together."""
    peak_waiting: int
    waiting_by_queue: dict[str, float]
    """Time-weighted mean number waiting per queue (by friendly name)."""
    agents_staffed: float
    agents_busy: float

    @property
    def occupancy(self) -> float | None:
        return self.agents_busy / self.agents_staffed if self.agents_staffed else None


@dataclass(frozen=True, slots=True)
class SimulationResult:
    scenario: str
    seed: int
    days: int
    agent_count: int
    total: Tally
    by_queue: dict[str, Tally]
    by_channel: dict[str, Tally]
    intervals: list[IntervalResult]
    agents: list[AgentResult]
    steps: int
    """Simulator events processed (arrivals, answers, completions, timers...)."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Service-level threshold in seconds per channel."""

    @property
    def occupancy(self) -> float | None:
        staffed = sum(agent.staffed_seconds for agent in self.agents)
        busy = sum(agent.busy_seconds for agent in self.agents)
        return busy / staffed if staffed else None
