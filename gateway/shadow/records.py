"""The side-by-side records of a shadow call, as they go into its transcript (JetStream, stored by
the transcript service): each desk turn beside the agent's recommendation, and at the end what the
person did beside what the agent would have done."""

from __future__ import annotations

from collections.abc import Sequence

from bus.contracts import shadow_pb2
from gateway.shadow.advisor import Recommendation
from gateway.shadow.entities import COMPARED, of_actions
from gateway.shadow.tools import Intent

COMMIT, NONE = "commit", "none"


def desk_turn(agent_name: str, number: int, human_text: str, rec: Recommendation | None) -> shadow_pb2.ShadowTurn:
    """The person's `number`th turn, beside the agent's latest recommendation (None: none yet)."""
    turn = shadow_pb2.ShadowTurn(agent_name=agent_name, human_text=human_text, human_turn=number)
    if rec is not None:
        turn.caller_text, turn.recommended_reply = rec.caller_text, rec.reply
        turn.recommended_actions.extend(a.as_proto() for a in rec.actions)
        turn.entities.update(rec.entities)
    return turn


def outcome(agent_name: str, human: Sequence[Intent], agent: Recommendation | None,
            latest: Recommendation | None) -> shadow_pb2.ShadowOutcome:  # fmt: skip
    """`human`: the desk's writes; `agent`: the turn where the agent would have acted (None: it never
    would have), `latest` its last recommendation (its entities when it never acted)."""
    wrote = [a for a in human if a.writes]
    out = shadow_pb2.ShadowOutcome(agent_name=agent_name, human_action=COMMIT if wrote else NONE,
                                   recommended_action=COMMIT if agent is not None else NONE)  # fmt: skip
    out.human_actions.extend(a.as_proto() for a in wrote)
    out.human_entities.update(of_actions(wrote))
    final = agent or latest
    if final is not None:
        out.recommended_actions.extend(a.as_proto() for a in final.actions if a.writes)
        out.recommended_entities.update({k: v for k, v in final.entities.items() if k in COMPARED})
    return out
