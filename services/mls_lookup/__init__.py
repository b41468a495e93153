"""mls_lookup: Searches property listings."""
