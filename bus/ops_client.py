"""How an operator's view asks the services (`voicepod calls`, `transcript`, `audit`, and the
gateway's console): one NATS connection, each request with a deadline, and every way that can fail
said in one sentence (an OpsError), never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nats.js import JetStreamContext

from bus import errors
from bus.client import BusClient
from bus.connection import connect
from bus.endpoint import Endpoint, ReplyT, RequestT
from bus.settings import BusSettings

# Exit codes: what was asked for does not exist (or the check failed) / it could not be asked.
NOT_FOUND, CANNOT_ASK = 1, 2


class OpsError(Exception):
    def __init__(self, message: str, exit_code: int = CANNOT_ASK) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class Services:
    """The services as one operator's view sees them."""

    def __init__(self, bus: BusClient, timeout: float, js: JetStreamContext | None = None) -> None:
        self._bus = bus
        self.timeout = timeout
        self.js = js  # JetStream, for the streams a report reads directly (the usage records)

    async def ask(self, endpoint: Endpoint[RequestT, ReplyT], request: RequestT) -> ReplyT:
        who = f"the {endpoint.service} service"
        try:
            return await self._bus.call(endpoint, request, timeout=self.timeout)
        except errors.NoResponders:
            raise OpsError(f"{who} is not running (no answer on {endpoint.subject})") from None
        except errors.DeadlineExceeded:
            raise OpsError(f"{who} did not answer within {self.timeout:g} s") from None
        except errors.NotFound as exc:
            raise OpsError(exc.message, NOT_FOUND) from None
        except errors.ServiceError as exc:
            raise OpsError(f"{who} refused: {exc.message}") from None
        except errors.BusError as exc:
            raise OpsError(f"{who}: {exc}") from None


@asynccontextmanager
async def services(settings: BusSettings, timeout: float) -> AsyncIterator[Services]:
    try:
        nc = await connect(settings, name="voicepod-cli")
    except ConnectionError as exc:  # it says where and how long it tried
        raise OpsError(f"{exc}; pass --nats-url or set NATS_URL") from None
    except (OSError, ValueError) as exc:  # bad TLS files or settings
        raise OpsError(f"cannot connect to NATS at {settings.nats_url}: {exc}") from None
    try:
        yield Services(BusClient(nc), timeout, nc.jetstream())
    finally:
        await nc.close()
