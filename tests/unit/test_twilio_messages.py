"""Twilio Media Streams messages (gateway/link/phone/twilio_messages.py): Twilio's documented
shapes parse; anything else is Malformed with a reason, or an unknown event skipped."""

from __future__ import annotations

import base64
import json

import pytest

from gateway.link.phone import twilio_messages as tm

START = {
    "event": "start", "sequenceNumber": "1", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
    "start": {"accountSid": "AC123", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0", "callSid": "CA123",
              "tracks": ["inbound"], "customParameters": {"token": "a.b"},
              "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
}  # fmt: skip


def test_twilios_messages_parse() -> None:
    assert tm.parse('{"event": "connected", "protocol": "Call", "version": "1.0.0"}') == tm.Connected("Call")
    assert tm.parse(json.dumps(START)) == tm.Start("MZ18ad3ab5a668481ce02b83e7395059f0", "CA123", "AC123",
                                                   {"token": "a.b"})  # fmt: skip
    payload = base64.b64encode(b"\xff" * 160).decode()
    media = {"event": "media", "sequenceNumber": "3", "streamSid": "MZ1",
             "media": {"track": "inbound", "chunk": "7", "timestamp": "140", "payload": payload}}  # fmt: skip
    assert tm.parse(json.dumps(media)) == tm.Media(b"\xff" * 160, 7)
    assert tm.parse('{"event": "mark", "streamSid": "MZ1", "mark": {"name": "u3"}}') == tm.Mark("u3")
    assert tm.parse('{"event": "dtmf", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": "#"}}') == (
        tm.Dtmf("#")
    )
    assert tm.parse('{"event": "stop", "stop": {"accountSid": "AC1", "callSid": "CA1"}}') == tm.Stop("CA1")
    assert tm.parse('{"event": "something_new"}') == tm.Unknown("something_new")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not_json"),
        ("[1, 2]", "bad_field"),
        ('{"no": "event"}', "no_event"),
        ('{"event": "media", "media": {"payload": "***"}}', "bad_media"),
        ('{"event": "media", "media": {"payload": 5}}', "bad_field"),
        ('{"event": "media", "media": {"payload": "' + "A" * 20000 + '"}}', "oversized_media"),
        ('{"event": "dtmf", "dtmf": {"digit": "12"}}', "bad_dtmf"),
        ('{"event": "start", "start": {"streamSid": "MZ1", "mediaFormat": {"encoding": "audio/l16"}}}',
         "unsupported_encoding"),
        ('{"event": "start", "start": {}}', "bad_field"),
        ('{"event": "mark", "mark": "u1"}', "bad_field"),
    ],
)  # fmt: skip
def test_what_is_not_twilios_protocol_is_malformed(text: str, reason: str) -> None:
    with pytest.raises(tm.Malformed) as caught:
        tm.parse(text)
    assert caught.value.reason == reason


def test_what_we_send_is_twilios_shape() -> None:
    assert json.loads(tm.media("MZ1", b"\x00\xff")) == {"event": "media", "streamSid": "MZ1",
                                                       "media": {"payload": "AP8="}}  # fmt: skip
    assert json.loads(tm.mark("MZ1", "u1")) == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "u1"}}
    assert json.loads(tm.clear("MZ1")) == {"event": "clear", "streamSid": "MZ1"}
