"""Payloads that are not valid Protobuf for a given message type (checked with the real decoder)."""

from __future__ import annotations

import random

from google.protobuf.message import DecodeError, Message


def _candidates(rng: random.Random, valid: bytes) -> bytes:
    kind = rng.randrange(7)
    if kind == 0:  # random bytes
        return rng.randbytes(rng.randint(1, 64))
    if kind == 1:  # a field with a reserved wire type (6 or 7)
        return bytes([(rng.randint(1, 15) << 3) | rng.choice((6, 7))]) + rng.randbytes(rng.randint(0, 8))
    if kind == 2:  # a length-delimited field longer than the message
        return bytes([(rng.randint(1, 15) << 3) | 2, rng.randint(20, 127)]) + rng.randbytes(rng.randint(0, 10))
    if kind == 3:  # a varint that never ends
        return bytes([(rng.randint(1, 15) << 3) | 0]) + b"\xff" * rng.randint(10, 12)
    if kind == 4:  # a valid message cut short
        return valid[: rng.randint(1, max(1, len(valid) - 1))] if len(valid) > 1 else b"\x0a"
    if kind == 5 and len(valid) > 2:  # a valid message with a few bytes flipped, dropped or inserted
        mutated = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(mutated))
            action = rng.randrange(3)
            if action == 0:
                mutated[at] ^= 1 << rng.randrange(8)
            elif action == 1 and len(mutated) > 1:
                del mutated[at]
            else:
                mutated.insert(at, rng.randrange(256))
        return bytes(mutated)
    # a string field (field 1 is a string in most requests) carrying invalid UTF-8
    body = b"\xc3\x28\xa0\xa1" + rng.randbytes(rng.randint(0, 6))
    return bytes([(1 << 3) | 2, len(body)]) + body


def malformed_payloads(message_type: type[Message], valid: Message, count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    valid_bytes = valid.SerializeToString()
    out: list[bytes] = []
    while len(out) < count:
        payload = _candidates(rng, valid_bytes)
        try:
            message_type.FromString(payload)
        except DecodeError:
            out.append(payload)
    return out
