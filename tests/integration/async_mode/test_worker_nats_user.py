"""The async worker and the gateway's voicemail side under deploy/k8s/base/nats.conf's users: the
gateway queues a message, `worker_async` takes the job, asks crm_writer, calendar and sms, queues
the callback item and keeps its checkpoints and usage records, all within its permissions."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import numpy as np

from bus import events
from bus.connection import connect
from gateway.async_work.checkpoints import Checkpoints
from gateway.async_work.hearing import BatchHearing
from gateway.async_work.worker import async_work
from gateway.call_origin import CallOrigin
from gateway.voicemail.answering import AFTER_HOURS, queue_message
from gateway.voicemail.object_store import LocalDirectory
from gateway.voicemail.settings import AsyncSettings
from services.registry import DEFINITIONS
from tests.eventually import eventually
from tests.integration.async_mode.async_helpers import MESSAGE, PHONE, TEST_STT, counts, stream_messages
from tests.integration.services_helpers import running
from tests.integration.test_nats_permissions import as_user, secured_nats  # noqa: F401 - the fixture

USERS = ("gateway", "worker_async", "crm_writer", "calendar", "sms", "admin")


async def test_the_async_worker_does_a_job_under_its_own_nats_user(secured_nats: str, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    async with AsyncExitStack() as stack:
        nc = {}
        for user in USERS:
            nc[user] = await connect(as_user(secured_nats, user), name=user, inbox=user.replace("_async", ""))
            stack.push_async_callback(nc[user].close)
        for name in ("crm_writer", "calendar", "sms"):
            await stack.enter_async_context(running(DEFINITIONS[name], nc[name]))
        store = LocalDirectory(tmp_path / "objects")
        # Heard already (a checkpoint, as a worker that died after its STT leaves it): no model to load here.
        admin = await Checkpoints.open(nc["admin"].jetstream())
        await admin.update("job.call-perm-vm", text=MESSAGE, model=TEST_STT, seconds=9.5)
        silence = np.zeros(16000, dtype=np.int16)
        await queue_message(store, nc["gateway"].jetstream(), "real_estate", "call-perm", CallOrigin("webrtc"),
                            AFTER_HOURS, silence)  # fmt: skip
        settings = AsyncSettings(object_dir=store.root, ack_wait_seconds=10)
        async with async_work(nc["worker_async"], settings, hearing=BatchHearing(TEST_STT)):
            done = await eventually(lambda: counts(PHONE), lambda c: c["sms"] == 1, timeout=20)
        js = nc["admin"].jetstream()
        assert done == {"crm_writer": 1, "sms": 1, "calendar": 1}
        assert [i.item_id for i in await stream_messages(js, events.CALLBACKS)] == ["call-perm-vm-cb1"]
        assert [u.event_id for u in await stream_messages(js, events.USAGE)] == ["call-perm-vm:usage"]
        assert await stream_messages(js, events.VOICEMAIL) == []
