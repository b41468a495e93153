"""Evals: synthetic calls replayed against the real agent, services and (optionally) the gateway.

A scenario (YAML under `evals/scenarios/<agent>/`) is a caller's turns plus assertions on what
the call must leave behind: the listing chosen, the showing booked, the lead, the SMS. Unit
tests pin single functions; evals pin the whole flow, so a regression in extraction or in a
service shows up as a named failing assertion instead of shipping silently.

`voicepod eval` runs them (docs/evals.md).
"""
