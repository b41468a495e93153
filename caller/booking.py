"""A whole booking call as caller lines, worded so whisper tiny.en hears them reliably:
numbers as words ("nine hundred K" comes out as "900k"), the phone number digit by digit
in three groups without a repeated-digit run (tiny.en once turned "five five five" into
"55"), a name it spells right. The criteria match one home in the MLS sample, so the
agent's read-out stays short. Used by the audio-level test, the turn latency benchmark
and as an example of a script."""

from __future__ import annotations

from caller.script import ScriptLine

CITY, BEDROOMS, BUDGET_USD = "Denver", 5, 900_000
NAME = "John Smith"
PHONE_E164 = "+15123794680"

BOOKING = (
    ScriptLine("A five bedroom townhouse in Denver, under nine hundred K.", expect=r"looking to buy"),
    ScriptLine("The first one, please.", expect=r"would you like to see"),
    ScriptLine("The second time works.", expect=r"which works for you"),
    ScriptLine(f"My name is {NAME}.", expect=r"your name"),
    ScriptLine("Five one two, three seven nine, four six eight zero.", expect=r"phone number"),
    ScriptLine("Yes, please.", expect=r"shall i book it"),  # nothing is booked before the caller's yes
    ScriptLine(expect=r"you're booked"),
)
