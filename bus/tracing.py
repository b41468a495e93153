"""Traces across the bus (OpenTelemetry): on when OTEL_EXPORTER_OTLP_ENDPOINT is set, off otherwise.

One tracer provider per process, held here (not OpenTelemetry's global one, which can be set only
once: tests put in one with an in-memory exporter and take it out again). The trace context
crosses NATS in the W3C `traceparent` header: the client puts in the current span's (`inject`),
the service runtime starts its handler's span as that span's child (`extract`).

Off costs nothing per turn or request: every helper returns at its first line, `span` hands back
one shared no-op context, and the SDK is not even imported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from bus.settings import BusSettings

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
NO_SPAN: AbstractContextManager[None] = contextlib.nullcontext()
_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def enabled() -> bool:
    return _tracer is not None


def start(settings: BusSettings, service: str) -> bool:
    """Export this process's spans with OTLP over HTTP when the settings name an endpoint."""
    url = settings.otlp_traces_url
    if not url:
        return False
    # Imported only when tracing is on: a process with it off never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(resource=Resource.create({"service.name": service}))
    # Batched and sent from the processor's own thread: a span's end is a queue append.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    use(provider)
    return True


def use(provider: TracerProvider | None) -> None:
    """Trace into `provider` (None: off). Tests use this with an in-memory exporter."""
    global _provider, _tracer
    _provider = provider
    _tracer = None if provider is None else provider.get_tracer("voicepod")


def stop() -> None:
    """Flush what is left and turn tracing off (the SDK provider's shutdown exports the last batch)."""
    provider = _provider
    use(None)
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()


def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    parent: Context | None = None,
) -> AbstractContextManager[Span | None]:
    """A span made current for the block (None inside when tracing is off)."""
    if _tracer is None:
        return NO_SPAN
    return _current(_tracer.start_span(name, context=parent, kind=kind, attributes=attributes))


@contextlib.contextmanager
def _current(span: Span) -> Iterator[Span]:
    """`span` current for the block, then ended: failed on an error; a cancellation (a barge-in, a
    shutdown) is no failure, and is marked as what it was."""
    try:
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            yield span
    except Exception as exc:
        failed(span, type(exc).__name__, str(exc))
        raise
    except BaseException:
        span.set_attribute("voicepod.cancelled", True)
        raise
    finally:
        span.end()


def start_span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    parent: Context | None = None,
    start_ns: int | None = None,
) -> Span | None:
    """A span ended by its owner, not made current (None when tracing is off)."""
    if _tracer is None:
        return None
    return _tracer.start_span(name, context=parent, kind=kind, attributes=attributes, start_time=start_ns)


def context_of(parent: Span) -> Context:
    """The context whose current span is `parent`: the parent for spans started elsewhere."""
    return trace.set_span_in_context(parent)


@contextlib.contextmanager
def current(parent: Span | None) -> Iterator[None]:
    """Make `parent` the current span for the block, without ending it after."""
    if parent is None:
        yield
        return
    with trace.use_span(parent, end_on_exit=False):
        yield


def inject(headers: MutableMapping[str, str]) -> None:
    """Put the current span's context in a request's headers (`traceparent`)."""
    if _tracer is not None:
        _PROPAGATOR.inject(headers)


def extract(headers: Mapping[str, str] | None) -> Context | None:
    """The caller's span context from a request's headers, or None (a root span then)."""
    if _tracer is None or not headers or TRACEPARENT not in headers:
        return None
    return _PROPAGATOR.extract(headers)


def serving(
    subject: str, headers: Mapping[str, str] | None, call_id: str, request_id: str
) -> AbstractContextManager[Span | None]:
    """The span of one request handled by a service: a child of the caller's span (traceparent)."""
    if _tracer is None:
        return NO_SPAN
    attributes = {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.destination.name": subject,
        "voicepod.call_id": call_id,
        "voicepod.request_id": request_id,
    }
    return _current(
        _tracer.start_span(f"process {subject}", context=extract(headers), kind=SpanKind.SERVER, attributes=attributes)
    )


def replied_error(span: Span | None, code: int, reason: str, message: str) -> None:
    """A service answered with an error: its code on the span; a failure of the service's own (5xx) marks it failed."""
    if span is None:
        return
    span.set_attribute("voicepod.error_code", code)
    if reason:
        span.set_attribute("voicepod.error_reason", reason)
    if code >= 500:
        failed(span, str(code), message)


def failed(span: Span | None, error_type: str, message: str = "") -> None:
    """Mark `span` as failed (OpenTelemetry's error.type plus an ERROR status)."""
    if span is None:
        return
    span.set_attribute("error.type", error_type)
    span.set_status(trace.Status(trace.StatusCode.ERROR, message or None))


def set_attributes(span: Span | None, attributes: Mapping[str, Any]) -> None:
    if span is not None:
        span.set_attributes(attributes)
