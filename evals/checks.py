"""A scenario's expectations against a call record: a list of failures, each naming the
assertion with what was expected and what happened, so a red eval says what broke.

No check stops at the first failure: a regression usually breaks several things at once,
and seeing all of them points at the cause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from evals import contract, times
from evals.effects import Listed
from evals.record import CallRecord
from evals.scenario import Scenario
from gateway.agent import speech_text

APOLOGY = re.compile(r"\bsorry\b[^.]*\bcouldn'?t\b", re.IGNORECASE)
# Audio mode: the share of a reply's words whisper must hear in the agent's audio. Low on purpose:
# it catches silence, clipped or garbled speech, not whisper writing "$519,000" for "519 thousand dollars".
MIN_HEARD = 0.5
_LISTING_FIELDS = ("city", "bedrooms", "price_usd", "property_type", "time_zone")


@dataclass(frozen=True)
class Failure:
    assertion: str
    expected: Any
    actual: Any

    def as_dict(self) -> dict[str, Any]:
        return {"assertion": self.assertion, "expected": self.expected, "actual": self.actual}


class _Checker:
    def __init__(self, scenario: Scenario, record: CallRecord, mode: str) -> None:
        self.scenario, self.record, self.mode = scenario, record, mode
        self.failures: list[Failure] = []

    def expect(self, assertion: str, ok: bool, expected: Any, actual: Any) -> None:
        if not ok:
            self.failures.append(Failure(assertion, expected, actual))

    def equal(self, assertion: str, expected: Any, actual: Any) -> None:
        self.expect(assertion, expected == actual, expected, actual)


def _listing_brief(item: Mapping[str, Any] | None) -> Any:
    if item is None:
        return None
    return {"mls_id": item.get("mls_id"), **{k: item.get(k) for k in _LISTING_FIELDS}}


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime(f"%a %Y-%m-%d %H:%M {zone}")


def check(scenario: Scenario, record: CallRecord, mode: str) -> list[Failure]:
    c = _Checker(scenario, record, mode)
    if record.problem:
        c.expect("call", False, "every line said and answered", record.problem)
    _turns(c)
    for breach in contract.breaches(record):  # the dialog contract: every call, whatever it expects
        c.expect(breach.assertion, False, breach.expected, breach.actual)
    e = scenario.expect
    if "stage" in e:
        c.equal("stage", e["stage"], record.stage)
    if "ended" in e:
        c.equal("ended", e["ended"], record.ended)
    replies = record.all_replies()
    for pattern in e.get("said", []):
        c.expect(f"said /{pattern}/", any(re.search(pattern, r, re.IGNORECASE) for r in replies), "a reply matching",
                 replies)  # fmt: skip
    for pattern in e.get("not_said", []):
        hits = [r for r in replies if re.search(pattern, r, re.IGNORECASE)]
        c.expect(f"not_said /{pattern}/", not hits, "no reply matching", hits)
    if "apology" in e:
        apologies = [r for r in replies if APOLOGY.search(r)]
        c.expect("apology", bool(apologies) == e["apology"], "an apology" if e["apology"] else "no apology",
                 apologies or "no apology")  # fmt: skip
    _search(c, e.get("search"))
    _listing(c, e.get("listing"))
    _booking(c, e.get("booking"))
    _lead(c, e.get("lead"))
    _sms(c, e.get("sms"))
    return c.failures


def _turns(c: _Checker) -> None:
    by_index = {t.index: t for t in c.record.turns}
    for i, turn in enumerate(c.scenario.spoken, 1):
        got = by_index.get(i)
        if got is None:
            c.expect(f"turn[{i}]", False, f"said: {turn.say!r}", "never said (the call had ended)")
            continue
        if turn.expect_reply:
            c.expect(f"turn[{i}].expect_reply", re.search(turn.expect_reply, got.reply, re.IGNORECASE) is not None,
                     f"/{turn.expect_reply}/", got.reply)  # fmt: skip
        cut_short = i < len(c.scenario.spoken) and c.scenario.spoken[i].barge_in  # the next line barges in
        if got.reply_heard_as is not None and got.replies and not cut_short:
            recall = heard_fraction(got.reply, got.reply_heard_as)
            wanted = f"whisper hears >= {MIN_HEARD:.0%} of the reply's words"
            c.expect(f"turn[{i}].reply_audio", recall >= MIN_HEARD, wanted, f"{recall:.0%}: {got.reply_heard_as}")
        budget = turn.latency_budget_ms.get(c.mode)
        if budget is not None:
            actual = None if got.latency_ms is None else round(got.latency_ms)
            c.expect(f"turn[{i}].latency_ms", actual is not None and actual <= budget, f"<= {budget}", actual)


def _words(text: str) -> set[str]:
    """Words, and numbers as their digits: the agent's "3 0 5" and whisper's "305", or "3416" and
    "3,416", are the same digits heard."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    return {w for token in re.findall(r"[a-z0-9']+", text) for w in (list(token) if token.isdigit() else [token])}


def heard_fraction(said: str, heard: str) -> float:
    """Which share of the words said are in what was heard (order and repeats aside)."""
    words = _words(said)
    return len(words & _words(heard)) / len(words) if words else 1.0


def _search(c: _Checker, e: Mapping[str, Any] | None) -> None:
    if e is None:
        return
    slots = c.record.slots
    for key in ("city", "bedrooms", "max_price", "min_price", "property_type"):
        if key in e:
            c.equal(f"search.{key}", e[key], getattr(slots, key, None))
    if "features" in e:
        c.equal("search.features", list(e["features"]), getattr(slots, "features", None))
    matches = list(getattr(slots, "matches", []) or [])
    if "min_results" in e:
        c.expect("search.min_results", len(matches) >= e["min_results"], f">= {e['min_results']}", len(matches))
    if e.get("results_match") and slots is not None:
        wrong = [m for m in matches if not _fits(m, city=slots.city, bedrooms_min=slots.bedrooms,
                                                  price_max=slots.max_price, price_min=slots.min_price,
                                                  property_type=slots.property_type)]  # fmt: skip
        c.expect("search.results_match", not wrong, "every offered listing fits the criteria heard",
                 [_listing_brief(m) for m in wrong])  # fmt: skip


def _fits(item: Mapping[str, Any], **want: Any) -> bool:
    """Does a listing (as the MLS tool returns it) meet the given bounds (None: no bound)?"""
    city = item.get("address", {}).get("city")
    checks = (
        want.get("city") is None or city == want["city"],
        want.get("bedrooms_min") is None or item.get("bedrooms", 0) >= want["bedrooms_min"],
        want.get("price_max") is None or int(item.get("price_usd", 0)) <= want["price_max"],
        want.get("price_min") is None or int(item.get("price_usd", 0)) >= want["price_min"],
        want.get("property_type") is None or _type_name(item.get("property_type")) == want["property_type"],
        want.get("time_zone") is None or item.get("time_zone") == want["time_zone"],
    )
    return all(checks)


def _type_name(value: Any) -> str:
    """PROPERTY_TYPE_SINGLE_FAMILY (the tool's JSON) -> single_family (the scenario's word)."""
    return str(value or "").removeprefix("PROPERTY_TYPE_").lower()


def _chosen(c: _Checker) -> Mapping[str, Any] | None:
    return getattr(c.record.slots, "listing", None)


def _listing(c: _Checker, e: Mapping[str, Any] | None) -> None:
    if e is None:
        return
    chosen = _chosen(c)
    if "chosen" in e:
        c.expect("listing.chosen", (chosen is not None) == e["chosen"], "a listing chosen" if e["chosen"] else "none",
                 _listing_brief(chosen))  # fmt: skip
    if chosen is None:
        if any(k != "chosen" for k in e):
            c.expect("listing", False, "a chosen listing to check", None)
        return
    if "pick" in e:
        matches = list(getattr(c.record.slots, "matches", []) or [])
        index = e["pick"] - 1
        wanted = matches[index] if index < len(matches) else None
        c.expect("listing.pick", wanted is not None and wanted.get("mls_id") == chosen.get("mls_id"),
                 f"offered listing #{e['pick']}: {_listing_brief(wanted)}", _listing_brief(chosen))  # fmt: skip
    if "mls_id" in e:
        c.equal("listing.mls_id", e["mls_id"], chosen.get("mls_id"))
    bounds = {
        k: e[k] for k in ("city", "bedrooms_min", "price_max", "price_min", "property_type", "time_zone") if k in e
    }
    for key, value in bounds.items():
        c.expect(f"listing.{key}", _fits(chosen, **{key: value}), value, _listing_brief(chosen))


def _booking(c: _Checker, e: Mapping[str, Any] | None) -> None:
    if e is None:
        return
    bookings = c.record.effects.bookings
    if not e["exists"]:
        c.expect("booking.exists", not bookings, "no booking", [_local(b.start, b.time_zone) for b in bookings])
        return
    if len(bookings) != 1:
        c.expect("booking.exists", False, "exactly one confirmed booking by this call", len(bookings))
        return
    (b,) = bookings
    if "local_time" in e:
        want = times.parse(e["local_time"]).resolve(c.record.clock, ZoneInfo(b.time_zone))
        c.equal("booking.local_time", _local(want, b.time_zone), _local(b.start, b.time_zone))
    if "within" in e:  # a range the caller asked for ("Thursday after three"): any slot inside it
        zone = ZoneInfo(b.time_zone)
        low, high = (times.parse(e["within"][k]).resolve(c.record.clock, zone) for k in ("from", "to"))
        c.expect("booking.within", low <= b.start <= high, f"{_local(low, b.time_zone)} .. {_local(high, b.time_zone)}",
                 _local(b.start, b.time_zone))  # fmt: skip
    chosen = _chosen(c)
    if "listing" in e:
        want_id = (chosen or {}).get("mls_id") if e["listing"] == "chosen" else e["listing"]
        c.expect("booking.listing", want_id is not None and b.listing_id == want_id,
                 f"{e['listing']} ({want_id})", b.listing_id)  # fmt: skip
    if "time_zone" in e:
        want_zone = (chosen or {}).get("time_zone") if e["time_zone"] == "listing" else e["time_zone"]
        c.equal("booking.time_zone", want_zone, b.time_zone)
    if "name" in e:
        c.equal("booking.name", e["name"], b.contact_name)
    if "phone" in e:
        c.equal("booking.phone", e["phone"], b.contact_phone)
    if "listing_in" in e:
        _booked_listing(c, e["listing_in"], c.record.effects.listings.get(b.listing_id), b.listing_id)


def _booked_listing(c: _Checker, want: Mapping[str, Any], listed: Listed | None, listing_id: str) -> None:
    """The booked listing (from the MLS store, not the agent's state) within the scenario's bounds."""
    if listed is None:
        c.expect("booking.listing_in", False, dict(want), f"{listing_id} not in the MLS store")
        return
    got = {"mls_id": listed.mls_id, "city": listed.city, "bedrooms": listed.bedrooms, "price_usd": listed.price_usd,
           "property_type": listed.property_type}  # fmt: skip
    ok = {
        "city": lambda v: listed.city == v,
        "bedrooms_min": lambda v: listed.bedrooms >= v,
        "bedrooms_max": lambda v: listed.bedrooms <= v,
        "price_min": lambda v: listed.price_usd >= v,
        "price_max": lambda v: listed.price_usd <= v,
        "property_type": lambda v: listed.property_type == v,
    }
    for key, value in want.items():
        c.expect(f"booking.listing_in.{key}", ok[key](value), value, got)


def _lead(c: _Checker, e: Mapping[str, Any] | None) -> None:
    if e is None:
        return
    leads = c.record.effects.leads
    if not e["exists"]:
        c.expect("lead.exists", not leads, "no lead", [(lead.name, lead.phone) for lead in leads])
        return
    if len(leads) != 1:
        c.expect("lead.exists", False, "exactly one lead from this call", len(leads))
        return
    (lead,) = leads
    if "name" in e:
        c.equal("lead.name", e["name"], lead.name)
    if "phone" in e:
        c.equal("lead.phone", e["phone"], lead.phone)
    if "budget" in e:
        c.equal("lead.budget", e["budget"], lead.budget_usd)
    if e.get("linked_to_booking"):
        linked = [b.booking_id for b in c.record.effects.bookings if b.lead_id == lead.lead_id]
        c.expect("lead.linked_to_booking", len(linked) == 1, f"one booking with lead_id {lead.lead_id}",
                 [b.lead_id for b in c.record.effects.bookings])  # fmt: skip


def _sms(c: _Checker, e: Mapping[str, Any] | None) -> None:
    if e is None:
        return
    texts = c.record.effects.texts
    if not e["sent"]:
        c.expect("sms.sent", not texts, "no text message", [t.body for t in texts])
        return
    if len(texts) != 1:
        c.expect("sms.sent", False, "exactly one text message", [t.body for t in texts])
        return
    (text,) = texts
    if "to" in e:
        c.equal("sms.to", e["to"], text.to)
    for literal in e.get("contains", []):
        c.expect(f"sms.contains {literal!r}", literal in text.body, literal, text.body)
    for what in e.get("mentions", []):
        wanted = _mention(c, what)
        c.expect(f"sms.mentions.{what}", wanted is not None and wanted in text.body, wanted, text.body)


def _mention(c: _Checker, what: str) -> str | None:
    """The text the SMS must contain for `what`, from the booking, lead and listing of the call."""
    chosen = _chosen(c) or {}
    bookings, leads = c.record.effects.bookings, c.record.effects.leads
    booked = c.record.effects.listings.get(bookings[0].listing_id) if len(bookings) == 1 else None
    if what == "address":
        return booked.street if booked else str(chosen.get("address", {}).get("street", "")) or None
    if what == "agent":
        return booked.agent_name if booked else str(chosen.get("agent", {}).get("name", "")) or None
    if what == "time" and len(bookings) == 1:
        b = bookings[0]
        return speech_text.when(b.start.astimezone(ZoneInfo(b.time_zone)))
    if what == "name" and len(leads) == 1 and leads[0].name:
        return leads[0].name.split()[0]
    return None
