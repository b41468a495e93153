"""What tracing costs per turn: off (no OTEL_EXPORTER_OTLP_ENDPOINT) and on (the SDK recording into
a processor that drops the spans, so only the tracing work itself is timed, not an exporter).

One "turn" here is every tracing call the gateway and a service make for a turn with one tool
call: the turn's span and its stages, the engine's span, a chat round, the tool call's span with
its traceparent put in the request headers, and the service's handler span taken out of them.

    python -m bench.tracing_overhead [--turns 20000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from bus import tracing
from gateway.agent.genai_spans import chat_span, tool_span
from gateway.call_trace import open_call_trace
from gateway.turn_clock import TurnClock


def one_turn(call_index: int) -> None:
    call = open_call_trace(f"call-{call_index}", "bench", "webrtc")
    now = time.monotonic()
    clock = TurnClock(ended=now, vad_wait=0.2, transcribed=now, first_line=now, tts_first=0.0)
    turn = call.turn(1, clock)
    turn.stage("stt", now, now)
    with turn.engine():
        with chat_span("openai:gpt-4o-mini") as chat:
            chat.tokens(50, 20)
            chat.finished(1)
        with tool_span("search_listings"):
            headers = {"Pod-Deadline": "1"}
            tracing.inject(headers)
            with tracing.serving("voicepod.mls.search_listings", headers, "call", "req"):
                pass
    turn.first_audio(clock, clock.split(now))
    turn.end("done")
    call.end("hangup")


def bare_turn(call_index: int) -> None:
    """What one_turn does besides tracing (the clock, its split, the headers): the baseline."""
    now = time.monotonic()
    clock = TurnClock(ended=now, vad_wait=0.2, transcribed=now, first_line=now, tts_first=0.0)
    headers = {"Pod-Deadline": "1"}
    clock.split(now)
    del headers, call_index


def per_turn_ns(turns: int, turn: Callable[[int], None] = one_turn) -> float:
    started = time.perf_counter_ns()
    for i in range(turns):
        turn(i)
    return (time.perf_counter_ns() - started) / turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20_000)
    turns = parser.parse_args().turns
    tracing.use(None)
    per_turn_ns(1000)  # warm-up
    bare = min(per_turn_ns(turns, bare_turn) for _ in range(3))
    off = min(per_turn_ns(turns) for _ in range(3))
    provider = TracerProvider()
    provider.add_span_processor(SpanProcessor())  # spans recorded, then dropped: no exporter's cost
    tracing.use(provider)
    try:
        per_turn_ns(1000)
        on = min(per_turn_ns(turns) for _ in range(3))
    finally:
        tracing.use(None)
    figures = {"turns": turns, "baseline_ns": round(bare), "off_ns": round(off), "on_ns": round(on)}
    print(
        json.dumps(
            {**figures, "off_tracing_ns_per_turn": round(off - bare), "on_tracing_ns_per_turn": round(on - bare)}
        )
    )


if __name__ == "__main__":
    main()
