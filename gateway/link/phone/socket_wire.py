"""The plain audio socket: a framing any telephony bridge can speak (`GET /telephony/socket`).

Modelled on Vonage's Voice API WebSocket (a first JSON text message naming the audio format,
then binary frames of audio), with optional marks and clear for bridges that can use them:

1. The bridge opens the socket with one of our tokens (`?token=` or `Authorization: Bearer`,
   the same tokens as `/ws`: `voicepod token`).
2. Its first message is text, JSON: `{"content-type": "audio/l16;rate=16000"}` (16-bit signed
   little-endian mono PCM at 8000 or 16000 Hz; or `audio/x-mulaw;rate=8000`, G.711 μ-law).
   Other keys are ignored, except `"marks": true`: the bridge takes marks and clear (below).
3. Then: binary messages are the caller's audio in that format (20 ms each is best: 640 bytes of
   L16 at 16 kHz). Text messages, JSON: `{"event": "websocket:dtmf", "digit": "5"}` (Vonage's;
   `"event": "dtmf"` too) for a key, `{"event": "mark", "name": ...}` echoing one of our marks
   once what came before it has played, `{"event": "stop"}` when the call ends (or just close).
4. We send binary 20 ms frames of our speech in the same format; with marks on, also
   `{"event": "mark", "name": ...}` after each utterance and `{"event": "clear"}` when the caller
   speaks over the agent (drop what you hold of our audio). Without marks nothing is sent while
   the agent is silent and barge-in simply stops the audio.

Mapping other bridges: Asterisk's AudioSocket, FreeSWITCH's audio-stream modules, Plivo's and
Telnyx's streams differ in the envelope (a binary header, or base64 in JSON as Twilio's); a small
adapter in front of this socket, or a Wire of their own beside TwilioWire, carries them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.link.phone.wire import DTMF_DIGITS, Dtmf, Ignored, LineMessage, Malformed, Mark, Media, Stop, Unknown

CONTENT_TYPE = re.compile(r"^audio/(l16|x-mulaw|pcmu)\s*;\s*rate=(8000|16000)$")
MAX_AUDIO_BYTES = 32_000  # a second of L16 at 16 kHz in one message is already odd


def line_format(start: str) -> tuple[int, str, bool]:
    """The first message -> (rate, encoding for PhoneIn/PhoneOut, marks wanted); raises Malformed."""
    try:
        message: Any = json.loads(start)
    except ValueError:
        raise Malformed("not_json") from None
    if not isinstance(message, dict) or not isinstance(message.get("content-type"), str):
        raise Malformed("no_content_type")
    m = CONTENT_TYPE.match(message["content-type"].strip().lower())
    if m is None:
        raise Malformed("unsupported_encoding", str(message["content-type"])[:40])
    encoding, rate = ("pcm16" if m.group(1) == "l16" else "mulaw"), int(m.group(2))
    if encoding == "mulaw" and rate != 8000:
        raise Malformed("unsupported_encoding", "μ-law is 8000 Hz")
    return rate, encoding, message.get("marks") is True


class SocketWire:
    name = "socket"

    def __init__(self, marks: bool) -> None:
        self._marks = marks

    def read(self, data: str | bytes) -> LineMessage:
        if isinstance(data, bytes):
            if len(data) > MAX_AUDIO_BYTES:
                raise Malformed("oversized_media")
            return Media(payload=data)
        try:
            message: Any = json.loads(data)
        except ValueError:
            raise Malformed("not_json") from None
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise Malformed("no_event")
        event = message["event"]
        if event in ("websocket:dtmf", "dtmf"):
            digit = message.get("digit")
            if not isinstance(digit, str) or len(digit) != 1 or digit not in DTMF_DIGITS:
                raise Malformed("bad_dtmf")
            return Dtmf(digit)
        if event == "mark":
            if not isinstance(message.get("name"), str):
                raise Malformed("bad_field", "mark.name")
            return Mark(message["name"])
        if event == "stop":
            return Stop()
        if event == "start":
            return Ignored()
        return Unknown(event[:32])

    def media(self, audio: bytes) -> bytes:
        return audio

    def mark(self, name: str) -> str | None:
        return json.dumps({"event": "mark", "name": name}) if self._marks else None

    def clear(self) -> str | None:
        return json.dumps({"event": "clear"}) if self._marks else None
