"""Shadow mode (docs/modes.md): a person at the desk answers the caller; the agent listens to both
sides and recommends, turn by turn, without acting.

- `leg.py`: one WebRTC leg (the caller's or the person's): its link, what it hears, what it plays;
- `desk.py`: the queue of waiting callers and the people who take them; `bridge.py` one taken call;
- `advisor.py`: the agent that recommends (the same dialog, its tools behind `tools.ShadowTools`);
- `records.py`: the side-by-side records (transcript stream) and the call's two outcomes;
- `routes.py`: `/desk` (the page), `/desk/ws` (the person's signalling), `/desk/act` (the buttons).
"""
