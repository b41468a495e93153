"""Endpointing: the VAD-only rule, and the end-of-turn model's rule with a fake judge."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pytest
from structlog.testing import capture_logs

from gateway.media.pcm import IN_FRAME, Pcm
from gateway.providers.stt import Transcript
from gateway.providers.stt.context import SpeechContext
from gateway.turns import SpeechStarted, TurnDetector, TurnEnded, TurnEvent, TurnSettings, detector_for

SPEECH, QUIET = 0.9, 0.05
MODEL = TurnSettings(end_of_turn="model", eot_silence_ms=200, eot_threshold=0.6, eot_max_silence_ms=1000)


class FakeJudge:
    """Answers each question with the next of `answers`; None leaves the answer pending."""

    def __init__(self, *answers: float | BaseException | None) -> None:
        self.answers = list(answers)
        self.heard: list[Pcm] = []
        self.pending: list[Future[float]] = []

    def judge(self, audio: Pcm) -> Future[float]:
        self.heard.append(audio)
        future: Future[float] = Future()
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        elif answer is not None:
            future.set_result(answer)
        else:
            self.pending.append(future)
        return future


def frame(value: int) -> Pcm:
    return np.full(IN_FRAME, value, dtype=np.int16)


def run(detector: TurnDetector, probabilities: list[float]) -> list[tuple[int, TurnEvent]]:
    """Feeds one frame per probability (frame i holds the value i); the events with their frame index."""
    events = []
    for i, p in enumerate(probabilities):
        event = detector.feed(frame(i), p, agent_speaking=False)
        if event is not None:
            events.append((i, event))
    return events


def frames(ms: float, p: float) -> list[float]:
    return [p] * round(ms / 20)


def ended_at(events: list[tuple[int, TurnEvent]]) -> list[int]:
    return [i for i, e in events if isinstance(e, TurnEnded)]


def test_vad_only_ends_the_turn_after_stop_ms_of_quiet() -> None:
    detector = TurnDetector(TurnSettings(stop_ms=600))
    events = run(detector, frames(500, SPEECH) + frames(1000, QUIET))
    assert isinstance(events[0][1], SpeechStarted)
    assert ended_at(events) == [25 + 30 - 1]  # the 30th quiet frame
    assert events[-1][1].silence_seconds == pytest.approx(0.6)  # type: ignore[union-attr]


def test_a_confident_complete_ends_the_turn_after_the_short_silence() -> None:
    judge = FakeJudge(0.9)
    detector = TurnDetector(MODEL, judge)
    events = run(detector, frames(500, SPEECH) + frames(1500, QUIET))
    assert ended_at(events) == [25 + 10 - 1]  # 200 ms of quiet, not 600
    ended = events[-1][1]
    assert isinstance(ended, TurnEnded) and ended.silence_seconds == pytest.approx(0.2)
    # the judge heard the whole turn so far: preroll, speech and the 200 ms of quiet
    assert len(judge.heard) == 1 and np.array_equal(judge.heard[0], ended.audio)
    assert judge.heard[0][-1] == 25 + 10 - 1


def test_incomplete_waits_for_the_maximum_silence_and_asks_once_per_pause() -> None:
    judge = FakeJudge(0.3)
    detector = TurnDetector(MODEL, judge)
    events = run(detector, frames(500, SPEECH) + frames(1500, QUIET))
    assert ended_at(events) == [25 + 50 - 1]  # eot_max_silence_ms = 1000
    assert detector.judged == 1


def test_speech_after_an_incomplete_continues_the_turn_and_the_next_pause_asks_again() -> None:
    judge = FakeJudge(0.1, 0.95)
    detector = TurnDetector(MODEL, judge)
    probabilities = frames(400, SPEECH) + frames(700, QUIET) + frames(400, SPEECH) + frames(1000, QUIET)
    events = run(detector, probabilities)
    assert ended_at(events) == [20 + 35 + 20 + 10 - 1]  # one turn, ended 200 ms into the second pause
    assert detector.judged == 2


def test_a_late_answer_ends_the_turn_when_it_arrives() -> None:
    judge = FakeJudge(None)
    detector = TurnDetector(MODEL, judge)
    assert ended_at(run(detector, frames(500, SPEECH) + frames(300, QUIET))) == []
    judge.pending[0].set_result(0.8)
    ((_, ended),) = run(detector, [QUIET])
    assert isinstance(ended, TurnEnded) and ended.silence_seconds == pytest.approx(0.32)


def test_an_answer_that_comes_after_the_caller_spoke_again_is_ignored() -> None:
    judge = FakeJudge(None, None)
    detector = TurnDetector(MODEL, judge)
    run(detector, frames(500, SPEECH) + frames(300, QUIET) + frames(100, SPEECH))
    judge.pending[0].set_result(0.99)  # about the pause the caller already ended by speaking
    assert ended_at(run(detector, frames(180, QUIET))) == []
    assert detector.in_turn


def test_a_failing_model_leaves_the_pause_to_its_maximum() -> None:
    judge = FakeJudge(RuntimeError("inference failed"))
    detector = TurnDetector(MODEL, judge)
    events = run(detector, frames(500, SPEECH) + frames(1500, QUIET))
    assert ended_at(events) == [25 + 50 - 1]


def test_the_vad_mode_never_asks_a_judge() -> None:
    judge = FakeJudge()
    detector = TurnDetector(TurnSettings(end_of_turn="vad"), judge)
    run(detector, frames(500, SPEECH) + frames(1000, QUIET))
    assert judge.heard == [] and detector.judged == 0


def test_the_model_mode_needs_a_judge() -> None:
    with pytest.raises(ValueError, match="judge"):
        TurnDetector(MODEL)


def test_settings_from_the_environment() -> None:
    s = TurnSettings.from_env(
        {
            "VOICEPOD_END_OF_TURN": "Model",
            "VOICEPOD_EOT_SILENCE_MS": "300",
            "VOICEPOD_EOT_THRESHOLD": "0.7",
            "VOICEPOD_EOT_MAX_SILENCE_MS": "2000",
        }
    )
    assert (s.end_of_turn, s.eot_silence_ms, s.eot_threshold, s.eot_max_silence_ms) == ("model", 300, 0.7, 2000)
    assert TurnSettings.from_env({}).end_of_turn == "vad"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VOICEPOD_END_OF_TURN": "smart"}, "VOICEPOD_END_OF_TURN"),
        ({"VOICEPOD_EOT_THRESHOLD": "1.5"}, "VOICEPOD_EOT_THRESHOLD"),
        ({"VOICEPOD_EOT_SILENCE_MS": "3000"}, "VOICEPOD_EOT_SILENCE_MS"),
        ({"VOICEPOD_EOT_MAX_SILENCE_MS": "soon"}, "VOICEPOD_EOT_MAX_SILENCE_MS"),
    ],
)
def test_bad_settings_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TurnSettings.from_env(env)


def test_the_first_pause_is_the_models_short_silence_or_the_vads_stop() -> None:
    assert TurnSettings(stop_ms=700).first_pause_ms == 700
    assert TurnSettings(end_of_turn="model", stop_ms=700, eot_silence_ms=250).first_pause_ms == 250


def run_over_the_agent(detector: TurnDetector, probabilities: list[float]) -> list[tuple[int, TurnEvent]]:
    events = []
    for i, p in enumerate(probabilities):
        event = detector.feed(frame(i), p, agent_speaking=True)
        if event is not None:
            events.append((i, event))
    return events


def test_a_short_barge_in_ends_after_the_shorter_silence_and_a_long_one_after_stop_ms() -> None:
    short = run_over_the_agent(TurnDetector(TurnSettings(stop_ms=600)),
                               frames(400, QUIET) + frames(400, SPEECH) + frames(1000, QUIET))  # fmt: skip
    assert isinstance(short[0][1], SpeechStarted) and short[0][1].barge_in
    assert ended_at(short) == [20 + 20 + 15 - 1]  # 300 ms of quiet (VOICEPOD_BACKCHANNEL_STOP_MS)
    ended = short[-1][1]
    assert isinstance(ended, TurnEnded) and ended.voiced_seconds == pytest.approx(0.4)
    assert ended.speech_seconds == pytest.approx(0.4 + 0.3 - 0.12)  # the preroll: 300 ms before the onset
    long = run_over_the_agent(TurnDetector(TurnSettings(stop_ms=600)),
                              frames(400, QUIET) + frames(1600, SPEECH) + frames(1000, QUIET))  # fmt: skip
    assert ended_at(long) == [20 + 80 + 30 - 1]


# --- the words so far (end_of_turn=text) -----------------------------------------------------

TEXT = TurnSettings(end_of_turn="text", eot_silence_ms=200, eot_max_silence_ms=1000)


class FakeWords:
    """An STT session's text so far: None until the test says what the decode heard."""

    def __init__(self) -> None:
        self.heard: tuple[Transcript, SpeechContext] | None = None
        self.asked = 0

    def say(self, text: str, slot: str | None = None) -> None:
        self.heard = Transcript(text=text, confidence=0.9, seconds=0.0), SpeechContext(slot=slot)

    def said_so_far(self) -> tuple[Transcript, SpeechContext] | None:
        self.asked += 1
        return self.heard


def test_words_that_can_end_a_sentence_end_the_turn_after_the_short_silence() -> None:
    words = FakeWords()
    detector = TurnDetector(TEXT, words=words)
    words.say("I'd like to cancel my booking.")
    events = run(detector, frames(500, SPEECH) + frames(1500, QUIET))
    assert ended_at(events) == [25 + 10 - 1]
    assert detector.verdict is not None and detector.verdict.complete and detector.judged == 1


def test_words_that_cannot_end_a_sentence_wait_for_the_maximum() -> None:
    words = FakeWords()
    detector = TurnDetector(TEXT, words=words)
    words.say("I'd like to cancel my")
    events = run(detector, frames(500, SPEECH) + frames(1500, QUIET))
    assert ended_at(events) == [25 + 50 - 1]  # eot_max_silence_ms = 1000
    assert detector.judged == 1 and detector.verdict is not None and not detector.verdict.complete


def test_a_phone_number_short_of_ten_digits_waits_when_the_dialog_asked_for_one() -> None:
    words = FakeWords()
    detector = TurnDetector(TEXT, words=words)
    words.say("720 881", slot="phone")
    probabilities = frames(500, SPEECH) + frames(600, QUIET) + frames(500, SPEECH) + frames(1500, QUIET)
    events = run(detector, probabilities[:55])
    assert ended_at(events) == [] and detector.in_turn  # 600 ms into the pause: still waiting
    words.say("720 881 4406", slot="phone")
    events = run(detector, probabilities[55:])
    assert ended_at(events) == [25 + 10 - 1]  # the second pause's words end it at its short silence


def test_the_words_decide_when_they_arrive_and_no_words_wait_for_the_maximum() -> None:
    words = FakeWords()
    detector = TurnDetector(TEXT, words=words)
    assert ended_at(run(detector, frames(500, SPEECH) + frames(400, QUIET))) == []
    assert words.asked > 1  # asked on every frame after the short silence until a decode is in
    words.say("That's all, thanks.")
    ((_, ended),) = run(detector, [QUIET])
    assert isinstance(ended, TurnEnded) and ended.silence_seconds == pytest.approx(0.42)
    silent = TurnDetector(TEXT, words=FakeWords())
    assert ended_at(run(silent, frames(500, SPEECH) + frames(1500, QUIET))) == [25 + 50 - 1]


def test_the_text_mode_needs_a_session_that_decodes_while_the_caller_speaks() -> None:
    with pytest.raises(ValueError, match="VOICEPOD_STT_INCREMENTAL=on"):
        detector_for(TEXT)
    with pytest.raises(ValueError, match="VOICEPOD_STT_INCREMENTAL=on"):
        detector_for(TEXT, object())  # a per-turn session has no text so far
    assert detector_for(TEXT, FakeWords()).s.end_of_turn == "text"
    assert TurnSettings.from_env({"VOICEPOD_END_OF_TURN": "text"}).first_pause_ms == 200


def test_a_barge_in_keeps_its_first_words_said_under_the_stronger_threshold() -> None:
    """Over the agent, "The first one" on a phone line: "The first" sounded like speech (0.5-0.6)
    but only "one" passed the barge-in threshold (0.7); the turn's audio still starts before "The"."""
    said = frames(400, QUIET) + frames(100, 0.3) + frames(500, 0.55) + frames(400, SPEECH) + frames(1000, QUIET)
    events = run_over_the_agent(TurnDetector(TurnSettings(stop_ms=600, barge_in_ms=120)), said)
    onset, ended = events[0], events[-1][1]
    assert isinstance(onset[1], SpeechStarted) and onset[1].barge_in and onset[0] == 20 + 5 + 25 + 5
    assert isinstance(ended, TurnEnded)
    first = int(ended.audio[0])  # frame i holds the value i
    # As much before the first speech-like frame (25) as the plain preroll keeps before the first
    # likely one: 300 ms up to the onset, 6 of them likely frames
    assert first == 25 - (15 - 6)


def test_the_reach_back_is_bounded_and_a_plain_onset_keeps_the_plain_preroll() -> None:
    long_murmur = frames(200, QUIET) + frames(3000, 0.5) + frames(400, SPEECH) + frames(800, QUIET)
    ended = run_over_the_agent(TurnDetector(TurnSettings(barge_in_ms=120)), long_murmur)[-1][1]
    assert isinstance(ended, TurnEnded)
    onset = 10 + 150 + 5
    assert int(ended.audio[0]) == onset - 15 - 50 + 1  # at most 1 s (onset_reach_ms) more than the preroll
    plain = run(TurnDetector(TurnSettings()), frames(400, QUIET) + frames(400, SPEECH) + frames(800, QUIET))
    ended = plain[-1][1]
    assert isinstance(ended, TurnEnded) and int(ended.audio[0]) == 20 + 4 - 15 + 1


def test_the_reach_back_spans_a_gap_between_words_but_not_a_pause() -> None:
    words = frames(400, QUIET) + frames(200, 0.45) + frames(140, 0.2) + frames(400, SPEECH) + frames(800, QUIET)
    ended = run_over_the_agent(TurnDetector(TurnSettings(barge_in_ms=120)), words)[-1][1]
    assert isinstance(ended, TurnEnded) and int(ended.audio[0]) == 20 - (15 - 6)  # from before the first word
    paused = frames(400, QUIET) + frames(200, 0.45) + frames(300, 0.2) + frames(400, SPEECH) + frames(800, QUIET)
    ended = run_over_the_agent(TurnDetector(TurnSettings(barge_in_ms=120)), paused)[-1][1]
    assert isinstance(ended, TurnEnded) and int(ended.audio[0]) == 20 + 10 + 15 - (15 - 6)  # the plain preroll


def test_a_word_that_never_became_an_onset_is_logged_with_how_likely_it_sounded() -> None:
    """A phone caller's "yes" likely for 60 ms, under the onset's 100 ms: no turn, but a debug line."""
    with capture_logs() as logs:
        events = run(TurnDetector(TurnSettings()), frames(200, QUIET) + frames(60, 0.6) + frames(100, 0.4)
                     + frames(400, QUIET))  # fmt: skip
    assert events == []
    (line,) = [e for e in logs if e["event"] == "speech_without_onset"]
    assert line == {"event": "speech_without_onset", "log_level": "debug", "ms": 160, "peak": 0.6, "likely_ms": 60.0,
                    "agent_speaking": False}  # fmt: skip
    with capture_logs() as logs:
        run(TurnDetector(TurnSettings()), frames(200, QUIET) + frames(400, SPEECH) + frames(1000, QUIET))
    assert not [e for e in logs if e["event"] == "speech_without_onset"]  # a turn: nothing to tell
