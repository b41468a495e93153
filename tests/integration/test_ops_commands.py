"""The operators' commands (`voicepod calls`, `transcript`, `audit trail`, `audit verify --via bus`)
against a real nats-server and the real transcript and audit services, with calls recorded the way
the gateway records one (CallRecorder → JetStream): what they print, in-process; how they exit, as
a person runs them (a subprocess each)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from nats.aio.client import Client as NATS

from bus import events, subjects
from bus.client import BusClient
from bus.contracts import events_pb2 as ev
from bus.contracts import transcript_pb2 as tr
from bus.settings import BusSettings
from gateway.recorder import CallRecorder
from pod import ops_bus
from pod.audit_commands import show_trail, verify_chain
from pod.calls_command import show_calls
from pod.transcript_command import show_transcript
from proc.ports import free_port
from services.audit.service import DEFINITION as AUDIT
from services.transcript.service import DEFINITION as TRANSCRIPT
from tests.eventually import eventually
from tests.integration.services_helpers import running
from tests.nats_fixture import NatsServer

USAGE = ev.CallUsage(
    items=[ev.UsageItem(provider="openai:gpt-4o-mini", unit="input_tokens", quantity=812, cost_usd=0.0001218)],
    tool_calls=1, cost_usd=0.0001218, fallbacks={"llm:timeout": 1},
)  # fmt: skip
QUALITY = ev.CallQuality(rtt_seconds=0.042, jitter_seconds=0.0031, fraction_lost=0.005, barge_ins=1, late_frames=2)


async def voicepod(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env if env is not None else dict(os.environ),
    )  # fmt: skip
    out, err = await proc.communicate()
    return await proc.wait(), out.decode(), err.decode()


@asynccontextmanager
async def services(nc: NATS) -> AsyncIterator[None]:
    js = nc.jetstream()
    for stream in (events.TRANSCRIPT, events.AUDIT):
        await events.ensure_stream(js, stream)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(TRANSCRIPT, nc))
        await stack.enter_async_context(running(AUDIT, nc))
        yield


async def record_a_call(nc: NATS, call_id: str, agent: str, *, ended: bool = True) -> None:
    rec = CallRecorder(nc.jetstream(), call_id)
    rec.call_started(agent, "phone")
    rec.turn(ev.SPEAKER_AGENT, "Hi, this is Ava from voicepod realty.")
    rec.turn(ev.SPEAKER_CALLER, "A three bed in Austin please", confidence=0.9)
    rec.audit("tool.search_listings", "ok", {"seconds": "0.412"})
    rec.turn(ev.SPEAKER_AGENT, "I found three homes", interrupted=True)
    if ended:
        rec.call_ended("caller_hangup", 42.5, USAGE, QUALITY)
    await rec.flush()


async def stored(nc: NATS, calls: int) -> None:
    bus = BusClient(nc)

    async def listed() -> tr.ListCallsResponse:
        return await bus.call(subjects.LIST_CALLS, tr.ListCallsRequest(), timeout=5)

    await eventually(listed, lambda r: sum(c.turns for c in r.calls) == 3 * calls and
                     any(c.HasField("ended") for c in r.calls))  # fmt: skip


async def test_an_operator_reads_the_recent_calls_a_transcript_and_its_audit_trail(
    nc: NATS, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def printed() -> str:
        out, err = capsys.readouterr()
        assert not err, err
        return out

    async with services(nc):
        await record_a_call(nc, "call-ops-1", "real_estate")
        await record_a_call(nc, "call-ops-2", "dental", ended=False)
        await stored(nc, calls=2)
        async with ops_bus.services(BusSettings(nats_url=nats_server.url, connect_timeout=5), 5) as s:
            capsys.readouterr()  # the test process's own log lines (its structlog prints to stdout)
            assert await show_calls(s, tr.ListCallsRequest(), as_json=True) == 0
            listing = printed()
            assert await show_calls(s, tr.ListCallsRequest(agent_name="real_estate"), as_json=False) == 0
            table = printed()
            assert await show_transcript(s, "call-ops-1", as_json=False) == 0
            text = printed()
            assert await show_transcript(s, "call-ops-1", as_json=True) == 0
            doc = printed()
            assert await show_trail(s, "call-ops-1", as_json=False) == 0
            trail = printed()
            assert await verify_chain(s) == 0
            verified = printed()
            with pytest.raises(ops_bus.OpsError, match="no audit entries for call no-such-call") as no_trail:
                await show_trail(s, "no-such-call", as_json=False)
            assert no_trail.value.exit_code == ops_bus.NOT_FOUND

    calls = json.loads(listing)
    assert [c["call_id"] for c in calls] == ["call-ops-2", "call-ops-1"]  # newest first
    in_progress, done = calls
    assert in_progress["ended"] is None and in_progress["agent_name"] == "dental" and in_progress["turns"] == 3
    assert done["channel"] == "phone" and (done["turns"], done["interrupted_turns"]) == (3, 1)
    assert done["ended"]["reason"] == "caller_hangup" and done["ended"]["duration_seconds"] == 42.5
    assert done["ended"]["cost_usd"] == 0.000122 and done["ended"]["fallbacks"] == {"llm:timeout": 1}
    assert done["ended"]["quality"] == {"rtt_seconds": 0.042, "jitter_seconds": 0.0031, "fraction_lost": 0.005,
                                        "barge_ins": 1, "late_frames": 2}  # fmt: skip

    header, *rows = table.splitlines()
    assert len(rows) == 1 and header.split()[:3] == ["STARTED", "CALL", "AGENT"]
    cells = rows[0].split()
    assert cells[1:7] == ["call-ops-1", "real_estate", "phone", "42.5", "3", "caller_hangup"]
    assert cells[7:] == ["$0.0001", "42", "3.1", "0.5", "1", "1"]
    assert header.index("OUTCOME") == rows[0].index("caller_hangup")  # aligned columns
    assert header.index("CALL") == rows[0].index("call-ops-1")

    assert "call call-ops-1  agent real_estate  channel phone" in text
    assert "ended: caller_hangup after 42.5 s" in text
    assert "quality: rtt 42 ms, jitter 3.1 ms, loss 0.5%, barge-ins 1, late frames 2" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("TIME"))
    what, who = header.index("WHAT"), header.index("WHO")
    timeline = [(line[who:what].strip(), line[what:]) for line in lines[lines.index(header) + 1 :] if line]
    assert timeline[:4] == [
        ("agent", "Hi, this is Ava from voicepod realty."), ("caller", "A three bed in Austin please"),
        ("tool", "search_listings: ok in 0.41 s"), ("agent", "I found three homes [interrupted: the caller barged in]"),
    ]  # fmt: skip
    assert "usage: 1 tool calls, fallbacks: llm:timeout x1, estimated cost $0.0001" in text
    assert "  openai:gpt-4o-mini  812 input_tokens  $0.0001" in text

    t = json.loads(doc)
    assert [(x["speaker"], x["interrupted"]) for x in t["turns"]] == [("agent", False), ("caller", False),
                                                                     ("agent", True)]  # fmt: skip
    assert [x["tool"] for x in t["tool_calls"]] == ["search_listings"] and t["tool_calls"][0]["outcome"] == "ok"
    assert t["started_at"] is not None and t["ended"]["usage"]["items"][0]["quantity"] == 812

    header, *rows = trail.splitlines()
    assert header.split() == ["SEQ", "AT", "ACTOR", "ACTION", "OUTCOME", "DETAILS", "HASH"]
    assert len(rows) == 1 and rows[0].split()[2:6] == ["agent", "tool.search_listings", "ok", "seconds=0.412"]

    assert verified == "audit chain intact: 2 entries\n"  # one tool call on each call


async def test_as_run_each_command_says_why_not_and_exits_accordingly(nc: NATS, nats_server: NatsServer) -> None:
    # What each prints is tested above, in-process; here, a process each (they overlap), as a person runs them.
    # (Finding `voicepod up`'s NATS without --nats-url: tests/integration/test_up.py.)
    url = ("--nats-url", nats_server.url)
    nowhere = f"nats://127.0.0.1:{free_port()}"
    unreachable_run = asyncio.create_task(voicepod("transcript", "call-x", "--nats-url", nowhere, "--timeout", "1"))
    no_service = await voicepod("calls", *url)  # nothing answers on the bus yet
    async with services(nc):
        unknown = await voicepod("transcript", "no-such-call", *url)
    unreachable = await unreachable_run

    for code, _, err in (no_service, unreachable, unknown):
        assert code != 0 and "Traceback" not in err, err
    assert no_service[0] == 2 and "the transcript service is not running" in no_service[2]
    assert unreachable[0] == 2 and f"cannot reach NATS at {nowhere}" in unreachable[2]
    assert unknown == (1, "", "voicepod transcript: no transcript for call no-such-call\n")
