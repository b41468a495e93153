"""Routes for endpoints whose handlers have not landed yet: each answers 501.

Temporary scaffolding of the foundation issue, so that `voicepod up` runs six
real, discoverable services; the services issue replaces it service by service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bus import errors
from bus.endpoint import Endpoint
from bus.runner import Lifespan, ServiceEnv
from bus.service import RequestContext, Route, route


def pending_lifespan(endpoints: Sequence[Endpoint[Any, Any]]) -> Lifespan:
    async def not_implemented(_: Any, ctx: RequestContext) -> Any:
        raise errors.NotImplementedYet(f"{ctx.subject} is not implemented yet")

    @asynccontextmanager
    async def lifespan(_: ServiceEnv) -> AsyncIterator[Sequence[Route[Any, Any]]]:
        yield [route(e, not_implemented) for e in endpoints]

    return lifespan
