"""The services as NATS micro reports them: `$SRV.INFO` (who, which endpoints) and `$SRV.STATS`
(requests, errors, processing time per endpoint), gathered from every instance that answers.

A discovery request has as many replies as instances, so there is no last one to wait for: it is
done when each expected service name has answered once, or at the timeout (a replica answering later
than its first sibling may be missed). Endpoints' `data` carries our runtime's errors by code
(bus/service.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Collection
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

NANOSECONDS = 1e9


async def gather(
    nc: NATS, subject: str, enough: Callable[[list[dict[str, Any]]], bool], timeout: float
) -> list[dict[str, Any]]:
    """The JSON objects that answer one request on `subject`, until `enough` says so or `timeout`."""
    inbox = nc.new_inbox()
    replies: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def reply(msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
        except ValueError:
            return  # not an answer we understand: ignored
        if isinstance(body, dict):
            replies.append(body)
            if enough(replies):
                done.set()

    sub = await nc.subscribe(inbox, cb=reply)
    try:
        await nc.publish(subject, b"", reply=inbox)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout)
    finally:
        await sub.unsubscribe()
    return replies


async def discover(nc: NATS, verb: str, expected: Collection[str], timeout: float) -> list[dict[str, Any]]:
    """The JSON replies to `$SRV.<verb>` (PING, INFO or STATS)."""

    def everyone(replies: list[dict[str, Any]]) -> bool:
        return bool(expected) and {str(r.get("name")) for r in replies} >= set(expected)

    return await gather(nc, f"$SRV.{verb}", everyone, timeout)


async def services_report(nc: NATS, expected: Collection[str], timeout: float) -> list[dict[str, Any]]:
    """One entry per instance: its name, id, version, start, and per endpoint its subject, requests,
    errors (by code when our runtime says), average processing seconds; sorted by name."""
    infos, stats = await asyncio.gather(
        discover(nc, "INFO", expected, timeout), discover(nc, "STATS", expected, timeout)
    )
    described = {str(i.get("id")): i for i in infos}
    instances = []
    for s in stats:
        info = described.get(str(s.get("id")), {})
        endpoints = []
        for e in s.get("endpoints") or []:
            data = e.get("data") if isinstance(e.get("data"), dict) else {}
            by_code = data.get("errors_by_code") or {}
            endpoints.append({
                "name": e.get("name"), "subject": e.get("subject"), "requests": e.get("num_requests", 0),
                "errors": sum(by_code.values()) if by_code else e.get("num_errors", 0), "errors_by_code": by_code,
                "average_seconds": (e.get("average_processing_time") or 0) / NANOSECONDS,
                "in_flight": data.get("in_flight"), "last_error": e.get("last_error") or None,
            })  # fmt: skip
        instances.append({"name": s.get("name"), "id": s.get("id"), "version": s.get("version"),
                          "description": info.get("description"), "started": s.get("started"),
                          "endpoints": endpoints})  # fmt: skip
    return sorted(instances, key=lambda i: (str(i["name"]), str(i["id"])))
