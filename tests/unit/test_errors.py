from __future__ import annotations

import pytest

from bus import errors
from bus.contracts import common_pb2


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, errors.BadRequest),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (500, errors.InternalError),
        (501, errors.NotImplementedYet),
        (503, errors.Unavailable),
        (504, errors.DeadlineExceeded),
    ],
)
def test_reply_codes_rebuild_their_typed_error(code: int, cls: type[errors.ServiceError]) -> None:
    exc = errors.from_reply(code, common_pb2.Error(code=code, message="m", reason="r", field="f"))
    assert type(exc) is cls and (exc.code, exc.message, exc.reason, exc.field) == (code, "m", "r", "f")


def test_unknown_code_keeps_the_code() -> None:
    exc = errors.from_reply(418, common_pb2.Error())
    assert type(exc) is errors.ServiceError and exc.code == 418 and "418" in exc.message


def test_error_round_trips_through_its_proto() -> None:
    exc = errors.BadRequest("bad phone", reason="invalid_phone", field="phone")
    proto = common_pb2.Error.FromString(exc.to_proto().SerializeToString())
    assert (proto.code, proto.reason, proto.field, proto.message) == (400, "invalid_phone", "phone", "bad phone")
