"""sms: Sends text messages, at most once per idempotency key."""
