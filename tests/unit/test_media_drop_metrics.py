"""Media-port drops reach Prometheus by reason, each counted once across polls (no call id label)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from gateway.stats import MediaSummary, export

NAME = "voicepod_gateway_media_dropped_total"


def _value(reason: str) -> float:
    return REGISTRY.get_sample_value(NAME, {"reason": reason}) or 0.0


def test_drops_are_exported_by_reason_as_the_increase_since_the_last_poll() -> None:
    before = {r: _value(r) for r in ("stranger", "before_ice", "oversized")}
    sends = REGISTRY.get_sample_value("voicepod_gateway_media_send_errors_total") or 0.0
    first = MediaSummary(media_dropped={"stranger": 5, "before_ice": 50_000})
    second = MediaSummary(media_dropped={"stranger": 8, "before_ice": 50_000, "oversized": 2}, send_errors=3)
    export(MediaSummary(), first)
    export(first, second)
    assert _value("stranger") - before["stranger"] == 8
    assert _value("before_ice") - before["before_ice"] == 50_000
    assert _value("oversized") - before["oversized"] == 2
    assert (REGISTRY.get_sample_value("voicepod_gateway_media_send_errors_total") or 0.0) - sends == 3
