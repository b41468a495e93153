"""Where the Deepgram SDK connects: Deepgram's own endpoints, or a compatible server
(a local one in tests) at DEEPGRAM_URL, for both the REST (speak) and WebSocket (listen) APIs."""

from __future__ import annotations

from urllib.parse import urlsplit

from deepgram import DeepgramClientEnvironment


def environment(base_url: str) -> DeepgramClientEnvironment:
    """Deepgram's own endpoints, or a compatible server's at `base_url` ("http://host:port")."""
    if not base_url:
        return DeepgramClientEnvironment.PRODUCTION
    parts = urlsplit(base_url.rstrip("/"))
    secure = parts.scheme in ("https", "wss")
    rest = f"{'https' if secure else 'http'}://{parts.netloc}{parts.path}"
    live = f"{'wss' if secure else 'ws'}://{parts.netloc}{parts.path}"
    return DeepgramClientEnvironment(base=rest, production=live, agent=live, agent_rest=rest)
