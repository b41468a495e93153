"""Callback items: dialled inside the agent's callback hours (voicepod.phone.dial, the gateway's
outbound calls with answering-machine detection), or, for a caller who came over WebRTC, a link by
text instead. What a dial led to arrives later, as its `phone.outbound_call` audit record (the
dial's source_call_id is the item's id); a machine, nobody or a busy line is tried again per the
agent's policy (retry.py) as a new item on the same work queue.

A dial is placed at most once per item: the item is marked before the request goes out, so an item
redone after its worker died mid-dial is not dialled twice (calling a person twice is worse than
a callback that has to wait for its retry)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from nats.js import JetStreamContext

from bus import errors, events, subjects
from bus.client import BusClient
from bus.contracts import async_work_pb2, events_pb2, phone_pb2, sms_pb2
from gateway.agent.async_policy import AsyncPolicy, next_open
from gateway.agent.config import AgentConfig
from gateway.agent.usage import UsageMeter
from gateway.async_work.checkpoints import Checkpoints
from gateway.async_work.retry import next_attempt
from gateway.async_work.timestamps import from_ts, to_ts
from gateway.async_work.work_queue import Later

log = structlog.get_logger("gateway.async_work")
OUTCOME_ACTION = "phone.outbound_call"  # gateway/link/phone/outbound_call.py's audit record
PURPOSE = "callback"
MAX_WAIT = 3600.0  # an item not yet due is looked at again at least hourly


class CallbackWork:
    def __init__(
        self, bus: BusClient, js: JetStreamContext, checkpoints: Checkpoints, configs: Callable[[str], AgentConfig],
        public_url: str, clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        self.bus = bus
        self.js = js
        self.checkpoints = checkpoints
        self.configs = configs
        self.public_url = public_url
        self.clock = clock or (lambda: datetime.now(ZoneInfo("UTC")))

    def _policy(self, agent: str) -> tuple[AgentConfig, AsyncPolicy]:
        config = self.configs(agent)
        return config, config.async_mode or AsyncPolicy()

    async def handle(self, item: async_work_pb2.CallbackItem) -> Later | None:
        now = self.clock()
        config, policy = self._policy(item.agent_name)
        deadline = from_ts(item.deadline)
        due = max(from_ts(item.not_before), now)
        opening = next_open(policy.callback.hours, due.astimezone(ZoneInfo(config.time_zone)))
        if opening is None or opening > deadline:
            log.warning("callback_expired", item_id=item.item_id, attempt=item.attempt)
            return None
        if opening > now:
            return Later(min((opening - now).total_seconds(), MAX_WAIT))
        usage = UsageMeter(config.name)
        if item.channel != "phone":
            await self._link(item, config)
            usage.add("twilio:sms", "messages", 1)
        else:
            await self._dial(item)
        await self._usage(item, usage)
        return None

    async def _link(self, item: async_work_pb2.CallbackItem, config: AgentConfig) -> None:
        await self.bus.call(subjects.SEND_SMS, sms_pb2.SendSmsRequest(
            idempotency_key=f"{item.item_id}:link", to_phone=item.phone_e164, template_id="callback_link",
            variables={"name": item.name or "there", "company": config.company,
                       "link": self.public_url or "our website"},
            source_call_id=item.source_call_id,
        ), call_id=item.source_call_id)  # fmt: skip
        log.info("callback_link_sent", item_id=item.item_id)

    async def _dial(self, item: async_work_pb2.CallbackItem) -> None:
        key = f"dial.{item.item_id}"
        if (await self.checkpoints.get(key)).get("dialling"):
            log.warning("callback_not_redialled", item_id=item.item_id)  # its worker died mid-dial
            return
        await self.checkpoints.update(key, dialling=True, item=base64.b64encode(item.SerializeToString()).decode())
        try:
            reply = await self.bus.call(subjects.DIAL_CALL, phone_pb2.DialCallRequest(
                to_phone=item.phone_e164, source_call_id=item.item_id, purpose=PURPOSE,
            ), call_id=item.source_call_id)  # fmt: skip
        except errors.NoResponders:
            await self.checkpoints.forget(key)  # no gateway took it: surely not dialled, so try again later
            raise
        except errors.ServiceError as e:
            # Refused (do-not-call, too many calls lately, not set up): recorded; a retry may follow.
            log.warning("callback_dial_refused", item_id=item.item_id, code=e.code, reason=e.reason)
            await self.settle(item.item_id, "refused" if e.reason == "do_not_call" else "busy")
            return
        log.info("callback_dialled", item_id=item.item_id, dial_id=reply.dial_id, attempt=item.attempt)

    async def outcome(self, event: events_pb2.AuditEvent) -> None:
        """An audit record: a callback dial's outcome is acted on; everything else passes by."""
        if event.action != OUTCOME_ACTION or event.attributes.get("purpose") != PURPOSE:
            return
        await self.settle(event.attributes.get("source_call_id", ""), event.outcome)

    async def settle(self, item_id: str, outcome: str) -> None:
        key = f"dial.{item_id}"
        held = await self.checkpoints.get(key)
        if "item" not in held:
            return  # not one of ours, or settled already
        item = async_work_pb2.CallbackItem.FromString(base64.b64decode(held["item"]))
        _, policy = self._policy(item.agent_name)
        retry = next_attempt(item, outcome, policy.callback, self.clock())
        if retry is not None:
            await events.publish(self.js, events.CALLBACKS, retry, msg_id=retry.item_id, call_id=item.source_call_id)
        log.info("callback_outcome", item_id=item_id, outcome=outcome, attempt=item.attempt,
                 retry=retry.item_id if retry is not None else None)  # fmt: skip
        await self.checkpoints.forget(key)

    async def _usage(self, item: async_work_pb2.CallbackItem, usage: UsageMeter) -> None:
        if not usage.quantities:
            return
        event = async_work_pb2.UsageEvent(event_id=f"{item.item_id}:usage", call_id=item.source_call_id,
                                          occurred_at=to_ts(self.clock()), agent_name=item.agent_name,
                                          kind="callback", usage=usage.as_proto())  # fmt: skip
        await events.ensure_stream(self.js, events.USAGE)
        await events.publish(self.js, events.USAGE, event)
