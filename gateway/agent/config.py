"""An agent defined as configuration: agents/<name>.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml


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

    @classmethod
    def load(cls, name: str, directory: Path | None = None) -> AgentConfig:
        path = (directory or Path(str(resources.files("agents")))) / f"{name}.yaml"
        raw = yaml.safe_load(path.read_text())
        return cls(
            name=raw["name"], persona=raw["persona"], company=raw["company"], greeting=raw["greeting"],
            voice=raw.get("voice", "piper-joe"), cities=tuple(raw["cities"]), time_zone=raw["time_zone"],
            tools=tuple(raw["tools"]), instructions=raw.get("instructions", "").strip(),
        )  # fmt: skip
