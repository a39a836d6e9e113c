"""Why the routing core refuses a command.

Every check runs before anything changes, so a refused command leaves the engine as it was; the
HTTP layer turns these into Twilio's error shape naming the parameter at fault.
"""

from __future__ import annotations


class RoutingError(ValueError):
    """A command the routing core refuses."""


class UnknownResourceError(RoutingError, LookupError):
    """A SID that names nothing the engine knows."""

    def __init__(self, resource: str, sid: str) -> None:
        super().__init__(f"unknown {resource} {sid}")
        self.resource = resource
        self.sid = sid


class InvalidTransitionError(RoutingError):
    """A status change the task or reservation lifecycle does not allow from where it stands."""


class ResourceInUseError(RoutingError):
    """Removing something that tasks, reservations, workers or workflows still depend on."""
