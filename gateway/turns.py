"""Endpointing: speech probabilities per 20 ms frame -> caller turns, and barge-in onsets.

A turn starts when speech has been likely (>= start_threshold) for start_ms. While the
agent is speaking, an onset must be stronger (barge_in_threshold) and last barge_in_ms
before it counts: the caller's browser cancels most of our echo, and this guards against
the rest. The turn's audio starts a preroll before the first speech-like frame (>= stop_threshold,
gaps between words spanned) that led to the onset (up to onset_reach_ms earlier), so words said under the stronger
threshold ("the first" of "the first one" on a phone line) are not lost.

How a turn ends (VOICEPOD_END_OF_TURN):
- `vad` (the default): after stop_ms below stop_threshold (digits_stop_ms when the agent has just
  asked for a phone number: callers pause between its groups).
- `model`: after eot_silence_ms below stop_threshold the turn's audio goes to an end-of-turn
  judge (gateway/media/end_of_turn.py) once; a "complete" at or above eot_threshold ends the
  turn as soon as it arrives, anything else waits for more speech, or for eot_max_silence_ms.
  Speech before the answer cancels that pause's question; the next pause asks again.
- `text`: after eot_silence_ms the words said so far (the incremental STT's decode of the turn,
  once it has heard all of the speech) are judged by gateway/text_end_of_turn.py, once per
  pause: "complete" ends the turn, "incomplete" (an utterance cannot end on "the", "for", "and",
  a phone number with six digits, ...) waits for more speech, or for eot_max_silence_ms. Until
  the decode is in, the pause waits (up to the maximum too).

A turn the caller starts over the agent (a barge-in) whose speech is still short
(gateway/interruptions.py: at most backchannel_max_ms) ends after the interruption settings'
shorter stop_ms: a paused reply need not wait the full silence to learn it was only an "uh-huh".
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import cast

import numpy as np
import structlog

from gateway.media.end_of_turn import EndOfTurnJudge
from gateway.media.pcm import FRAME_SECONDS, Pcm
from gateway.text_end_of_turn import HearsSoFar, TextVerdict, judge_words

# Re-exported: the settings live in a settings module (read there from VOICEPOD_*), used by many.
from gateway.turn_settings import END_OF_TURN_MODES as END_OF_TURN_MODES
from gateway.turn_settings import TurnSettings as TurnSettings

log = structlog.get_logger()
# Quiet shorter than this between speech-like frames is a gap between words (a stop consonant,
# a breath), not the end of what the caller was saying: an onset's reach-back spans it.
WORD_GAP_MS = 200.0
# A speech-like stretch at least this long that ends with no onset is logged (debug).
STRETCH_LOGGED_MS = 100.0
DIGIT_SLOTS = ("phone",)  # slots answered in groups of digits (gateway/providers/stt/context.py SLOTS)


@dataclass(frozen=True)
class SpeechStarted:
    barge_in: bool  # the agent was speaking when it started


@dataclass(frozen=True)
class TurnEnded:
    audio: Pcm  # 16 kHz, preroll included
    speech_seconds: float
    silence_seconds: float = 0.0  # waited after the caller's speech before ending (the latency's VAD stage)
    # From the first likely frame of the onset to the trailing silence (speech_seconds counts the preroll)
    voiced_seconds: float = 0.0


TurnEvent = SpeechStarted | TurnEnded


class TurnDetector:
    """One call's endpointing. `judge` (an end-of-turn model) is used only with end_of_turn=model,
    `words` (the STT session's text so far) only with end_of_turn=text."""

    def __init__(self, settings: TurnSettings, judge: EndOfTurnJudge | None = None,
                 words: HearsSoFar | None = None) -> None:  # fmt: skip
        if settings.end_of_turn == "model" and judge is None:
            raise ValueError("end_of_turn=model needs an end-of-turn judge (see detector_for)")
        if settings.end_of_turn == "text" and words is None:
            raise ValueError("end_of_turn=text needs an STT session that decodes while the caller speaks "
                             "(whisper with VOICEPOD_STT_INCREMENTAL=on)")  # fmt: skip
        self.s = settings
        self._judge = judge if settings.end_of_turn == "model" else None
        self._words = words if settings.end_of_turn == "text" else None
        self.verdict: TextVerdict | None = None  # the words' last verdict (for logs, tests, benchmarks)
        frame_ms = FRAME_SECONDS * 1000
        self._preroll_frames = max(1, int(settings.preroll_ms / frame_ms))
        self._preroll: deque[Pcm] = deque(maxlen=self._preroll_frames + int(settings.onset_reach_ms / frame_ms))
        self._soft_frames = 0  # no turn open: frames since speech-like ones began (gaps between words included)
        self._dip_frames = 0  # no turn open: the current run of frames under stop_threshold
        self._stretch = _Stretch()  # no turn open: the speech-like stretch so far, for `speech_without_onset`
        self._frame_ms = frame_ms
        self._in_turn = False
        self._likely_ms = 0.0
        self._unlikely_ms = 0.0
        self._turn: list[Pcm] = []
        self._verdict: Future[float] | None = None  # this pause's question to the judge
        self._asked = False  # already asked in this pause (one inference per pause)
        self._barge_in = False  # this turn started while the agent was speaking
        self._stop_ms = settings.stop_ms  # this turn's silence (VAD only): longer for digits
        self._lead_ms = 0.0  # of the turn's audio before its onset's first likely frame
        self.judged = 0  # questions asked (for tests and benchmarks)

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    def expect(self, slot: str | None) -> None:
        """What the agent just asked for: an answer in digits may pause longer between its groups."""
        self._stop_ms = self.s.digits_stop_ms if slot in DIGIT_SLOTS else self.s.stop_ms

    @property
    def turn_frames(self) -> int:
        """Frames of the open turn so far, its preroll included (0: no turn open)."""
        return len(self._turn) if self._in_turn else 0

    def feed(self, frame: Pcm, probability: float, *, agent_speaking: bool) -> TurnEvent | None:
        if not self._in_turn:
            self._preroll.append(frame)
            threshold, needed = (
                (self.s.barge_in_threshold, self.s.barge_in_ms) if agent_speaking
                else (self.s.start_threshold, self.s.start_ms)
            )  # fmt: skip
            self._likely_ms = self._likely_ms + self._frame_ms if probability >= threshold else 0.0
            self._follow_soft_run(probability)
            self._stretch.follow(self._soft_frames, probability, self._likely_ms, agent_speaking)
            if self._likely_ms >= needed:
                self._in_turn, self._unlikely_ms = True, 0.0
                self._turn = list(self._preroll)[-self._onset_frames() :]
                self._barge_in, self._lead_ms = agent_speaking, len(self._turn) * self._frame_ms - self._likely_ms
                self._preroll.clear()
                self._stretch = _Stretch()
                return SpeechStarted(barge_in=agent_speaking)
            return None
        self._turn.append(frame)
        if probability < self.s.stop_threshold:
            self._unlikely_ms += self._frame_ms
        else:
            self._unlikely_ms, self._verdict, self._asked = 0.0, None, False  # still talking
        too_long = len(self._turn) * self._frame_ms >= self.s.max_turn_ms
        if too_long or self._pause_ends_turn():
            return self._end()
        return None

    def _follow_soft_run(self, probability: float) -> None:
        if probability >= self.s.stop_threshold:
            self._soft_frames = self._soft_frames + self._dip_frames + 1 if self._soft_frames else 1
            self._dip_frames = 0
            return
        self._dip_frames += 1
        if self._dip_frames * self._frame_ms >= WORD_GAP_MS:
            self._soft_frames = 0  # a pause, not a gap between words: what came before is not this turn

    def _onset_frames(self) -> int:
        """The turn's audio before and at its onset: the preroll before the first frame that sounded
        like speech (over the agent, the first words may stay under the barge-in threshold)."""
        likely = round(self._likely_ms / self._frame_ms)
        return self._preroll_frames + max(0, self._soft_frames - likely)

    def _voiced_ms(self) -> float:
        return len(self._turn) * self._frame_ms - self._lead_ms - self._unlikely_ms

    def _pause_ends_turn(self) -> bool:
        short = self.s.interruptions
        if (self._barge_in and short.resume and self._unlikely_ms >= short.stop_ms
                and self._voiced_ms() <= short.backchannel_max_ms):  # fmt: skip
            return True
        if self._judge is None and self._words is None:
            return self._unlikely_ms >= self._stop_ms
        if self._unlikely_ms >= self.s.eot_max_silence_ms:
            return True
        if self._words is not None:
            return self._words_end_turn()
        assert self._judge is not None
        if not self._asked and self._unlikely_ms >= self.s.eot_silence_ms:
            self._asked, self.judged = True, self.judged + 1
            self._verdict = self._judge.judge(np.concatenate(self._turn))
        if self._verdict is None or not self._verdict.done():
            return False
        verdict, self._verdict = self._verdict, None
        try:
            return verdict.result() >= self.s.eot_threshold
        except Exception:  # a failed inference is not a verdict: the pause runs to its maximum
            log.exception("end_of_turn_model_failed")
            return False

    def _words_end_turn(self) -> bool:
        """Once per pause, as soon as a decode has heard all that was said: do the words end the turn?"""
        assert self._words is not None
        if self._asked or self._unlikely_ms < self.s.eot_silence_ms:
            return False
        heard = self._words.said_so_far()
        if heard is None:
            return False  # the decode is not in yet: asked again on the next frame
        self._asked, self.judged = True, self.judged + 1
        transcript, context = heard
        self.verdict = judge_words(transcript.text, context.slot)
        log.debug("end_of_turn_words", text=transcript.text, slot=context.slot, complete=self.verdict.complete,
                  reason=self.verdict.reason)  # fmt: skip
        return self.verdict.complete

    def _end(self) -> TurnEnded:
        audio = np.concatenate(self._turn)
        silence = self._unlikely_ms / 1000
        speech = len(self._turn) * self._frame_ms / 1000 - silence
        voiced = self._voiced_ms() / 1000
        self._in_turn, self._likely_ms, self._turn, self._soft_frames, self._dip_frames = False, 0.0, [], 0, 0
        self._verdict, self._asked = None, False
        return TurnEnded(audio=audio, speech_seconds=max(0.0, speech), silence_seconds=silence,
                         voiced_seconds=max(0.0, voiced))  # fmt: skip


class _Stretch:
    """Speech-like frames with no turn open (gaps between words spanned): one that ends short of an
    onset is logged at debug, `speech_without_onset` (a caller's word that was never a turn: how
    likely it sounded, and for how long, against what an onset needs)."""

    def __init__(self) -> None:
        self.frames = 0
        self.peak = 0.0
        self.likely_ms = 0.0  # the longest run at or above the onset's threshold
        self.agent_speaking = False

    def follow(self, soft_frames: int, probability: float, likely_ms: float, agent_speaking: bool) -> None:
        if soft_frames:
            self.frames, self.peak = soft_frames, max(self.peak, probability)
            self.likely_ms = max(self.likely_ms, likely_ms)
            self.agent_speaking = self.agent_speaking or agent_speaking
            return
        if not self.frames:
            return
        if self.frames * FRAME_SECONDS * 1000 >= STRETCH_LOGGED_MS:
            log.debug("speech_without_onset", ms=round(self.frames * FRAME_SECONDS * 1000), peak=round(self.peak, 2),
                      likely_ms=self.likely_ms, agent_speaking=self.agent_speaking)  # fmt: skip
        self.frames, self.peak, self.likely_ms, self.agent_speaking = 0, 0.0, 0.0, False


def detector_for(settings: TurnSettings, words: object = None) -> TurnDetector:
    """A call's detector as the settings say: with the process's end-of-turn model when asked for;
    `words`: the call's STT session, read for its text so far with end_of_turn=text."""
    if settings.end_of_turn == "text":
        if not callable(getattr(words, "said_so_far", None)):
            raise ValueError("VOICEPOD_END_OF_TURN=text needs whisper with VOICEPOD_STT_INCREMENTAL=on")
        return TurnDetector(settings, words=cast(HearsSoFar, words))
    if settings.end_of_turn == "model":
        from gateway.media.end_of_turn import shared_judge

        return TurnDetector(settings, shared_judge())
    return TurnDetector(settings)
