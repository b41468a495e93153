"""crm_writer: Records leads: upsert and get, idempotent by key."""
