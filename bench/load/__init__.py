"""The load tool: a swarm of aiortc callers in its own process, and the servers it measures.

Callers and servers run on one machine: their media stays on 127.0.0.1 (the gateway's
VOICEPOD_ICE_ADDRESSES and VOICEPOD_ICE_ALLOW_LOOPBACK, gateway.settings.LOOPBACK_ENV), never on
its other interfaces."""

CALLER_ADDRESSES = ("127.0.0.1",)  # where the load callers (and the stock echo server) gather
