"""A headless caller: dials a gateway's /ws with aiortc, plays a WAV as its microphone,
records what the agent says. Used by `voicepod call`, the tests, evals and the load tool.
It speaks only the public protocol; it imports nothing from the gateway."""
