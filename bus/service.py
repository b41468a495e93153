"""The service runtime: typed routes served as one nats.micro service.

For every request, before the handler runs:
  - an already-expired Pod-Deadline is answered 504 (the handler never runs);
  - a malformed Pod-Deadline or an undecodable payload is answered 400.
Then the handler runs in its own task (up to max_in_flight at once), cut off
with a 504 once its deadline passes (bus.deadline_watch); a ServiceError it
raises becomes that error reply, anything else a 500 that says nothing about
internals. Every outcome is counted and timed, and, with tracing on (bus/tracing.py), spanned:
the handler's span continues the caller's trace (the request's `traceparent` header).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic

import structlog
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NATS
from nats.micro import add_service
from nats.micro.request import Request
from nats.micro.service import EndpointStats, Service
from opentelemetry.trace import Span

from bus import deadline as deadlines
from bus import errors, headers, metrics, tracing
from bus.deadline import Deadline
from bus.deadline_watch import DeadlineWatch
from bus.endpoint import Endpoint, ReplyT, RequestT

log = structlog.get_logger("bus.service")


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a handler knows about its request besides the message."""

    subject: str
    deadline: Deadline | None
    call_id: str
    request_id: str

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline.remaining()


Handler = Callable[[RequestT, RequestContext], Awaitable[ReplyT]]


@dataclass(frozen=True, slots=True)
class Route(Generic[RequestT, ReplyT]):
    endpoint: Endpoint[RequestT, ReplyT]
    handler: Handler[RequestT, ReplyT]


def route(endpoint: Endpoint[RequestT, ReplyT], handler: Handler[RequestT, ReplyT]) -> Route[RequestT, ReplyT]:
    """Pair an endpoint with its handler; the type checker holds their types together."""
    return Route(endpoint, handler)


@dataclass(slots=True)
class _EndpointCounters:
    """Per-endpoint figures for $SRV.STATS, plus the metric children bound once."""

    requests: Any  # prometheus Counter child
    duration: Any  # prometheus Histogram child
    errors_by_code: dict[str, int]
    in_flight: int = 0


class ServiceRuntime:
    """Serves routes as one nats.micro service (discoverable via $SRV.PING/INFO/STATS)."""

    def __init__(
        self,
        nc: NATS,
        *,
        name: str,
        version: str,
        description: str,
        routes: Sequence[Route[Any, Any]],
        max_in_flight: int = 64,
    ) -> None:
        for r in routes:
            if r.endpoint.service != name:
                raise ValueError(f"{r.endpoint.subject} belongs to {r.endpoint.service}, not {name}")
        self._nc = nc
        self.name = name
        self._version = version
        self._description = description
        self._routes = tuple(routes)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._counters = {
            r.endpoint.name: _EndpointCounters(
                requests=metrics.SERVICE_REQUESTS.labels(name, r.endpoint.subject),
                duration=metrics.SERVICE_DURATION.labels(name, r.endpoint.subject),
                errors_by_code={},
            )
            for r in self._routes
        }
        # Read at scrape time: no per-request cost.
        metrics.SERVICE_IN_FLIGHT.labels(name).set_function(lambda: len(self._tasks))
        self._service: Service | None = None
        self._watch = DeadlineWatch()

    @property
    def running(self) -> bool:
        return self._service is not None and not self._service.stopped.is_set()

    async def start(self) -> None:
        # Replicas share the service name as queue group: each request goes to one of them.
        self._service = await add_service(
            self._nc,
            name=self.name,
            version=self._version,
            description=self._description,
            queue_group=self.name,
            stats_handler=self._endpoint_stats,
        )
        groups: dict[str, Any] = {}
        for r in self._routes:
            group = groups.get(r.endpoint.group) or self._service.add_group(name=r.endpoint.group)
            groups[r.endpoint.group] = group
            await group.add_endpoint(
                name=r.endpoint.name,
                handler=self._dispatcher(r),
                metadata={
                    "request": r.endpoint.request.DESCRIPTOR.full_name,
                    "reply": r.endpoint.reply.DESCRIPTOR.full_name,
                },
            )
        await self._nc.flush()
        log.info("service_started", service=self.name, endpoints=[r.endpoint.subject for r in self._routes])

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking requests, then give in-flight ones up to `timeout` seconds."""
        if self._service is not None:
            await self._service.stop()
        if self._tasks:
            log.info("service_draining", service=self.name, in_flight=len(self._tasks))
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("service_drain_timeout", service=self.name, cancelled=len(pending))
                await asyncio.wait(pending)
        await self._watch.close()
        log.info("service_stopped", service=self.name)

    def _endpoint_stats(self, stats: EndpointStats) -> dict[str, Any]:
        # nats.micro only counts errors that escape the handler; ours never do,
        # so the real counts travel in the endpoint's `data` of $SRV.STATS.
        c = self._counters.get(stats.name)
        return {} if c is None else {"errors_by_code": dict(c.errors_by_code), "in_flight": c.in_flight}

    def _dispatcher(self, r: Route[Any, Any]) -> Callable[[Request], Awaitable[None]]:
        endpoint = r.endpoint
        counters = self._counters[endpoint.name]

        async def reject(request: Request, error: errors.ServiceError, started: float) -> None:
            self._count_error(counters, endpoint.subject, error.code)
            await _respond_error(request, error)
            counters.duration.observe(time.perf_counter() - started)

        async def dispatch(request: Request) -> None:
            # Runs in the subscription's callback, one message at a time: keep it
            # cheap and hand the handler to a task so requests overlap.
            started = time.perf_counter()
            counters.requests.inc()
            try:
                deadline = deadlines.from_headers(request.headers)
            except deadlines.InvalidDeadline as exc:
                return await reject(request, errors.BadRequest(str(exc), reason="invalid_deadline"), started)
            if deadline is not None and deadline.expired():
                late = errors.DeadlineExceeded("deadline passed before the request was handled")
                return await reject(request, late, started)
            message = endpoint.request()
            try:
                message.ParseFromString(request.data)
            except DecodeError:
                return await reject(
                    request,
                    errors.BadRequest(f"payload is not a valid {message.DESCRIPTOR.full_name}", reason="undecodable"),
                    started,
                )
            await self._slots.acquire()
            hdrs = request.headers or {}
            ctx = RequestContext(
                subject=request.subject,
                deadline=deadline,
                call_id=hdrs.get(headers.CALL_ID, ""),
                request_id=hdrs.get(headers.REQUEST_ID, ""),
            )
            self._tasks.add(asyncio.create_task(self._handle(r, request, message, ctx, counters, started)))

        return dispatch

    async def _handle(
        self,
        r: Route[Any, Any],
        request: Request,
        message: Message,
        ctx: RequestContext,
        counters: _EndpointCounters,
        started: float,
    ) -> None:
        with tracing.serving(r.endpoint.subject, request.headers, ctx.call_id, ctx.request_id) as span:
            await self._handle_in_span(r, request, message, ctx, counters, started, span)

    async def _handle_in_span(
        self,
        r: Route[Any, Any],
        request: Request,
        message: Message,
        ctx: RequestContext,
        counters: _EndpointCounters,
        started: float,
        span: Span | None,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        counters.in_flight += 1
        structlog.contextvars.bind_contextvars(
            service=self.name, endpoint=r.endpoint.name, call_id=ctx.call_id, request_id=ctx.request_id
        )
        if ctx.deadline is not None:
            self._watch.watch(task, ctx.deadline.epoch_ms / 1000.0)
        try:
            reply: Message | errors.ServiceError = await r.handler(message, ctx)
        except errors.ServiceError as exc:
            if exc.code >= 500:
                log.warning("handler_error", code=exc.code, reason=exc.reason, error=exc.message)
            reply = exc
        except asyncio.CancelledError:
            if not self._watch.expired(task):
                raise  # shutdown, not our deadline
            task.uncancel()
            log.warning("handler_deadline_exceeded")
            reply = errors.DeadlineExceeded("deadline passed while the request was being handled")
        except Exception:
            log.exception("handler_failed")
            reply = errors.InternalError("internal error")
        finally:
            self._watch.forget(task)
            counters.in_flight -= 1
            self._slots.release()
        try:
            if isinstance(reply, errors.ServiceError):
                tracing.replied_error(span, reply.code, reply.reason, reply.message)
                self._count_error(counters, r.endpoint.subject, reply.code)
                await _respond_error(request, reply)
            else:
                await request.respond(reply.SerializeToString())
        except Exception:
            # The reply itself failed (connection gone): the client will time out.
            log.exception("reply_failed")
        finally:
            counters.duration.observe(time.perf_counter() - started)
            # Discarded here rather than in a done-callback: one less loop iteration per request,
            # and stop() keeps waiting until the reply is out.
            self._tasks.discard(task)

    def _count_error(self, counters: _EndpointCounters, label: str, code: int) -> None:
        key = str(code)
        counters.errors_by_code[key] = counters.errors_by_code.get(key, 0) + 1
        metrics.SERVICE_ERRORS.labels(self.name, label, key).inc()


async def _respond_error(request: Request, error: errors.ServiceError) -> None:
    # Header values are single-line; the full message is also in the body.
    description = " ".join(error.message.split())[:256]
    try:
        await request.respond_error(str(error.code), description, data=error.to_proto().SerializeToString())
    except ValueError:
        pass  # a publish without a reply subject: nobody to answer
