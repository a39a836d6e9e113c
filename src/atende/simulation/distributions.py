"""Random durations of a scenario: handle times, patience, wrap-up and answer delays.

Written as JSON the way a workforce planner states them: a plain number is a constant,
otherwise ``{"distribution": "exponential", "mean": 300}``,
``{"distribution": "lognormal", "mean": 300, "sd": 120}`` (handle times are skewed: most
calls are short, a few very long) or ``{"distribution": "uniform", "low": 2, "high": 8}``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

KINDS = ("constant", "exponential", "lognormal", "uniform")


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; ``path`` locates the offending value."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Distribution:
    """A non-negative duration in seconds; ``sd`` is unused by constant and exponential."""

    kind: str
    mean: float
    sd: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "constant" or self.mean == 0:
            return self.mean
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if self.kind == "uniform":
            half_width = math.sqrt(3.0) * self.sd
            return rng.uniform(self.mean - half_width, self.mean + half_width)
        if self.sd == 0:
            return self.mean
        sigma_squared = math.log1p((self.sd / self.mean) ** 2)
        return rng.lognormvariate(math.log(self.mean) - sigma_squared / 2, math.sqrt(sigma_squared))

    def to_data(self) -> float | dict[str, Any]:
        if self.kind == "constant":
            return self.mean
        if self.kind == "exponential":
            return {"distribution": "exponential", "mean": self.mean}
        if self.kind == "uniform":
            half_width = math.sqrt(3.0) * self.sd
            return {
                "distribution": "uniform",
                "low": self.mean - half_width,
                "high": self.mean + half_width,
            }
        return {"distribution": "lognormal", "mean": self.mean, "sd": self.sd}

    @classmethod
    def from_data(cls, data: Any, path: str) -> Distribution:
        if _is_number(data):
            return cls("constant", _non_negative(data, path))
        if not isinstance(data, dict):
            raise ScenarioError(path, "must be a number of seconds or a distribution object")
        kind = data.get("distribution")
        if kind not in KINDS:
            raise ScenarioError(f"{path}.distribution", f"must be one of {', '.join(KINDS)}")
        allowed = {
            "constant": {"value"},
            "exponential": {"mean"},
            "lognormal": {"mean", "sd"},
            "uniform": {"low", "high"},
        }[kind]
        unknown = sorted(set(data) - allowed - {"distribution"})
        if unknown:
            raise ScenarioError(f"{path}.{unknown[0]}", f"unknown key for a {kind} distribution")
        missing = sorted(allowed - set(data))
        if missing:
            raise ScenarioError(f"{path}.{missing[0]}", "is required")
        values = {key: _non_negative(data[key], f"{path}.{key}") for key in allowed}
        if kind == "constant":
            return cls("constant", values["value"])
        if kind == "exponential":
            return cls("exponential", _positive(values["mean"], f"{path}.mean"))
        if kind == "lognormal":
            return cls("lognormal", _positive(values["mean"], f"{path}.mean"), values["sd"])
        low, high = values["low"], values["high"]
        if high < low:
            raise ScenarioError(f"{path}.high", "must not be below low")
        return cls("uniform", (low + high) / 2, (high - low) / (2 * math.sqrt(3.0)))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _non_negative(value: Any, path: str) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ScenarioError(path, "must be a non-negative number")
    return float(value)


def _positive(value: float, path: str) -> float:
    if value <= 0:
        raise ScenarioError(path, "must be positive")
    return value
