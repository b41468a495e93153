"""Typed bus errors, shared by clients (raised) and services (raised by handlers).

Codes are HTTP-like and travel in the `Nats-Service-Error-Code` header and in
the `voicepod.v1.Error` body of the reply.
"""

from __future__ import annotations

from bus.contracts import common_pb2

BAD_REQUEST = 400
NOT_FOUND = 404
CONFLICT = 409
INTERNAL = 500
NOT_IMPLEMENTED = 501
UNAVAILABLE = 503
DEADLINE_EXCEEDED = 504


class BusError(Exception):
    """Base of everything the bus raises."""


class NoResponders(BusError):
    """Nobody serves the subject: the service is down or not deployed."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"no service is listening on {subject}")
        self.subject = subject


class MalformedReply(BusError):
    """The reply could not be decoded as the endpoint's reply type."""


class ServiceError(BusError):
    """An error reply from a service, or an error a handler raises to produce one."""

    code: int = INTERNAL
    reason: str = "internal"

    def __init__(self, message: str, *, reason: str | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.field = field

    def to_proto(self) -> common_pb2.Error:
        return common_pb2.Error(code=self.code, message=self.message, reason=self.reason, field=self.field)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, reason={self.reason!r}, message={self.message!r})"


class BadRequest(ServiceError):
    code = BAD_REQUEST
    reason = "bad_request"


class NotFound(ServiceError):
    code = NOT_FOUND
    reason = "not_found"


class Conflict(ServiceError):
    code = CONFLICT
    reason = "conflict"


class InternalError(ServiceError):
    code = INTERNAL
    reason = "internal"


class NotImplementedYet(ServiceError):
    code = NOT_IMPLEMENTED
    reason = "not_implemented"


class Unavailable(ServiceError):
    code = UNAVAILABLE
    reason = "unavailable"


class DeadlineExceeded(ServiceError):
    """The deadline passed: before sending, while waiting, or on arrival at the service."""

    code = DEADLINE_EXCEEDED
    reason = "deadline_exceeded"


_BY_CODE: dict[int, type[ServiceError]] = {
    cls.code: cls
    for cls in (BadRequest, NotFound, Conflict, InternalError, NotImplementedYet, Unavailable, DeadlineExceeded)
}


def from_reply(code: int, error: common_pb2.Error) -> ServiceError:
    """Rebuild the typed error a service sent."""
    cls = _BY_CODE.get(code, ServiceError)
    exc = cls(error.message or f"service error {code}", reason=error.reason or None, field=error.field)
    exc.code = code
    return exc
