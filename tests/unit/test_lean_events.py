"""Where a lean call's events go: held while the data channel opens, then on it in order; on the
socket when the caller has no channel or it never opens; each event once, with the time it was made."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from aiortc import RTCDataChannel

from gateway.call_event_types import AgentText, CallEnded, CallStarted, SpeechStarted, Stats, TurnEnded
from gateway.call_events import SocketEvents
from gateway.link.lean_events import LeanEvents
from gateway.stats import MediaSummary


class FakeChannel:
    """What LeanEvents uses of an RTCDataChannel."""

    def __init__(self, state: str = "connecting") -> None:
        self.readyState = state
        self.sent: list[dict[str, Any]] = []
        self._on_open: list[Callable[[], None]] = []

    def on(self, event: str, handler: Callable[[], None]) -> None:
        assert event == "open"
        self._on_open.append(handler)

    def send(self, text: str) -> None:
        assert self.readyState == "open"
        self.sent.append(json.loads(text))

    def open(self) -> None:
        self.readyState = "open"
        for handler in self._on_open:
            handler()


def _events() -> tuple[LeanEvents, list[dict[str, Any]]]:
    posted: list[dict[str, Any]] = []
    socket = SocketEvents(posted.append)
    socket.opened = True
    return LeanEvents(socket), posted


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def test_events_wait_for_the_channel_then_go_on_it_in_order() -> None:
    events, posted = _events()
    channel = FakeChannel()
    events.expect(cast(RTCDataChannel, channel))
    events.send(CallStarted(call_id="c1"))
    events.send(SpeechStarted(barge_in=False))
    assert channel.sent == [] and posted == [] and events.sent == 0
    channel.open()
    events.send(TurnEnded(turn=1, speech_seconds=1.0))
    assert _types(channel.sent) == ["call.started", "speech.started", "turn.ended"] and posted == []
    assert events.sent == 3 and events.on_channel


def test_a_channel_that_never_opens_hands_its_events_to_the_socket_as_they_were_made() -> None:
    events, posted = _events()
    channel = FakeChannel()
    events.expect(cast(RTCDataChannel, channel))
    events.send(CallStarted(call_id="c1"))
    events.fall_back()
    events.send(CallEnded(reason="drain"))
    assert [m["event"]["type"] for m in posted] == ["call.started", "call.ended"]
    held_at = posted[0]["event"]["at"]
    assert isinstance(held_at, float) and held_at <= posted[1]["event"]["at"]
    channel.open()  # too late: nothing goes on it
    assert channel.sent == [] and events.sent == 2


def test_a_closed_channel_sends_the_events_to_the_socket() -> None:
    events, posted = _events()
    channel = FakeChannel("open")
    events.expect(cast(RTCDataChannel, channel))
    events.send(CallStarted(call_id="c1"))
    channel.readyState = "closed"
    events.send(CallEnded(reason="media_closed"))
    assert _types(channel.sent) == ["call.started"] and [m["event"]["type"] for m in posted] == ["call.ended"]


def test_a_callers_own_events_channel_gets_what_was_sent_on_the_negotiated_one() -> None:
    events, posted = _events()
    negotiated, own = FakeChannel(), FakeChannel("open")
    events.expect(cast(RTCDataChannel, negotiated))
    events.send(CallStarted(call_id="c1"))
    negotiated.open()
    events.expect(cast(RTCDataChannel, own))  # the caller opened "events" in-band: it listens there
    events.send(AgentText(text="Hi", turn=0))
    assert _types(own.sent) == ["call.started", "agent.text"] and own.sent[0] == negotiated.sent[0]
    assert posted == [] and events.sent == 2


def test_after_close_nothing_is_sent() -> None:
    events, posted = _events()
    channel = FakeChannel()
    events.expect(cast(RTCDataChannel, channel))
    events.send(CallEnded(reason="drain"))
    events.close()
    channel.open()
    events.send(Stats(MediaSummary()))
    events.fall_back()
    assert channel.sent == [] and posted == []
