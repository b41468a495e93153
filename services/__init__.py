"""The six NATS services. Each is a folder with its handlers and store; the bus
runtime (bus.runner) does everything they have in common. `services.registry`
lists them; shared helpers (storage, validation, idempotency, phone) sit here."""
