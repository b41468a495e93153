"""Count what a method is called with while a test runs, the method still doing its work."""

from __future__ import annotations

from typing import Any

import pytest


def spy(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[tuple[Any, ...]]:
    """The arguments (self left out) of every call of `owner.name` from now on."""
    calls: list[tuple[Any, ...]] = []
    original = getattr(owner, name)

    def recorded(self: Any, *args: Any) -> Any:
        calls.append(args)
        return original(self, *args)

    monkeypatch.setattr(owner, name, recorded)
    return calls
