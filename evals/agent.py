"""The agent under evaluation, built as the gateway builds it per call (gateway.agent.factory),
with one difference: the scenario's clock, so "tomorrow at 3" means the same day on every run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bus.client import BusClient
from gateway.agent.config import AgentConfig
from gateway.agent.dialog import FrameDialog
from gateway.agent.tools import Tool, ToolBox, ToolObserver
from gateway.agent.vertical import load_vertical
from gateway.call_origin import Typing


def agent_tools(config: AgentConfig) -> list[Tool]:
    return [t for t in load_vertical(config.vertical).tools if t.name in config.tools]


def services_needed(config: AgentConfig) -> tuple[str, ...]:
    """The services the agent's tools call, in a stable order."""
    return tuple(sorted({t.endpoint.service for t in agent_tools(config)}))


def new_dialog(
    config: AgentConfig,
    bus: BusClient,
    call_id: str,
    clock: Callable[[], datetime],
    observer: ToolObserver | None = None,
    typing: Typing | None = None,
) -> FrameDialog:
    """`typing`: how the caller can type (the call's origin: a web page's box), as the gateway's own
    agent factory passes it."""
    return FrameDialog(config, ToolBox(agent_tools(config), bus, observer), call_id, clock=clock, typing=typing)
