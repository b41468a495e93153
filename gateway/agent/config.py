"""An agent defined as configuration: agents/<name>.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from gateway.agent.async_policy import AsyncPolicy
from gateway.agent.hours import Hours


@dataclass(frozen=True)
class GoLiveBar:
    """When the agent may answer on its own (`voicepod shadow report`, docs/modes.md): its eval pass
    rate and its agreement with the people at the desk in shadow mode, each at least this."""

    eval_pass_rate: float = 0.9
    shadow_agreement: float = 0.8


@dataclass(frozen=True)
class AgentConfig:
    name: str
    persona: str
    company: str
    greeting: str
    voice: str
    cities: tuple[str, ...]
    time_zone: str
    tools: tuple[str, ...]
    # The system prompt of an LLM engine (the deterministic dialog has its flow in code).
    instructions: str = ""
    # The business module (verticals/<vertical>/): its slots, tools, flow and read-outs.
    vertical: str = "real_estate"
    # When bookings can happen (to tell a caller why a time is not free; the calendar decides).
    hours: Hours = field(default_factory=Hours)
    # Outbound calls (`voicepod dial`): the greeting when we rang them and a human answered (empty:
    # `greeting`), and the message left when a machine answered (empty: no message, just hang up).
    outbound_greeting: str = ""
    voicemail: str = ""
    go_live: GoLiveBar = field(default_factory=GoLiveBar)
    # Async mode (docs/modes.md): when callers leave a voicemail instead, and how they are called
    # back; None: every caller reaches the live agent.
    async_mode: AsyncPolicy | None = None

    @classmethod
    def load(cls, name: str, directory: Path | None = None) -> AgentConfig:
        path = (directory or Path(str(resources.files("agents")))) / f"{name}.yaml"
        return cls.from_yaml(path)

    @classmethod
    def from_yaml(cls, path: Path) -> AgentConfig:
        raw = yaml.safe_load(path.read_text())
        return cls(
            name=raw["name"], persona=raw["persona"], company=raw["company"], greeting=raw["greeting"],
            voice=raw.get("voice", "piper-joe"), cities=tuple(raw.get("cities", ())), time_zone=raw["time_zone"],
            tools=tuple(raw["tools"]), instructions=raw.get("instructions", "").strip(),
            vertical=raw.get("vertical", "real_estate"), hours=Hours.from_mapping(raw.get("hours")),
            outbound_greeting=raw.get("outbound_greeting", "").strip(), voicemail=raw.get("voicemail", "").strip(),
            go_live=GoLiveBar(**raw.get("go_live", {})),
            async_mode=AsyncPolicy.from_mapping(raw.get("async")),
        )  # fmt: skip
