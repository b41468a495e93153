"""Pausing the agent's speech: silence at once, the queue kept, and on from the same sample."""

from __future__ import annotations

import numpy as np

from gateway.media.ogg_opus import OpusSpeech
from gateway.media.opus_out import silence_packet
from gateway.media.outbound import PlayoutTrack, Utterance
from gateway.media.pcm import OUT_FRAME
from tests.unit.test_opus_in import tone_packets


def loud(frames: int) -> np.ndarray:
    return np.full(OUT_FRAME * frames, 8000, np.int16)


async def test_a_paused_line_is_silent_and_resumes_where_it_stopped() -> None:
    track = PlayoutTrack()
    stops: list[float] = []
    track.on_stopped = stops.append
    ended: list[bool] = []
    line = Utterance(audio=loud(10), text="a line", on_done=lambda _u, complete: ended.append(complete))
    track.play(line)
    for _ in range(3):
        await track.recv()
    track.pause()
    voiced_until = track.last_voice_at
    for _ in range(4):
        await track.recv()
    assert line.played == 3 * OUT_FRAME and track.paused and track.speaking
    assert track.last_voice_at == voiced_until  # silence went out
    assert len(stops) == 1  # the stop is timed once, at the first silent frame
    track.resume()
    for _ in range(7):
        await track.recv()
    assert line.played == 10 * OUT_FRAME and ended == [True] and not track.speaking and len(stops) == 1


async def test_opus_speech_pauses_at_a_packet_and_lines_queued_meanwhile_wait() -> None:
    track = PlayoutTrack()
    packets = tone_packets(6)
    first = Utterance(audio=OpusSpeech.of(packets), text="one")
    track.play(first)
    out = [bytes(await track.recv()) for _ in range(2)]
    track.pause()
    second = Utterance(audio=loud(2), text="two")
    track.play(second)  # the reply goes on being queued while paused
    out += [bytes(await track.recv()) for _ in range(3)]
    track.resume()
    out += [bytes(await track.recv()) for _ in range(4)]
    assert out[:2] == packets[:2] and out[2:5] == [silence_packet()] * 3 and out[5:9] == packets[2:6]
    assert first.played == 6 and second.played == 0 and track.speaking


async def test_interrupting_a_paused_track_drops_the_queue_and_ends_the_pause() -> None:
    track = PlayoutTrack()
    stops: list[float] = []
    track.on_stopped = stops.append
    line = Utterance(audio=loud(10), text="a line")
    track.play(line)
    await track.recv()
    track.pause()
    await track.recv()
    (cut,) = track.interrupt()
    await track.recv()
    assert cut is line and cut.heard_fraction == 0.1 and len(stops) == 1  # stopped once, at the pause
    assert not track.paused and not track.speaking
    track.play(Utterance(audio=loud(1), text="the next reply"))
    await track.recv()
    assert not track.speaking  # played: the pause did not outlive the interruption
