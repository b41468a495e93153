"""Running a service in-process the way `voicepod service NAME` does: its lifespan opens
its store, the bus runtime serves its routes on the test nats-server."""

from __future__ import annotations

from bus.runner import serving_in_process

running = serving_in_process  # a service in the test process, on the test's connection
