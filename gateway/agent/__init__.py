"""The agent: what the caller's words mean, which tools to call over the bus, what to say.

`dialog.py` is the deterministic real-estate agent (the offline default, and the fallback
path of an LLM agent); `tools.py` is the one tool registry; `responder.py` turns replies
into speech for the call.
"""
