"""The alternative media stack: aiortc's peer connection (TURN relays, its own data channels),
and everything of aiortc the gateway uses; nothing outside gateway/link/ imports aiortc."""
