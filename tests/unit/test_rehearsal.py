"""A turn answered ahead on a copy of the dialog (gateway/agent/rehearsal.py): the copy may read
(search, calendar) but never write, the dialog itself changes only when the copy is adopted, and
an adopted copy goes on exactly as if the dialog had answered the turn itself."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.rehearsal import WouldAct, adopt, fork
from gateway.agent.vertical import load_vertical
from tests.unit.fake_tools import FakeTools
from tests.unit.test_frame_dialog import MONDAY_8AM

SEARCH = "a 2 bed condo in Seattle, max 800 grand"
CONTACT = "I'm Priya Raman, text me at 415 555 0123, Thursday at 11 works"


def dialog(now: datetime = MONDAY_8AM) -> tuple[FrameDialog, FakeTools]:
    tools = FakeTools(now)
    tools.tools = {t.name: t for t in load_vertical("real_estate").tools}  # what each tool does: read or write
    return FrameDialog(AgentConfig.load("real_estate"), tools, "unit", clock=lambda: now), tools


def state(d: FrameDialog) -> dict[str, object]:
    """What a turn may change, to compare before and after."""
    return copy.deepcopy({
        "frame": d.frame.values, "asked": d.asked, "confirming": d.confirming, "stage": d.stage,
        "policy": (d.policy.slot, d.policy.times), "when": d.timing.when, "offered": list(d.timing.offered),
        "last_said": list(d.last_said),
    })  # fmt: skip


async def test_a_rehearsed_search_reads_but_changes_nothing_until_it_is_adopted() -> None:
    d, tools = dialog()
    d.greeting()
    before = state(d)
    copied = fork(d)
    assert copied is not None
    lines = await copied.respond(SEARCH)
    assert " ".join(lines).startswith("I found") and [name for name, _ in tools.calls] == ["search_listings"]
    assert tools.ahead == ["search_listings"]  # told it ran ahead: the events and audit log say so
    assert state(d) == before  # the dialog did not move
    assert adopt(d, copied)
    assert d.frame.city == "Seattle" and d.last_said == lines and state(d) != before
    flow: Any = d.flow
    assert flow.host is d and flow.frame is d.frame  # the flow works on the dialog, not the copy


async def test_an_adopted_rehearsal_goes_on_as_if_the_dialog_had_answered_itself() -> None:
    rehearsed, _ = dialog()
    direct, _ = dialog()
    rehearsed.greeting(), direct.greeting()
    for text in (SEARCH, "the one on Maple"):
        copied = fork(rehearsed)
        assert copied is not None
        assert await copied.respond(text) == await direct.respond(text)
        assert adopt(rehearsed, copied)
    # The rest of the call, on both: the same lines, the same writes at the yes.
    for text in (CONTACT, "yes, book it"):
        assert await rehearsed.respond(text) == await direct.respond(text)
    assert state(rehearsed) == state(direct) and rehearsed.booked


async def test_a_rehearsed_yes_at_the_read_back_stops_before_any_write_and_leaves_the_dialog_as_it_was() -> None:
    d, tools = dialog()
    d.greeting()
    for text in (SEARCH, "the one on Maple", CONTACT):
        await d.respond(text)
    assert d.confirming and tools.writes() == []
    before, calls = state(d), len(tools.calls)
    copied = fork(d)
    assert copied is not None
    with pytest.raises(WouldAct) as stopped:
        await copied.respond("yes, book it")
    assert stopped.value.tool in ("write_lead", "book_showing", "send_sms")
    assert tools.writes() == [] and len(tools.calls) == calls  # no lead, no booking, no text
    assert state(d) == before and not d.booked
    done = " ".join(await d.respond("yes, book it"))  # the turn, answered the ordinary way once it ended
    assert done.startswith("You're booked") and tools.writes() == ["write_lead", "book_showing", "send_sms"]


async def test_a_dialog_waiting_on_a_yes_to_retry_is_not_rehearsed() -> None:
    d, _ = dialog()
    assert await d.respond("a house somewhere in Austen") == ["Did you say Austin?"]
    assert fork(d) is None  # its retry is a closure over the dialog itself: a copy would run it on the original


async def test_a_rehearsal_that_ends_on_an_offer_to_retry_is_not_adopted() -> None:
    d, _ = dialog()
    before = state(d)
    copied = fork(d)
    assert copied is not None
    assert await copied.respond("a house somewhere in Austen") == ["Did you say Austin?"]
    assert not adopt(d, copied) and state(d) == before
