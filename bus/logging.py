"""structlog set-up: JSON lines for machines, the console renderer on a TTY.

Phone numbers and e-mail addresses are masked in every line (bus/redact.py).
Per-request fields (service, endpoint, call_id, request_id) are bound with
structlog.contextvars by the service runtime, so every line a handler logs
carries them without passing a logger around.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from bus.redact import redact_pii

LogFormat = Literal["auto", "json", "console"]


def _add_process(process: str) -> Processor:
    def add(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("process", process)
        return event

    return add


def configure_logging(process: str, *, level: str = "info", fmt: LogFormat = "auto") -> None:
    """Configure structlog and route stdlib logging (nats, aiohttp) through it."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Processor = structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_process(process),
    ]
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_pii, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # One write() per line: several processes share the supervisor's stderr.
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact_pii, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Libraries are chatty at INFO; their warnings and errors are what we want.
    root.setLevel(max(numeric_level, logging.WARNING))
