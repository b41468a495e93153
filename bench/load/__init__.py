"""The load tool: a swarm of aiortc callers in its own process, and the servers it measures."""
