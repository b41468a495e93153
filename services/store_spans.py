"""A span per SQL statement a service's handler runs, a child of the handler's span (bus/tracing.py).

Hooked on the engine once it is opened, only when tracing is on: with it off no listener is added
and a statement costs what it did. The statement's text is SQLAlchemy's, with placeholders: the
values a caller gave (names, phone numbers) never reach a span.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bus import tracing

_SPAN = "voicepod_span"  # where a statement's span waits in the connection's info for its end
QUERY_TEXT_LIMIT = 1000  # characters of SQL kept on a span


def trace_statements(engine: AsyncEngine, service: str) -> None:
    if not tracing.enabled():
        return
    system = engine.dialect.name  # sqlite | postgresql
    namespace = service

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if not trace.get_current_span().is_recording():
            return  # not for a request (seeding a store at start, a consumer's batch): no trace to join
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        conn.info[_SPAN] = tracing.start_span(
            f"{operation} {namespace}",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": system,
                "db.namespace": namespace,
                "db.operation.name": operation,
                "db.query.text": statement[:QUERY_TEXT_LIMIT],
            },
        )

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn: Connection, *_: Any) -> None:
        span = conn.info.pop(_SPAN, None)
        if span is not None:
            span.end()

    @event.listens_for(engine.sync_engine, "handle_error")
    def on_error(context: Any) -> None:
        conn = context.connection
        span = None if conn is None else conn.info.pop(_SPAN, None)
        if span is not None:
            tracing.failed(span, type(context.original_exception).__name__)
            span.end()
