"""One caller of bench/turn_latency.py, in its own process: dials the gateway over WebRTC, says the
booking script's lines (16 kHz PCM the benchmark synthesised, in an .npz) one turn at a time, and
prints one JSON object: per line, the voice-to-voice latency heard at the caller and the gateway's
own `turn.latency` split of the reply to it.

At the caller, latency runs from the line's last voiced sample (its synthesis's trailing quiet
left out) to the first voiced 20 ms of the agent's reply in the audio received, both placed on the
received audio's clock (it flows without a break: silence between replies), as the audio persona
evals measure it (evals/persona_audio.py).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

from caller.client import dial
from caller.script import Conversation, ScriptedMicrophone, Stop
from evals.audio_caller import FRAME, PAUSE_SECONDS, RATE, VOICED, AudioCall

IN_RATE, IN_FRAME = 16_000, 320
TURN_TIMEOUT = 90.0


def trailing_quiet(pcm: NDArray[np.int16]) -> int:
    """Samples (16 kHz) after the line's last voiced 20 ms frame."""
    frames = pcm[: len(pcm) // IN_FRAME * IN_FRAME].reshape(-1, IN_FRAME)
    loud = np.flatnonzero(np.abs(frames).max(axis=1, initial=0) > VOICED)
    return len(pcm) - (int(loud[-1]) + 1) * IN_FRAME if len(loud) else 0


async def call(url: str, token: str, lines: list[NDArray[np.int16]]) -> dict[str, Any]:
    mic, convo = ScriptedMicrophone(), Conversation()
    latencies: dict[int, dict[str, Any]] = {}
    result = AudioCall(convo)
    turns: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "turn.latency":
            latencies[int(event["turn"])] = event
        convo.on_event(event)

    async with dial(url, mic, token=token, timeout=TURN_TIMEOUT, on_event=on_event,
                    ice_addresses=("127.0.0.1",)) as live:  # fmt: skip
        live.bye.add_done_callback(lambda _: convo.end(live.result.ended_by or "bye"))
        recorder = live.result.recorder
        since = -1
        try:
            for pcm in lines:
                await convo.until(functools.partial(convo.listening, since), "the agent's reply", TURN_TIMEOUT)
                await asyncio.wait_for(recorder.quiet_for(PAUSE_SECONDS), TURN_TIMEOUT)
                since = convo.turn
                await asyncio.wait_for(mic.say(pcm), TURN_TIMEOUT + len(pcm) / IN_RATE)
                spoken_end = len(recorder.audio) - trailing_quiet(pcm) * RATE // IN_RATE
                await convo.until(functools.partial(convo.listening, since), "the agent's reply", TURN_TIMEOUT)
                await asyncio.wait_for(recorder.quiet_for(PAUSE_SECONDS), TURN_TIMEOUT)
                result.audio = recorder.audio
                voice_at = result.first_voice_after(spoken_end)
                turn = convo.turn  # the turn the gateway ended last for this line (its reply was heard)
                turns.append({
                    "turn": turn, "turns_ended": turn - since, "heard": convo.heard.get(turn, ""),
                    "caller_seconds": None if voice_at is None else (voice_at - spoken_end) / RATE,
                    "latency": latencies.get(turn),
                })  # fmt: skip
        except (Stop, TimeoutError) as exc:
            return {"turns": turns, "problem": str(exc) or type(exc).__name__, "said": convo.said_since(0)}
    return {"turns": turns, "problem": None, "said": convo.said_since(0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--lines", required=True, help=".npz of the lines' 16 kHz PCM, in order")
    args = parser.parse_args()
    with np.load(args.lines) as saved:
        lines = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    assert FRAME == RATE // 50
    json.dump(asyncio.run(call(args.url, args.token, lines)), sys.stdout)


if __name__ == "__main__":
    main()
