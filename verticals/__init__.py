"""Businesses the generic agent (gateway/agent/) can run: each a package with its slots, tools,
flow and read-outs, named by an agent's yaml (`vertical: real_estate`)."""
