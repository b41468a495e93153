"""Twilio Media Streams' wire protocol: the JSON text messages of a bidirectional stream.

Twilio sends `connected`, `start` (stream and call ids, custom parameters, the media format),
`media` (20 ms of 8 kHz μ-law, base64, with a per-track chunk counter), `mark` (a mark of ours
whose audio has played), `dtmf` (a key the caller pressed) and `stop` (the call or the stream
ended); an event it does not know is skipped. We send `media`, `mark` (tell me when this point
is heard) and `clear` (drop what you buffered: barge-in). Anything else that does not parse is
`Malformed`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from gateway.link.phone.wire import DTMF_DIGITS, Dtmf, Ignored, LineMessage, Malformed, Mark, Media, Stop, Unknown

MULAW = "audio/x-mulaw"
MAX_PAYLOAD_BYTES = 8_000  # a second of μ-law: Twilio sends 160 bytes (20 ms) per message
__all__ = ["Dtmf", "Malformed", "Mark", "Media", "Stop", "Unknown"]


@dataclass(frozen=True)
class Connected:
    protocol: str


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)


StreamMessage = Connected | Start | Media | Mark | Dtmf | Stop | Unknown


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed("bad_field", f"{what} is not an object")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Malformed("bad_field", f"{what} is not a string")
    return value


def parse(text: str) -> StreamMessage:
    try:
        message = json.loads(text)
    except ValueError:
        raise Malformed("not_json") from None
    message = _object(message, "the message")
    event = message.get("event")
    if event == "connected":
        return Connected(protocol=str(message.get("protocol", "")))
    if event == "start":
        start = _object(message.get("start"), "start")
        media_format = start.get("mediaFormat") or {}
        if _object(media_format, "mediaFormat").get("encoding", MULAW) != MULAW:
            raise Malformed("unsupported_encoding", str(media_format.get("encoding")))
        parameters = _object(start.get("customParameters") or {}, "customParameters")
        return Start(
            stream_sid=_text(message.get("streamSid") or start.get("streamSid"), "streamSid"),
            call_sid=_text(start.get("callSid", ""), "callSid"),
            account_sid=_text(start.get("accountSid", ""), "accountSid"),
            custom_parameters={str(k): str(v) for k, v in parameters.items()},
        )
    if event == "media":
        media = _object(message.get("media"), "media")
        payload = _text(media.get("payload"), "media.payload")
        if len(payload) > MAX_PAYLOAD_BYTES * 4 // 3 + 4:
            raise Malformed("oversized_media")
        try:
            audio = base64.b64decode(payload, validate=True)
            chunk = int(media.get("chunk", 0))
        except (binascii.Error, ValueError):
            raise Malformed("bad_media") from None
        return Media(payload=audio, chunk=chunk)
    if event == "mark":
        return Mark(name=_text(_object(message.get("mark"), "mark").get("name"), "mark.name"))
    if event == "dtmf":
        digit = _text(_object(message.get("dtmf"), "dtmf").get("digit"), "dtmf.digit")
        if digit not in DTMF_DIGITS or len(digit) != 1:
            raise Malformed("bad_dtmf", digit[:8])
        return Dtmf(digit=digit)
    if event == "stop":
        stop = message.get("stop") or {}
        return Stop(call_sid=str(_object(stop, "stop").get("callSid", "")))
    if not isinstance(event, str):
        raise Malformed("no_event")
    return Unknown(event=event[:32])


def media(stream_sid: str, mulaw: bytes) -> str:
    return json.dumps({"event": "media", "streamSid": stream_sid,
                       "media": {"payload": base64.b64encode(mulaw).decode()}})  # fmt: skip


def mark(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})


class TwilioWire:
    """Media Streams as a StreamLink's wire: text messages only, with marks and clear."""

    name = "twilio"

    def __init__(self, stream_sid: str) -> None:
        self.stream_sid = stream_sid

    def read(self, data: str | bytes) -> LineMessage:
        if isinstance(data, bytes):
            raise Malformed("binary_message")
        message = parse(data)
        return Ignored() if isinstance(message, Connected | Start) else message

    def media(self, audio: bytes) -> str:
        return media(self.stream_sid, audio)

    def mark(self, name: str) -> str:
        return mark(self.stream_sid, name)

    def clear(self) -> str:
        return clear(self.stream_sid)
