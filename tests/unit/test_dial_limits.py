"""Calls per number per window, and what Twilio's AMD verdicts mean for the call."""

from __future__ import annotations

from gateway.link.phone.dial_limits import DialLimits
from gateway.link.phone.dials import outcome_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_number_gets_its_limit_per_window_and_a_refusal_counts_for_nothing() -> None:
    clock = Clock()
    limits = DialLimits(2, 60.0, clock)
    assert limits.take("+15125550147") and limits.take("+15125550147")
    clock.now += 59.0
    assert not limits.take("+15125550147")  # the window still holds both
    assert limits.take("+15125550148")  # another number: its own count
    clock.now += 1.0  # the first two leave the window; the refusal was never counted
    assert limits.take("+15125550147") and limits.take("+15125550147")
    assert not limits.take("+15125550147")


def test_numbers_whose_dials_left_the_window_are_forgotten() -> None:
    clock = Clock()
    limits = DialLimits(1, 10.0, clock)
    for n in range(100):
        limits.take(f"+1512555{n:04d}")
    clock.now += 10.0
    limits.take("+15125550999")
    assert list(limits._dialled) == ["+15125550999"]


def test_machines_get_the_voicemail_faxes_nothing_and_the_rest_the_agent() -> None:
    for answered_by in ("machine_end_beep", "machine_end_silence", "machine_end_other"):
        assert outcome_of(answered_by) == "voicemail"
    assert outcome_of("fax") == "failed"
    assert outcome_of("human") == outcome_of("unknown") == outcome_of("") == "human"
