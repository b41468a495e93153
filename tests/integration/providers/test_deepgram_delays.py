"""The cloud set-up of `bench/turn_latency.py --cloud`: the fake Deepgram in its own process, each
connection hearing the script from its first line, answering a Finalize and /v1/speak no sooner
than its simulated delays."""

from __future__ import annotations

import asyncio

import numpy as np

from bench.turn_latency_cloud import Delays, cloud_fakes, providers
from gateway.media.ogg_opus import OpusSpeech
from gateway.providers.stt.deepgram_live import DeepgramLive
from gateway.providers.tts.deepgram_aura import DeepgramAura
from tests.fakes.deepgram_server import KEY

from .test_deepgram import feed, frames

LINES = ("Hi, I'm looking for a house.", "In Austin.")
DELAY = 0.3


async def test_each_call_hears_the_script_from_the_first_line_after_the_simulated_delays() -> None:
    async with cloud_fakes(LINES, Delays(finalize=DELAY, speak=DELAY)) as fakes:
        p = providers(fakes.url)
        assert (p.stt, p.tts, p.turns, p.deepgram_url) == ("deepgram", "deepgram", "local", fakes.url)
        stt = DeepgramLive(api_key=KEY, base_url=fakes.url)
        calls = [stt.open(), stt.open()]
        heard = []
        for session in calls:
            feed(session, frames(25))
            heard.append(await session.turn_ended(np.zeros(0, np.int16)))
        feed(calls[0], frames(25))
        second = await calls[0].turn_ended(np.zeros(0, np.int16))
        await asyncio.gather(*(s.close() for s in calls))
        tts = DeepgramAura(api_key=KEY, base_url=fakes.url, opus=True)
        loop = asyncio.get_running_loop()
        started = loop.time()
        voice = await tts.synthesize("Hello there.")
        spoke_after = loop.time() - started
        await tts.close()

    assert [h.text for h in heard] == [LINES[0], LINES[0]] and second.text == LINES[1]
    assert all(h.complete and h.seconds >= DELAY for h in [*heard, second])
    assert spoke_after >= DELAY and isinstance(voice, OpusSpeech) and voice.seconds > 0
    assert fakes.stats["listeners"] == 2 and fakes.stats["finalizes"] == 3 and fakes.stats["speak_requests"] == 1
