"""The Realtime engine with the real `openai` SDK against a local server that speaks the
Realtime WebSocket protocol (tests/fakes/openai_realtime_server.py), its tools acting
through the real services on NATS. Not tested against the live OpenAI service."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import Any

import numpy as np
import pydantic
import pytest
from nats.aio.client import Client as NATS
from openai.types.realtime import RealtimeServerEvent

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.engine import Line
from gateway.agent.realtime_engine import RealtimeEngine, RealtimeError
from gateway.agent.responder import AgentResponder
from gateway.agent.tools import ToolBox
from gateway.agent.usage import UsageMeter
from gateway.media.pcm import IN_RATE, OUT_RATE, Pcm, resample
from gateway.providers.settings import ProviderSettings
from gateway.responder import CallerTurn
from services.crm_writer.store import LeadRow
from services.sms.store import OutboxRow
from tests.fakes.openai_realtime_server import API_KEY, RATE, Audio, Call, Drop, FakeRealtime, Step, Text, serving
from tests.integration.agent.test_dialog import rows, services
from tests.postgres import ONE_STORE
from verticals.real_estate import tools as real_estate_tools

pytestmark = pytest.mark.slow
EMPTY = np.zeros(0, dtype=np.int16)
MODEL = "gpt-realtime"


class Rig:
    """An engine as the agent factory builds it, with what it reports kept for the test."""

    def __init__(self, nc: NATS, fake: FakeRealtime, *, key: str = API_KEY, io: tuple[str, str] = ("text", "text"),
                 max_tool_rounds: int = 6, stt: str = "whisper", caller_number: str | None = None) -> None:  # fmt: skip
        self.tool_activity: list[tuple[str, str]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.config = AgentConfig.load("real_estate")
        tools = [t for t in real_estate_tools.ALL if t.name in self.config.tools]
        self.toolbox = ToolBox(tools, BusClient(nc), lambda tool, phase, _: self.tool_activity.append((tool, phase)))
        self.usage = UsageMeter("real_estate")
        providers = ProviderSettings(engine="realtime", stt=stt, openai_api_key=key, openai_base_url=fake.base_url,
                                     realtime_model=MODEL, realtime_input=io[0], realtime_output=io[1])  # fmt: skip
        self.engine = RealtimeEngine(providers, self.config, self.toolbox, self.usage, "call-rt",
                                     emit=lambda event: self.events.append((event.kind, event.fields())),
                                     max_tool_rounds=max_tool_rounds, caller_number=caller_number)  # fmt: skip

    async def say(self, text: str = "", audio: Pcm = EMPTY, index: int = 1) -> list[Line]:
        return [line async for line in self.engine.respond(CallerTurn(index=index, audio=audio, text=text))]

    def used(self, unit: str) -> float:
        return self.usage.quantities.get((f"openai:{MODEL}", unit), 0.0)


def sent_usage(fake: FakeRealtime, side: str, kind: str) -> int:
    return sum(u[f"{side}_token_details"][f"{kind}_tokens"] for u in fake.usage)


def assert_sdk_types(fake: FakeRealtime) -> None:
    """Every event the fake sent is one the SDK's typed models define, with their required fields."""
    adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)
    for event in fake.sent:
        assert adapter.validate_python(event).type == event["type"]


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def speech(seconds: float, rate: int = IN_RATE) -> Pcm:
    t = np.arange(round(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * 6000).astype(np.int16)


class SilentTTS:
    """What speaks the engine's text lines in the responder: silence of a length that fits the text."""

    name = "silent"

    async def synthesize(self, text: str) -> Pcm:
        return np.zeros(len(text) * OUT_RATE // 20, dtype=np.int16)


async def test_text_in_text_out_streams_sentences_and_configures_the_session(nc: NATS) -> None:
    reply = "Sure thing. Austin has lovely homes! What budget do you have in mind?"
    async with serving([Text(reply, hold=3)]) as fake:
        rig = Rig(nc, fake)
        assert texts(await rig.engine.greeting()) == [rig.config.greeting]
        lines = rig.engine.respond(CallerTurn(index=1, audio=EMPTY, text="I want a house in Austin"))
        # The server holds the rest of the reply: the first sentence is already the caller's.
        assert (await asyncio.wait_for(anext(lines), 5)).text == "Sure thing."
        fake.release.set()
        rest = [line async for line in lines]
        assert texts(rest) == ["Austin has lovely homes!", "What budget do you have in mind?"]
        assert all(line.pcm is None for line in rest)  # spoken by our TTS
        assert not rig.engine.ended and rig.engine.wants_text
        await rig.engine.close()
        await fake.wait_for(lambda f: f.closed == 1)
    (update,) = fake.of_type("session.update")
    session = update["session"]
    assert session["type"] == "realtime" and session["output_modalities"] == ["text"]
    assert session["audio"]["input"]["turn_detection"] is None  # our VAD ends turns
    assert session["instructions"].startswith("You are Ava, a friendly real-estate assistant at Voicepod Realty")
    assert '"call-rt:lead"' in session["instructions"] and "{" not in session["instructions"]
    tools = {t["name"]: t for t in session["tools"]}
    assert set(tools) == set(rig.config.tools)
    # What the engine fills in, the model never sees.
    assert not any({"idempotency_key", "call_id"} & set(t["parameters"]["properties"]) for t in tools.values())
    assert "transcription" not in session["audio"]["input"]  # our STT hears the caller
    assert tools["search_listings"] == {"type": "function", "name": "search_listings",
                                        "description": real_estate_tools.SEARCH_LISTINGS.description,
                                        "parameters": real_estate_tools.SEARCH_LISTINGS.schema}  # fmt: skip
    # The greeting our TTS spoke is in the conversation before the caller's words.
    greeting, asked = [e["item"] for e in fake.of_type("conversation.item.create")]
    assert greeting["role"] == "assistant" and greeting["content"][0]["text"] == rig.config.greeting
    assert asked == {"type": "message", "role": "user",
                     "content": [{"type": "input_text", "text": "I want a house in Austin"}]}  # fmt: skip
    (create,) = fake.of_type("response.create")
    assert create["response"]["metadata"]["tag"] == create["event_id"] and fake.errors == []
    assert_sdk_types(fake)


@pytest.mark.usefixtures("store_env")
@ONE_STORE
async def test_a_function_call_runs_against_the_real_mls_lookup(nc: NATS) -> None:
    args = {"city": "Austin", "min_bedrooms": 3, "max_price_usd": 700_000, "limit": 3}

    def follow_up(fake: FakeRealtime) -> Text:
        (found,) = fake.outputs()  # the model reads the real service's answer
        first = found["listings"][0]
        return Text(f"I found {found['total_count']} homes. The first is on {first['address']['street']}. Want it?")

    async with services(nc, "mls_lookup"), serving([Call("search_listings", json.dumps(args)), follow_up]) as fake:
        rig = Rig(nc, fake)
        lines = texts(await rig.say("A three bedroom house in Austin under seven hundred thousand"))
        await rig.engine.close()
    (found,) = fake.outputs()
    listings = found["listings"]
    assert 1 <= len(listings) <= 3 and found["total_count"] >= len(listings)
    assert all(h["address"]["city"] == "Austin" and h["bedrooms"] >= 3 and int(h["price_usd"]) <= 700_000
               for h in listings)  # fmt: skip
    assert lines == [f"I found {found['total_count']} homes.", f"The first is on {listings[0]['address']['street']}.",
                     "Want it?"]  # fmt: skip
    assert rig.tool_activity == [("search_listings", "started"), ("search_listings", "finished")]
    call = next(i for i in fake.items if i["type"] == "function_call")
    output = next(e["item"] for e in fake.of_type("conversation.item.create") if e["item"]["type"] != "message")
    assert output["type"] == "function_call_output" and output["call_id"] == call["call_id"]
    assert len(fake.of_type("response.create")) == 2 and fake.errors == []
    assert_sdk_types(fake)
    # Both responses' usage, text tokens only in input/output_tokens.
    assert rig.used("input_tokens") == sent_usage(fake, "input", "text") > 0
    assert rig.used("output_tokens") == sent_usage(fake, "output", "text") > 0
    assert rig.used("audio_input_tokens") == rig.used("audio_output_tokens") == 0


async def test_bad_arguments_go_back_to_the_model_without_a_bus_call(nc: NATS) -> None:
    bad_schema = Call("search_listings", '{"city": "Austin", "min_bedrooms": "three"}')
    bad_json = Call("search_listings", '{"city": "Austin", "min_bedrooms": ')
    async with serving([[bad_schema, bad_json], Text("Sorry, how many bedrooms was that?")]) as fake:
        rig = Rig(nc, fake)  # no mls_lookup runs: a bus call would come back "unavailable"
        lines = texts(await rig.say("three bedrooms in Austin"))
        await rig.engine.close()
    assert lines == ["Sorry, how many bedrooms was that?"]
    schema_error, json_error = fake.outputs()
    assert schema_error == {"error": "invalid_arguments", "message": "'three' is not of type 'integer'",
                            "field": "min_bedrooms"}  # fmt: skip
    assert json_error["error"] == "invalid_arguments" and "not valid JSON" in json_error["message"]
    assert rig.tool_activity == []  # the tool box never sent anything


async def test_tool_rounds_are_capped_and_the_last_response_must_speak(nc: NATS) -> None:
    bad = Call("search_listings", '{"limit": 0}')
    async with serving([bad, bad, Text("Let me ask differently. Which city?")]) as fake:
        rig = Rig(nc, fake, max_tool_rounds=2)
        lines = texts(await rig.say("anything"))
        await rig.engine.close()
    assert lines == ["Let me ask differently.", "Which city?"]
    assert [e["response"]["tool_choice"] for e in fake.of_type("response.create")] == ["auto", "auto", "none"]
    assert len(fake.outputs()) == 2 and fake.errors == []


async def test_audio_output_becomes_lines_with_48_khz_audio(nc: NATS) -> None:
    said = "Hello, this is Ava from Voicepod Realty. I can help you find a home. Which city are you looking in?"
    async with serving([Audio(said)]) as fake:
        rig = Rig(nc, fake, io=("text", "audio"))
        lines = await rig.say("hi")
        await rig.engine.close()
    session = fake.of_type("session.update")[0]["session"]
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": RATE}
    assert len(lines) >= 3 and all(line.pcm is not None and len(line.pcm) for line in lines)
    assert " ".join(texts(lines)) == said  # every word once, in order
    assert texts(lines)[0] == "Hello, this is Ava from Voicepod Realty."
    pcm = np.concatenate([line.pcm for line in lines if line.pcm is not None])
    assert len(pcm) == fake.audio_out * OUT_RATE // RATE  # 24 kHz in, 48 kHz out, nothing lost
    assert np.abs(pcm).max() > 4000
    assert rig.used("audio_output_tokens") == sent_usage(fake, "output", "audio") > 0
    assert_sdk_types(fake)


async def test_audio_input_is_sent_as_24_khz_pcm_and_committed(nc: NATS) -> None:
    caller = speech(1.0)
    async with serving([Text("Got it. Which city?")]) as fake:
        rig = Rig(nc, fake, io=("audio", "text"))
        assert not rig.engine.wants_text
        assert await rig.say(audio=speech(0.05)) == []  # under 100 ms: nothing to answer, nothing sent
        lines = texts(await rig.say(audio=caller))
        await rig.engine.close()
    assert lines == ["Got it.", "Which city?"]
    (append,) = fake.of_type("input_audio_buffer.append")
    sent = np.frombuffer(base64.b64decode(append["audio"]), dtype="<i2")
    assert len(sent) == RATE and np.array_equal(sent, resample(caller, IN_RATE, RATE))
    kinds = [e["type"] for e in fake.received]
    assert kinds.index("input_audio_buffer.append") < kinds.index("input_audio_buffer.commit") < kinds.index(
        "response.create")  # fmt: skip
    assert bytes(fake.audio_in) == sent.tobytes()
    assert not any(e["type"] == "conversation.item.create" and e["item"].get("role") == "user" for e in fake.received)
    assert rig.used("audio_input_tokens") == sent_usage(fake, "input", "audio") > 0
    assert rig.used("input_tokens") == sent_usage(fake, "input", "text")  # audio tokens are priced apart


async def test_a_bad_key_fails_clearly(nc: NATS) -> None:
    async with serving([Text("never said")]) as fake:
        rig = Rig(nc, fake, key="sk-wrong")
        assert texts(await rig.engine.greeting()) == [rig.config.greeting]  # the greeting never waits on OpenAI
        with pytest.raises(RealtimeError, match=r"refused the connection: HTTP 401 \(check OPENAI_API_KEY\)"):
            await rig.say("hello")
        await rig.engine.close()
    assert fake.connections == 0 and fake.received == []


async def test_barge_in_cancels_the_response_and_the_next_turn_goes_on(nc: NATS) -> None:
    first = "Austin has many homes. Let me tell you about the first one, it is lovely."
    async with serving([Text(first, hold=4), Text("Sure, Denver then. What budget?")]) as fake:
        rig = Rig(nc, fake)
        await rig.engine.greeting()
        responder = AgentResponder(rig.engine, SilentTTS(), filler_after=30)
        heard_first = asyncio.Event()

        async def reply() -> None:
            async for _ in responder.reply(CallerTurn(index=1, audio=EMPTY, text="Austin please")):
                heard_first.set()

        replying = asyncio.create_task(reply())
        await asyncio.wait_for(heard_first.wait(), 5)  # "Austin has many homes." plays; the model is still generating
        replying.cancel()  # the caller barges in (the call cancels the reply, then reports what was heard)
        rig.engine.heard("Austin has")
        with contextlib.suppress(asyncio.CancelledError):
            await replying
        await fake.wait_for(lambda f: len(f.of_type("response.cancel")) == 1)
        lines = texts(await rig.say("Actually, Denver", index=2))
        await rig.engine.close()
    assert lines == ["Sure, Denver then.", "What budget?"]  # nothing of the cancelled reply leaks in
    assert fake.errors == []  # in particular no second active response
    note = next(e["item"] for e in fake.of_type("conversation.item.create") if e["item"]["role"] == "system")
    assert note["content"][0]["text"] == 'The caller interrupted you. Of your last reply they heard only: "Austin has"'
    kinds = [e["type"] for e in fake.received]
    assert kinds.index("response.cancel") < len(kinds) - 1 - kinds[::-1].index("response.create")
    assert len(fake.usage) == 2 and rig.used("output_tokens") == sent_usage(fake, "output", "text")
    assert_sdk_types(fake)


async def test_barge_in_on_audio_truncates_what_the_caller_did_not_hear(nc: NATS) -> None:
    said = "Hello, this is Ava from Voicepod Realty. I can help you find a home. Which city are you looking in?"
    async with serving([Audio(said), Text("Okay.")]) as fake:
        rig = Rig(nc, fake, io=("text", "audio"))
        lines = await rig.say("hi")
        # Generation outran playback: the caller was in the second line, the third still queued.
        rig.engine.heard(lines[1].text[:10])
        rig.engine.heard("")
        await rig.say("Denver", index=2)
        await rig.engine.close()
    (truncate,) = fake.of_type("conversation.item.truncate")
    item = next(i for i in fake.items if i.get("role") == "assistant" and i["content"][0]["type"] == "output_audio")
    first_ms = len(lines[0].pcm if lines[0].pcm is not None else EMPTY) * 1000 // OUT_RATE
    second_ms = len(lines[1].pcm if lines[1].pcm is not None else EMPTY) * 1000 // OUT_RATE
    assert truncate["item_id"] == item["id"] and truncate["content_index"] == 0
    assert first_ms < truncate["audio_end_ms"] < first_ms + second_ms
    assert fake.errors == []  # the server accepted the cut
    assert_sdk_types(fake)


async def test_an_error_event_ends_the_turn_and_the_session_goes_on(nc: NATS) -> None:
    async with serving([]) as fake:  # no step: the server answers response.create with an error
        rig = Rig(nc, fake)
        with pytest.raises(RealtimeError, match="no step left"):
            await rig.say("hello")
        assert rig.events == [("agent.error", {"engine": "realtime", "code": "fake_script_exhausted"})]
        fake.script.append(Text("Thanks for calling Voicepod Realty. Goodbye!"))
        lines = texts(await rig.say("that's all, bye", index=2))
        await rig.engine.close()
    assert lines == ["Thanks for calling Voicepod Realty.", "Goodbye!"] and rig.engine.ended
    assert fake.connections == 1


async def test_a_lost_connection_fails_the_turn_and_the_next_turn_reconnects(nc: NATS) -> None:
    async with serving([Drop(), Text("Sorry about that. Which city?")]) as fake:
        rig = Rig(nc, fake)
        with pytest.raises(RealtimeError, match="connection failed"):
            await rig.say("hello")
        lines = texts(await rig.say("hello again", index=2))
        await rig.engine.close()
        await fake.wait_for(lambda f: f.closed == 2)
    assert lines == ["Sorry about that.", "Which city?"]
    assert fake.connections == 2 and len(fake.of_type("session.update")) == 2  # a new session, set up again


@pytest.mark.usefixtures("store_env")
@ONE_STORE
async def test_the_engine_sets_keys_and_acts_only_on_what_the_caller_confirmed(nc: NATS) -> None:
    lead = Call("write_lead", json.dumps({"name": "Ada Lovelace", "phone": "+15125550134", "call_id": "someone-else",
                                          "idempotency_key": "made-up"}))  # fmt: skip
    sms = Call("send_sms", json.dumps({"to_phone": "+15125550199", "template_id": "listing_details",
                                       "variables": {"address": "1 Main St"}}))  # fmt: skip
    read_back = Text("That's Ada Lovelace at 5 1 2, 5 5 5, 0 1 3 4. Is that right?")
    script: list[Step] = [[lead], read_back, [lead, sms], Text("Thanks, Ada.")]
    async with services(nc, "crm_writer"), serving(script) as fake:
        rig = Rig(nc, fake)
        asked = texts(await rig.say("I'm Ada Lovelace, my number is five one two, five five five, zero one three four"))
        lines = texts(await rig.say("yes, that's right", index=2))
        await rig.engine.close()
    assert asked[-1] == "Is that right?" and lines == ["Thanks, Ada."]
    too_early, written, refused = fake.outputs()
    # Before the read-back and the caller's yes, nothing is written; after it, the confirmed number only.
    assert too_early["error"] == "refused" and refused["error"] == "refused"
    assert written["lead"]["phone_e164"] == "+15125550134"
    assert rig.tool_activity == [("write_lead", "started"), ("write_lead", "finished")]  # no text was sent
    (row,) = await rows("crm_writer", LeadRow)
    assert row.source_call_id == "call-rt"  # the engine's call id, not the model's


@pytest.mark.usefixtures("store_env")
@ONE_STORE
async def test_audio_input_without_our_stt_is_transcribed_for_the_sms_guard(nc: NATS) -> None:
    variables = {"name": "Ada", "address": "1 Main St", "when": "Friday at 3 PM", "agent_name": "Bo"}
    sms = Call("send_sms", json.dumps({"to_phone": "+15125550134", "template_id": "showing_confirmation",
                                       "variables": variables}))  # fmt: skip
    said = "text me at five one two five five five zero one three four"
    read_back = Text("Is that 5 1 2, 5 5 5, 0 1 3 4?")
    async with services(nc, "sms"), serving([read_back, sms, Text("Sent.")]) as fake:
        fake.transcripts.extend([said, "yes"])
        rig = Rig(nc, fake, io=("audio", "text"), stt="none")
        await rig.say(audio=speech(1.0))
        lines = texts(await rig.say(audio=speech(1.0), index=2))
        await rig.engine.close()
    transcription = fake.of_type("session.update")[0]["session"]["audio"]["input"]["transcription"]
    assert transcription == {"model": "gpt-4o-mini-transcribe"} and lines == ["Sent."]
    (sent,) = fake.outputs()
    assert sent["message"]["to_phone_e164"] == "+15125550134" and sent["message"]["source_call_id"] == "call-rt"
    (row,) = await rows("sms", OutboxRow)
    assert row.to_phone_e164 == "+15125550134" and "Ada" in row.body
    assert ("transcript.final", {"turn": 1, "text": said, "confidence": None}) in rig.events
    assert rig.usage.quantities[("openai:gpt-4o-mini-transcribe", "audio_input_tokens")] > 0
    assert_sdk_types(fake)
