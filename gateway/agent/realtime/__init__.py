"""Pieces of the OpenAI Realtime engine (`gateway.agent.realtime_engine`): the session it
asks for and the tool and usage plumbing (`session`), and how streamed audio becomes Lines
and where a barge-in cut it (`speech`)."""
