"""kill -9 the async worker mid-job: after a restart the job is done exactly once (one lead, one
callback booking, one text, one callback item, one usage record). Real processes (`voicepod worker
async`), a real nats-server, the services in-process.

"Mid-job" for certain: the sms service is not running at first, so the worker writes the lead and
books the slot, then fails to text and is handed the job back again and again (the job is never
acknowledged) until it is killed. Then the sms service starts and a new worker finishes the job from
its checkpoints. The message was heard already (its transcript checkpointed, as a worker that died
after its STT leaves it; test_voicemail_job.py hears one): the test spends no time on whisper."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from nats.aio.client import Client as NATS

from bus import events
from gateway.async_work.checkpoints import Checkpoints
from gateway.call_origin import CallOrigin
from gateway.voicemail.answering import OVERFLOW, job_id_of, queue_message
from gateway.voicemail.object_store import LocalDirectory
from proc.ports import free_port
from services.sms.service import DEFINITION as SMS
from tests.eventually import eventually
from tests.integration.async_mode.async_helpers import (
    MESSAGE,
    PHONE,
    TEST_STT,
    callback_items,
    counts,
    job_services,
    spoken,
    stream_messages,
)
from tests.integration.services_helpers import running
from tests.nats_fixture import NatsServer


async def start_worker(nats_url: str, objects: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "NATS_URL": nats_url, "VOICEPOD_OBJECT_STORE_DIR": str(objects),
           "VOICEPOD_ASYNC_STT_MODEL": TEST_STT, "VOICEPOD_ASYNC_ACK_WAIT_SECONDS": "2",
           "VOICEPOD_LOG_FORMAT": "json"}  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pod.cli", "worker", "async", "--ops-port", str(free_port()),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_a_worker_killed_mid_job_leaves_it_done_exactly_once_after_a_restart(
    nc: NATS, nats_server: NatsServer, tmp_path: Path
) -> None:
    js = nc.jetstream()
    store = LocalDirectory(tmp_path / "objects")
    await (await Checkpoints.open(js)).update(
        f"job.{job_id_of('call-vm-2')}", text=MESSAGE, model=TEST_STT, seconds=9.5
    )
    message = spoken("Call me back.", tmp_path)  # stored as any message is; its words are the checkpoint's
    await queue_message(store, js, "real_estate", "call-vm-2", CallOrigin("phone", caller_number="+15125550199"),
                        OVERFLOW, message)  # fmt: skip
    async with job_services(nc, sms=False):
        worker = await start_worker(nats_server.url, store.root)
        try:
            # The lead is written and the slot booked; the text cannot be sent: the job is in hand.
            await eventually(lambda: counts(PHONE), lambda c: c["calendar"] == 1, timeout=60)
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            assert await counts(PHONE) == {"crm_writer": 1, "sms": 0, "calendar": 1}
            assert len(await stream_messages(js, events.VOICEMAIL)) == 1  # not acknowledged
            async with running(SMS, nc):
                worker = await start_worker(nats_server.url, store.root)
                done = await eventually(lambda: counts(PHONE), lambda c: c["sms"] >= 1, timeout=60)
                await eventually(lambda: stream_messages(js, events.VOICEMAIL), lambda left: left == [], timeout=20)
                assert await counts(PHONE) == done == {"crm_writer": 1, "sms": 1, "calendar": 1}
        finally:
            if worker.returncode is None:
                worker.terminate()
                await worker.wait()
    job = job_id_of("call-vm-2")
    items = await stream_messages(js, events.CALLBACKS)
    assert callback_items(items) == [(f"{job}-cb1", 1)]
    # The number said in the message, not the caller ID; a phone caller is called back, not texted a link.
    assert (items[0].phone_e164, items[0].channel) == (PHONE, "phone")
    usage = await stream_messages(js, events.USAGE)
    assert [u.event_id for u in usage] == [f"{job}:usage"]
    minutes = {(u.provider, u.unit): u.quantity for u in usage[0].usage.items}[("twilio:voice", "inbound_minutes")]
    assert abs(minutes - len(message) / 16000 / 60) < 0.001  # the message's length, a phone call's minutes
