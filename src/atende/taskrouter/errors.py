"""The TaskRouter-compatible errors, each naming the parameter or resource at fault.

Services raise these directly, so channels calling the service get the same messages the HTTP
client sees; the app's handler turns them into Twilio's JSON shape."""

from __future__ import annotations

from atende.errors import TwilioError

INVALID_PARAMETER = 20001
NOT_FOUND = 20404
CONFLICT = 20409
PRECONDITION_FAILED = 20412
AUTHENTICATE = 20003


def not_found(path: str) -> TwilioError:
    return TwilioError(404, NOT_FOUND, f"The requested resource {path} was not found")


def missing(parameter: str, where: str = "post body") -> TwilioError:
    return TwilioError(
        400, INVALID_PARAMETER, f"Missing required parameter {parameter} in the {where}"
    )


def invalid(parameter: str, reason: str) -> TwilioError:
    return TwilioError(400, INVALID_PARAMETER, f"Invalid parameter {parameter}: {reason}")


def conflict(message: str) -> TwilioError:
    return TwilioError(409, CONFLICT, message)


def precondition_failed(expected: str, actual: str) -> TwilioError:
    return TwilioError(
        412,
        PRECONDITION_FAILED,
        f"If-Match header {expected!r} does not match the current version {actual!r}",
    )


def unauthenticated() -> TwilioError:
    return TwilioError(401, AUTHENTICATE, "Authenticate")
