"""bus/tracing.py on its own: a span that fails is marked failed, a cancelled one (a barge-in, a
shutdown) only marked cancelled; the OTEL_* settings name the traces URL or turn tracing off."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from bus import tracing
from bus.settings import BusSettings
from tests.spans import named, spans

__all__ = ["spans"]  # the fixture


def test_an_error_fails_the_span_and_a_cancellation_does_not(spans: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError), tracing.span("broken"):
        raise ValueError("no such thing")
    with pytest.raises(asyncio.CancelledError), tracing.span("cut"):
        raise asyncio.CancelledError
    broken, cut = named(spans.get_finished_spans(), "broken"), named(spans.get_finished_spans(), "cut")
    assert broken.status.status_code is StatusCode.ERROR and broken.attributes == {"error.type": "ValueError"}
    assert cut.status.status_code is StatusCode.UNSET and cut.attributes == {"voicepod.cancelled": True}


def test_the_otel_settings_name_the_traces_url_or_turn_tracing_off() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}
    assert BusSettings.from_env(env).otlp_traces_url == "http://collector:4318/v1/traces"
    env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://traces:4318/custom"
    assert BusSettings.from_env(env).otlp_traces_url == "http://traces:4318/custom"
    assert BusSettings.from_env({**env, "OTEL_SDK_DISABLED": "true"}).otlp_traces_url == ""
    assert BusSettings.from_env({}).otlp_traces_url == ""
