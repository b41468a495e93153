"""The real-estate vertical: home search on the MLS, showings on the calendar, leads in the CRM,
confirmations by text. `agents/real_estate.yaml` names it (`vertical: real_estate`)."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.agent.tools import Tool
from gateway.agent.vertical import Flow, Host
from verticals.real_estate import tools
from verticals.real_estate.flow import RealEstateFlow


class RealEstate:
    name = "real_estate"
    tools: Sequence[Tool] = tools.ALL

    def flow(self, host: Host) -> Flow:
        return RealEstateFlow(host)


VERTICAL = RealEstate()
