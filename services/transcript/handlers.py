"""transcript endpoints (queries) and its event handler (stores final turns, call bounds and turn timings)."""

from __future__ import annotations

from bus import errors
from bus.contracts import events_pb2, transcript_pb2
from bus.service import RequestContext
from services import validation
from services.timestamps import from_proto
from services.transcript.render import as_json, as_text, summary_of, transcript_of
from services.transcript.store import TranscriptStore

DEFAULT_LIST, MAX_LIST = 50, 1000


class TranscriptHandlers:
    def __init__(self, store: TranscriptStore) -> None:
        self.store = store

    async def on_event(self, event: events_pb2.TranscriptEvent) -> None:
        # Partial (interim) turns are live UI material; the stored transcript keeps final ones.
        if event.WhichOneof("body") == "turn" and not event.turn.is_final:
            return
        await self.store.add(event)

    async def _transcript(self, call_id: str) -> transcript_pb2.Transcript:
        call_id = validation.required(call_id, "call_id")
        stored = await self.store.events(call_id)
        if not stored:
            raise errors.NotFound(f"no transcript for call {call_id}", reason="call_not_found")
        return transcript_of(call_id, stored)

    async def get_transcript(
        self, req: transcript_pb2.GetTranscriptRequest, _: RequestContext
    ) -> transcript_pb2.GetTranscriptResponse:
        return transcript_pb2.GetTranscriptResponse(transcript=await self._transcript(req.call_id))

    async def export_transcript(
        self, req: transcript_pb2.ExportTranscriptRequest, _: RequestContext
    ) -> transcript_pb2.ExportTranscriptResponse:
        t = await self._transcript(req.call_id)
        if req.format == transcript_pb2.EXPORT_FORMAT_TEXT:
            return transcript_pb2.ExportTranscriptResponse(content_type="text/plain; charset=utf-8",
                                                           content=as_text(t).encode())  # fmt: skip
        if req.format in (transcript_pb2.EXPORT_FORMAT_JSON, transcript_pb2.EXPORT_FORMAT_UNSPECIFIED):
            return transcript_pb2.ExportTranscriptResponse(content_type="application/json",
                                                           content=as_json(t).encode())  # fmt: skip
        raise errors.BadRequest(f"unknown export format {req.format}", reason="out_of_range", field="format")

    async def list_calls(
        self, req: transcript_pb2.ListCallsRequest, _: RequestContext
    ) -> transcript_pb2.ListCallsResponse:
        if not 0 <= req.limit <= MAX_LIST:
            raise errors.BadRequest(
                f"limit must be 0..{MAX_LIST}, not {req.limit}", reason="out_of_range", field="limit"
            )
        since = from_proto(req.since) if req.HasField("since") else None
        calls = await self.store.recent_calls(since, req.agent_name, req.limit or DEFAULT_LIST)
        return transcript_pb2.ListCallsResponse(calls=[summary_of(c) for c in calls])

    async def list_shadow(
        self, req: transcript_pb2.ListShadowRecordsRequest, _: RequestContext
    ) -> transcript_pb2.ListShadowRecordsResponse:
        since = from_proto(req.since) if req.HasField("since") else None
        records = await self.store.shadow_records(since, req.agent_name)
        return transcript_pb2.ListShadowRecordsResponse(records=records)
