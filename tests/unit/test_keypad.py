"""Keys pressed on a phone (gateway/link/phone/keypad.py) become one typed entry."""

from __future__ import annotations

import asyncio

from gateway.link.phone.keypad import MAX_KEYS, Keypad


async def test_hash_ends_an_entry_and_star_starts_it_over() -> None:
    entries: list[str] = []
    keypad = Keypad(entries.append, pause=60)
    for key in "12*512555#":
        keypad.press(key)
    keypad.press("#")  # an empty entry is no entry
    assert entries == ["512555"] and keypad.entries == 1


async def test_a_whole_number_ends_the_entry_without_a_hash() -> None:
    entries: list[str] = []
    keypad = Keypad(entries.append, pause=60)
    for key in "15125550134"[:MAX_KEYS]:
        keypad.press(key)
    assert entries == ["15125550134"]


async def test_a_pause_ends_the_entry_and_a_closed_keypad_sends_nothing() -> None:
    entered: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    keypad = Keypad(entered.set_result, pause=0.05)
    keypad.press("4")
    keypad.press("2")
    assert await asyncio.wait_for(entered, 5) == "42"
    late: list[str] = []
    closed = Keypad(late.append, pause=0.01)
    closed.press("9")
    closed.close()
    closed.press("#")
    assert late == []
