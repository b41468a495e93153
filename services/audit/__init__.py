"""audit: Keeps the hash-chained audit log of what the agent did."""
