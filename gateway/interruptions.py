"""False interruptions: caller speech during the agent's reply that is not a turn of its own.

A caller who says "uh-huh", "okay" or "mm-hm", or coughs, while the agent speaks is listening,
not taking the floor. The turn loop pauses the reply at every onset (the sound stops as fast as
for a real barge-in) and, once the caller's speech has ended, asks `is_backchannel`: yes, and the
reply resumes where it stopped; no, and it is dropped and the caller's turn answered, as before.

The rule: speech longer than `backchannel_max_ms` (from the onset's first likely frame to the
trailing silence) is a turn whatever it says. Shorter speech is a backchannel when its transcript is
empty (a cough, a noise) or only backchannel words (a hum written any way: "mm", "mhm", "M-m-m");
with no STT running, its length alone decides, at half that limit ("oh, okay" and "wait, stop" are
the same length: without their words a short sound is all that can be let pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words a listener says while listening. Not "yes" or "no": said during a read-back they answer it.
WORDS = ("uh", "huh", "uhhuh", "um", "hm", "hmm", "mm", "mmm", "mhm", "mmhm", "mmhmm", "ah", "oh", "okay", "ok",
         "yeah", "yep", "yup", "right", "alright", "sure", "cool", "great", "nice", "wow")  # fmt: skip
PHRASES = ("i see", "got it", "go on", "all right", "sounds good", "makes sense")
# Non-speech a transcriber writes out ("[coughs]", "(laughs)", "*sigh*"), and what is not a letter.
_ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")
_NOT_A_LETTER = re.compile(r"[^a-z' ]+")
_HUM = re.compile(r"[mhu]+")  # "mm", "hmm", "mhm", "uhhuh", "mmmmm": however a transcriber spells a hum


@dataclass(frozen=True)
class InterruptionSettings:
    resume: bool = True  # off: every onset during a reply drops it at once (barge-in as before)
    backchannel_max_ms: float = 1500.0  # speech longer than this is a real interruption (no STT: half)
    # Speech likely for this long while the agent talks pauses it (our VAD; the onset proper needs
    # barge_in_ms): a pause is undone at once if the sound stops short of an onset.
    pause_ms: float = 40.0
    # The silence that ends a barge-in turn whose speech is still short enough to be a backchannel.
    stop_ms: float = 300.0
    # The longest a reply stays paused without the caller's speech ending (a provider's onset that
    # no turn follows): then it resumes, or, if the caller is still in a turn, is dropped.
    window_ms: float = 2500.0
    words: tuple[str, ...] = WORDS
    phrases: tuple[str, ...] = PHRASES

    def __post_init__(self) -> None:
        if not 0.0 < self.backchannel_max_ms <= self.window_ms:
            raise ValueError(
                f"VOICEPOD_BACKCHANNEL_MAX_MS ({self.backchannel_max_ms}) must be above 0 and at most "
                f"VOICEPOD_FALSE_INTERRUPTION_WINDOW_MS ({self.window_ms})"
            )


def normalise(text: str) -> str:
    """Lower case, letters only, one space between words; "Uh-huh." -> "uhhuh"."""
    text = _ANNOTATION.sub(" ", text.lower()).replace("-", "")
    return " ".join(_NOT_A_LETTER.sub(" ", text).split())


def is_backchannel(text: str | None, speech_seconds: float, s: InterruptionSettings) -> bool:
    """`text`: the speech's transcript, None when no STT runs."""
    if speech_seconds * 1000 > s.backchannel_max_ms:
        return False
    if text is None:
        return speech_seconds * 1000 <= s.backchannel_max_ms / 2
    said = normalise(text)
    return not said or said in s.phrases or all(w in s.words or _HUM.fullmatch(w) for w in said.split())
