"""Async mode's recording side (docs/modes.md): outside the agent's answering hours, or with every
line busy, a caller hears a short greeting and leaves a message, stored in the object store and
queued for `voicepod worker async` (gateway/async_work/)."""
