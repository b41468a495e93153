"""The request client: typed request/reply over NATS with a deadline and typed errors."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from typing import Any

import nats.errors
from google.protobuf.message import DecodeError
from nats.aio.client import Client as NATS

from bus import errors, headers, metrics, tracing
from bus.contracts import common_pb2
from bus.deadline import Deadline
from bus.endpoint import Endpoint, ReplyT, RequestT


@dataclass(frozen=True, slots=True)
class _EndpointMetrics:
    """Metric children bound once per endpoint: `labels()` per request costs more than the rest."""

    ok: Any
    error: Any
    deadline_exceeded: Any
    no_responders: Any
    malformed_reply: Any
    duration: Any

    @classmethod
    def of(cls, subject: str) -> _EndpointMetrics:
        outcome = metrics.CLIENT_REQUESTS.labels
        return cls(
            ok=outcome(subject, "ok"),
            error=outcome(subject, "error"),
            deadline_exceeded=outcome(subject, "deadline_exceeded"),
            no_responders=outcome(subject, "no_responders"),
            malformed_reply=outcome(subject, "malformed_reply"),
            duration=metrics.CLIENT_DURATION.labels(subject),
        )


class BusClient:
    """Calls service endpoints. One per process; safe to share between tasks."""

    def __init__(self, nc: NATS) -> None:
        self._nc = nc
        self._metrics: dict[str, _EndpointMetrics] = {}
        # Request ids: a random per-client prefix plus a counter, unique without a uuid per call.
        self._id_prefix = os.urandom(6).hex()
        self._counter = itertools.count(1)

    async def call(
        self,
        endpoint: Endpoint[RequestT, ReplyT],
        request: RequestT,
        *,
        deadline: Deadline | None = None,
        timeout: float | None = None,
        call_id: str = "",
    ) -> ReplyT:
        """Send `request` and return the decoded reply.

        The deadline is the earlier of `deadline` and now + `timeout` (or the
        endpoint's default timeout when neither is given); it travels in the
        Pod-Deadline header and bounds the wait here.

        Raises errors.DeadlineExceeded, errors.NoResponders, errors.MalformedReply,
        or the errors.ServiceError subclass matching the service's error code.
        """
        if timeout is not None or deadline is None:
            by_timeout = Deadline.after(endpoint.default_timeout if timeout is None else timeout)
            deadline = by_timeout if deadline is None else min(deadline, by_timeout, key=lambda d: d.epoch_ms)
        subject = endpoint.subject
        m = self._metrics.get(subject) or self._metrics.setdefault(subject, _EndpointMetrics.of(subject))
        remaining = deadline.remaining()
        if remaining <= 0:
            m.deadline_exceeded.inc()
            raise errors.DeadlineExceeded(f"deadline passed before {subject} was sent")
        request_headers = {
            headers.DEADLINE: deadline.header_value(),
            headers.REQUEST_ID: f"{self._id_prefix}{next(self._counter):x}",
        }
        if call_id:
            request_headers[headers.CALL_ID] = call_id
        tracing.inject(request_headers)  # traceparent: the service's span becomes the caller's span's child
        started = time.perf_counter()
        try:
            msg = await self._nc.request(
                subject, request.SerializeToString(), timeout=remaining, headers=request_headers
            )
        except nats.errors.NoRespondersError:
            m.no_responders.inc()
            raise errors.NoResponders(subject) from None
        except nats.errors.TimeoutError:
            m.deadline_exceeded.inc()
            raise errors.DeadlineExceeded(f"no reply from {subject} within the deadline") from None
        finally:
            m.duration.observe(time.perf_counter() - started)
        code = msg.headers.get(headers.SERVICE_ERROR_CODE) if msg.headers else None
        if code is not None:
            m.error.inc()
            raise _service_error(code, msg.headers or {}, msg.data)
        reply = endpoint.reply()
        try:
            reply.ParseFromString(msg.data)
        except DecodeError as exc:
            m.malformed_reply.inc()
            raise errors.MalformedReply(
                f"{subject} replied with bytes that are not a {reply.DESCRIPTOR.full_name}"
            ) from exc
        m.ok.inc()
        return reply


def _service_error(code_text: str, reply_headers: dict[str, str], body: bytes) -> errors.ServiceError:
    error = common_pb2.Error()
    try:
        error.ParseFromString(body)
    except DecodeError:
        pass  # a non-voicepod micro service: the headers alone carry the error
    if not error.message:
        error.message = reply_headers.get(headers.SERVICE_ERROR, "")
    try:
        code = int(code_text)
    except ValueError:
        code = errors.INTERNAL
    return errors.from_reply(code, error)
