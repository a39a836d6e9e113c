"""Erlang C and Erlang A: how many agents a queue needs to answer in time.

Erlang C (M/M/N) assumes callers wait forever; it overstates the agents needed when callers
hang up, which Erlang A (M/M/N+M: exponential patience) accounts for. Both are computed from
the Erlang B recursion in log space, so hundreds of agents and thousands of erlangs neither
overflow a factorial nor underflow to a meaningless zero.

Service level here is the share of *all* arriving contacts answered within the threshold
(abandoned contacts count against it), which is also how the simulator measures it.

Chats: an agent holding ``concurrency`` chats at once is approximated as that many servers,
each serving one chat for the time the chat occupies the slot. This ignores that agents slow
down when juggling chats (measure handle time under concurrency) and that one agent's slots are
not independent; treat the result as a lower bound for chat staffing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_LOG_TAIL = -40.0
"""Stationary queue states lighter than e**-40 of the heaviest are dropped (below 1e-17)."""
_UNIFORMISATION_EPSILON = 1e-13


def offered_load(arrivals_per_hour: float, handle_seconds: float) -> float:
    """Traffic in erlangs: the number of agents that would be busy all the time."""
    return arrivals_per_hour * handle_seconds / 3600.0


def _log_inverse_erlang_b(traffic: float, servers: int) -> float:
    """log(1 / B(traffic, servers)) by the recursion 1/B(n) = 1 + n/A * 1/B(n-1), in log space
    so that B far below the smallest float still compares and multiplies correctly."""
    log_inverse = 0.0
    log_traffic = math.log(traffic)
    for n in range(1, servers + 1):
        log_inverse = float(np.logaddexp(0.0, math.log(n) - log_traffic + log_inverse))
    return log_inverse


def erlang_b(traffic: float, servers: int) -> float:
    """Blocking probability of a loss system: what share of calls finds every agent busy."""
    _check(traffic, servers)
    if traffic == 0:
        return 0.0 if servers > 0 else 1.0
    return math.exp(-_log_inverse_erlang_b(traffic, servers))


def erlang_c(traffic: float, servers: int) -> float:
    """Probability that a caller waits at all (1 when the queue is unstable, N <= A)."""
    _check(traffic, servers)
    if traffic == 0:
        return 0.0
    if servers <= traffic:
        return 1.0
    blocking = erlang_b(traffic, servers)
    return servers * blocking / (servers - traffic * (1.0 - blocking))


def _check(traffic: float, servers: int) -> None:
    if traffic < 0 or math.isnan(traffic):
        raise ValueError("traffic must be a non-negative number of erlangs")
    if servers < 0:
        raise ValueError("servers cannot be negative")


@dataclass(frozen=True, slots=True)
class QueueForecast:
    """What a queue staffed with ``agents`` is expected to deliver."""

    agents: int
    traffic: float
    probability_of_waiting: float
    service_level: float
    average_speed_of_answer: float
    """Mean wait of the contacts that were answered, in seconds (inf when unstable)."""
    occupancy: float
    probability_of_abandonment: float = 0.0


def erlang_c_forecast(
    arrivals_per_hour: float, handle_seconds: float, agents: int, answer_within: float
) -> QueueForecast:
    """Erlang C figures for ``agents`` servers."""
    traffic = offered_load(arrivals_per_hour, handle_seconds)
    waiting = erlang_c(traffic, agents)
    if traffic == 0:
        return QueueForecast(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    if agents <= traffic:
        return QueueForecast(agents, traffic, 1.0, 0.0, math.inf, 1.0)
    spare = agents - traffic
    service_level = 1.0 - waiting * math.exp(-spare * answer_within / handle_seconds)
    return QueueForecast(
        agents=agents,
        traffic=traffic,
        probability_of_waiting=waiting,
        service_level=service_level,
        average_speed_of_answer=waiting * handle_seconds / spare,
        occupancy=traffic / agents,
    )


def erlang_a_forecast(
    arrivals_per_hour: float,
    handle_seconds: float,
    patience_seconds: float,
    agents: int,
    answer_within: float,
) -> QueueForecast:
    """Erlang A (M/M/N+M) figures: callers hang up after an exponential patience of mean
    ``patience_seconds``; stable for any number of agents, even fewer than the traffic."""
    if patience_seconds <= 0 or math.isinf(patience_seconds):
        raise ValueError("patience must be a positive, finite number of seconds")
    traffic = offered_load(arrivals_per_hour, handle_seconds)
    _check(traffic, agents)
    if traffic == 0:
        return QueueForecast(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    arrival_rate = arrivals_per_hour / 3600.0
    queue = _AbandonmentQueue(
        arrival_rate, agents / handle_seconds if agents else 0.0, 1.0 / patience_seconds
    )
    waiting = queue.probability_of_waiting(traffic, agents)
    seen = [waiting * share for share in queue.ahead_distribution()]
    abandonment = queue.abandon_rate / arrival_rate * sum(j * p for j, p in enumerate(seen))
    answered_after_wait = sum(p * q for p, q in zip(seen, queue.served_share, strict=True))
    answered = (1.0 - waiting) + answered_after_wait
    wait_of_answered = sum(
        p * q * s for p, q, s in zip(seen, queue.served_share, queue.mean_time, strict=True)
    )
    served_in_time = queue.served_within(seen, answer_within)
    busy = (answered * traffic) / agents if agents else 1.0
    return QueueForecast(
        agents=agents,
        traffic=traffic,
        probability_of_waiting=waiting,
        service_level=min(1.0, (1.0 - waiting) + served_in_time),
        average_speed_of_answer=wait_of_answered / answered if answered > 0 else math.inf,
        occupancy=min(1.0, busy),
        probability_of_abandonment=abandonment,
    )


class _AbandonmentQueue:
    """The waiting part of M/M/N+M, seen by a caller who arrives with ``j`` callers ahead.

    From ``j`` ahead the caller moves forward at rate ``N·mu + j·theta`` (a service ends or
    someone ahead hangs up) and hangs up itself at rate ``theta``.
    """

    def __init__(self, arrival_rate: float, service_rate: float, abandon_rate: float) -> None:
        self.arrival_rate = arrival_rate
        self.service_rate = service_rate  # N·mu: all agents together
        self.abandon_rate = abandon_rate
        self._log_weights = self._stationary_log_weights()
        depth = len(self._log_weights)
        forward = [service_rate + j * abandon_rate for j in range(depth)]
        self.exit_rate = [rate + abandon_rate for rate in forward]
        self.forward_rate = forward
        self.served_share: list[float] = []
        self.mean_time: list[float] = []
        share, elapsed = 1.0, 0.0
        for j in range(depth):
            share *= forward[j] / self.exit_rate[j]
            elapsed += 1.0 / self.exit_rate[j]
            self.served_share.append(share)
            self.mean_time.append(elapsed)

    def _stationary_log_weights(self) -> list[float]:
        """log of p(N+j)/p(N) for j = 0, 1, ... until the tail no longer matters."""
        weights = [0.0]
        log_arrival = math.log(self.arrival_rate)
        heaviest = 0.0
        j = 0
        while True:
            j += 1
            ratio = log_arrival - math.log(self.service_rate + j * self.abandon_rate)
            weight = weights[-1] + ratio
            weights.append(weight)
            heaviest = max(heaviest, weight)
            if ratio < 0 and weight < heaviest + _LOG_TAIL:
                return weights

    def probability_of_waiting(self, traffic: float, agents: int) -> float:
        log_high = _logsumexp(self._log_weights)
        if agents == 0:
            return 1.0
        # p(n < N) / p(N) = 1/B - 1, with B the Erlang B blocking of the N agents.
        log_inverse_b = _log_inverse_erlang_b(traffic, agents)
        log_low = (
            log_inverse_b + math.log(-math.expm1(-log_inverse_b)) if log_inverse_b else -math.inf
        )
        return math.exp(log_high - float(np.logaddexp(log_low, log_high)))

    def ahead_distribution(self) -> list[float]:
        """How many callers a waiting arrival finds ahead, as shares of all waiting arrivals."""
        total = _logsumexp(self._log_weights)
        return [math.exp(weight - total) for weight in self._log_weights]

    def served_within(self, seen: list[float], seconds: float) -> float:
        """Share of arrivals (mass ``seen[j]`` starting with j ahead) answered within
        ``seconds``, by uniformisation of the caller's progress through the queue."""
        if seconds <= 0:
            return 0.0
        mass = np.array(seen, dtype=float)
        exit_rate = np.array(self.exit_rate)
        forward = np.array(self.forward_rate)
        uniform = float(exit_rate.max())
        stay = 1.0 - exit_rate / uniform
        move = forward / uniform
        expected_jumps = uniform * seconds
        log_poisson = -expected_jumps
        served = 0.0
        answered = 0.0
        weight_left = 1.0
        jumps = 0
        while True:
            weight = math.exp(log_poisson)
            answered += weight * served
            weight_left -= weight
            if weight_left < _UNIFORMISATION_EPSILON or (
                mass.sum() < _UNIFORMISATION_EPSILON and jumps > expected_jumps
            ):
                return answered + max(weight_left, 0.0) * served
            served += float(mass[0] * move[0])
            moved = mass * move
            mass = mass * stay
            mass[:-1] += moved[1:]
            jumps += 1
            log_poisson += math.log(expected_jumps) - math.log(jumps)


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(value - top) for value in values))


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """The goal: ``service_level`` of contacts answered within ``answer_within`` seconds."""

    service_level: float = 0.8
    answer_within: float = 20.0
    max_occupancy: float = 1.0
    max_abandonment: float = 1.0
    """Erlang A only: with impatient callers a badly understaffed queue can still "answer in
    time" the few who stay, so the share who hang up needs its own ceiling."""

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            raise ValueError("the service level target must be between 0 and 1 (exclusive)")
        if self.answer_within < 0:
            raise ValueError("answer_within cannot be negative")
        if not 0 < self.max_occupancy <= 1:
            raise ValueError("max_occupancy must be in (0, 1]")
        if not 0 < self.max_abandonment <= 1:
            raise ValueError("max_abandonment must be in (0, 1]")

    def met_by(self, forecast: QueueForecast) -> bool:
        return (
            forecast.service_level >= self.service_level
            and forecast.occupancy <= self.max_occupancy
            and forecast.probability_of_abandonment <= self.max_abandonment
        )


def erlang_c_agents(
    arrivals_per_hour: float, handle_seconds: float, target: StaffingTarget
) -> QueueForecast:
    """The fewest agents whose Erlang C forecast meets ``target``."""

    def forecast(agents: int) -> QueueForecast:
        return erlang_c_forecast(arrivals_per_hour, handle_seconds, agents, target.answer_within)

    traffic = offered_load(arrivals_per_hour, handle_seconds)
    return _fewest(forecast, target, lower=math.floor(traffic) if traffic else 0)


def erlang_a_agents(
    arrivals_per_hour: float,
    handle_seconds: float,
    patience_seconds: float,
    target: StaffingTarget,
) -> QueueForecast:
    """The fewest agents whose Erlang A forecast meets ``target``."""

    def forecast(agents: int) -> QueueForecast:
        return erlang_a_forecast(
            arrivals_per_hour, handle_seconds, patience_seconds, agents, target.answer_within
        )

    return _fewest(forecast, target, lower=1 if arrivals_per_hour else 0)


def _fewest(
    forecast: Callable[[int], QueueForecast], target: StaffingTarget, lower: int
) -> QueueForecast:
    """Gallop up from ``lower`` until the target is met, then bisect: service level,
    occupancy and abandonment all improve with every agent added."""
    low = forecast(lower)
    if target.met_by(low):
        return low
    step = 1
    high = forecast(lower + step)
    while not target.met_by(high):
        low = high
        step *= 2
        high = forecast(lower + step)
    while high.agents - low.agents > 1:
        middle = forecast((low.agents + high.agents) // 2)
        if target.met_by(middle):
            high = middle
        else:
            low = middle
    return high


def scheduled_agents(agents_on_phone: int, shrinkage: float) -> int:
    """Agents to put on the schedule so that, after breaks, training and absence
    (``shrinkage``, a share of paid time), ``agents_on_phone`` are actually working."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    return math.ceil(agents_on_phone / (1.0 - shrinkage) - 1e-9)


def agents_for_concurrency(servers: int, concurrency: int) -> int:
    """Agents holding ``concurrency`` chats each that provide ``servers`` chat slots."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    return math.ceil(servers / concurrency)
