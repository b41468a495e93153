"""The gateway: one process that holds the calls (WebRTC, signaling, the agent loop).

It talks to the services only through the bus; it never imports a service.
"""
