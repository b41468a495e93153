"""The sms service definition. Twilio when TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN are set,
else the outbox table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import subjects
from bus.runner import ServiceDefinition, ServiceEnv
from bus.service import Route, route
from services.sms.handlers import SmsHandlers
from services.sms.providers import SmsProvider
from services.sms.providers.outbox import OutboxProvider
from services.sms.providers.twilio import TwilioProvider
from services.sms.settings import twilio_settings
from services.sms.store import SmsStore
from services.storage import StoreSettings, open_database


def choose_provider(store: SmsStore) -> SmsProvider:
    twilio = twilio_settings()
    return OutboxProvider(store) if twilio is None else TwilioProvider(twilio)


@asynccontextmanager
async def lifespan(_: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
    engine = await open_database("sms", StoreSettings.from_env())
    store = SmsStore(engine)
    provider = choose_provider(store)
    try:
        h = SmsHandlers(store, provider)
        yield [
            route(subjects.SEND_SMS, h.send_sms),
            route(subjects.GET_SMS_STATUS, h.get_sms_status),
            route(subjects.SET_SMS_OPT_OUT, h.set_sms_opt_out),
            route(subjects.GET_SMS_OPT_OUT, h.get_sms_opt_out),
        ]
    finally:
        await provider.close()
        await engine.dispose()


DEFINITION = ServiceDefinition(
    name="sms",
    version="0.2.0",
    description="Sends text messages, at most once per idempotency key.",
    lifespan=lifespan,
    ops_port=9104,
)
