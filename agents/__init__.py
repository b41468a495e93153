"""Agent definitions as configuration: one YAML file per agent (format: docs/agents.md)."""
