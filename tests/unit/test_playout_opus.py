"""Agent speech that is already Opus (a cloud voice's) goes out packet by packet, untouched,
on the track's clock, and can be cut at any packet."""

from __future__ import annotations

import av
import numpy as np

from gateway.media.ogg_opus import OpusSpeech, packet_samples
from gateway.media.opus_out import silence_packet
from gateway.media.outbound import PlayoutTrack, Utterance
from tests.unit.test_opus_in import tone_packets


def sixty_ms_packet() -> bytes:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48_000, "mono", "s16"
    codec.options = {"frame_duration": "60"}
    frame = av.AudioFrame.from_ndarray(np.full((1, 2880), 3000, np.int16), format="s16", layout="mono")
    frame.sample_rate, frame.pts = 48_000, 0
    packets = [bytes(p) for p in codec.encode(frame)] + [bytes(p) for p in codec.encode(None)]
    assert packet_samples(packets[0]) == 2880
    return packets[0]


async def test_opus_speech_goes_out_as_it_came_with_pts_following_its_durations() -> None:
    track = PlayoutTrack()
    packets = [*tone_packets(3), sixty_ms_packet()]
    ended: list[bool] = []
    started: list[str] = []
    track.play(Utterance(audio=OpusSpeech.of(packets), text="hi", on_start=lambda u: started.append(u.text),
                         on_done=lambda _u, complete: ended.append(complete)))  # fmt: skip
    out = [await track.recv() for _ in range(6)]
    assert [bytes(p) for p in out[:4]] == packets  # not decoded, not re-encoded
    assert [p.pts for p in out] == [0, 960, 1920, 2880, 5760, 6720]  # the 60 ms packet advanced 2880
    assert [p.duration for p in out] == [960, 960, 960, 2880, 960, 960]
    assert [bytes(p) for p in out[4:]] == [silence_packet()] * 2  # then silence, the cached packet
    assert started == ["hi"] and ended == [True] and not track.speaking


async def test_barge_in_cuts_opus_speech_at_a_packet() -> None:
    track = PlayoutTrack()
    track.play(Utterance(audio=OpusSpeech.of(tone_packets(10)), text="a long answer"))
    for _ in range(4):
        await track.recv()
    (cut,) = track.interrupt()
    assert cut.played == 4 and cut.heard_fraction == 0.4
    assert bytes(await track.recv()) == silence_packet()


async def test_pcm_and_opus_utterances_follow_each_other() -> None:
    track = PlayoutTrack()
    order: list[str] = []
    packets = tone_packets(2)
    loud = np.full(1440, 8000, np.int16)  # 1.5 frames
    for name, audio in (("pcm", loud), ("opus", OpusSpeech.of(packets)), ("pcm2", np.full(960, 8000, np.int16))):
        track.play(Utterance(audio=audio, text=name, on_done=lambda u, _complete: order.append(u.text)))
    out = [bytes(await track.recv()) for _ in range(5)]
    # The PCM's last half frame is padded with silence; the Opus speech starts on a packet of its own.
    assert out[2:4] == packets and out[0] not in packets and out[1] not in packets
    assert out[4] != silence_packet()  # the second PCM utterance, through our encoder
    assert order == ["pcm", "opus", "pcm2"]


async def test_empty_opus_speech_is_done_at_once() -> None:
    track = PlayoutTrack()
    ended: list[bool] = []
    track.play(Utterance(audio=OpusSpeech.of([]), on_done=lambda _u, complete: ended.append(complete)))
    assert ended == [True] and not track.speaking
