"""Calls per core, in one harness: stock aiortc echo (the baseline), the voicepod gateway's
offline transcoding media path in one process (decode, 16 kHz resample, Silero VAD,
endpointing, echo, our Opus encoding, paced playout) on its default lean media stack and on
the aiortc stack, the lean gateway with 2 worker processes, and our own WebRTC endpoint
(gateway/rtc) alone with Opus passthrough and with the listening stages.

`--only a,b` re-runs those servers and keeps the others' results from the last JSON (each
server's result carries its own date).

`--phone` is its own run: the lean gateway ramped with WebRTC callers and then the same gateway
ramped with phone callers through its Twilio bridge (bench.load.phone_swarm: Twilio's side of each
call, the signed webhook, then pre-encoded 8 kHz μ-law `media` messages), both from the same low
steps, so the two are a ratio measured in one run. Writes bench/results/capacity_phone.json and its
own table in docs/performance.md (the main table above keeps its own run).

Each server is ramped with bench.load.lean_swarm (its own process, pre-encoded Opus, no decoding) until a step
fails (< 99 % of frames back or > 1 % late). Writes bench/results/capacity.json, a table in
docs/performance.md and docs/capacity.png. STT/TTS inference is excluded (echo agent, STT off).

The callers run on the same machine and need CPU of their own (reported per step), so the
workers' speed-up here is bounded by what the callers leave free; see docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bench.gateway_load import TEXT, ramp, step
from bench.report import RESULTS, ROOT, machine, replace_section, write_json
from tests.nats_fixture import start_nats_server

SERVERS = {
    "stock_aiortc_echo": (2, 4, 6, 8, 10, 12, 14, 16, 20),
    "voicepod_gateway_aiortc": (16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64),
    "voicepod_gateway": (32, 48, 56, 64, 72, 80, 88, 96, 104, 112, 128),
    # The same, every call's media through one UDP port (VOICEPOD_RTC_UDP_PORT, gateway/rtc/udp_mux.py).
    "voicepod_gateway_one_port": (32, 48, 56, 64, 72, 80, 88, 96, 104, 112, 128),
    "voicepod_gateway_2_workers": (64, 80, 88, 96, 104, 112, 120, 128, 144, 160, 176, 192),
    # The lean gateway streaming each call to a Deepgram-live stand-in (bench/load/stt_sink.py): the
    # caller's own Opus packets in Ogg pages, or 16 kHz linear16 frames; with our VAD, or the
    # provider ending the turns (nothing decoded).
    "voicepod_gateway_stt_opus": (32, 40, 48, 56, 64, 72, 80, 88, 96, 112),
    "voicepod_gateway_stt_pcm": (32, 40, 48, 56, 64, 72, 80, 88, 96, 112),
    "voicepod_gateway_stt_turns": (32, 48, 64, 80, 96, 112, 128, 144, 160, 192),
    # Our own endpoint (gateway/rtc) without the gateway: Opus passthrough (what a call costs when
    # STT and TTS both speak Opus), and the offline stack's listening stages (bench/load/lean_echo.py).
    "lean_passthrough_echo": (64, 128, 160, 192, 224, 256, 320, 384),
    "lean_transcode": (32, 48, 64, 80, 96, 112, 128),
}
# --phone: one gateway process, WebRTC callers then phone callers, at each of the same steps.
PHONE_RUN = ("voicepod_gateway", "voicepod_gateway_phone")
PHONE_STEPS = (8, 16, 32, 48, 64)
PLOT = ROOT / "docs" / "capacity.png"
SPIN = (
    "import time\nend, n = time.monotonic() + 3, 0\n"
    "while time.monotonic() < end:\n    sum(range(10_000)); n += 1\nprint(n)"
)


def cpu_scaling_ceiling(processes: int = 2) -> float:
    """Work `processes` busy Python processes get done, over what one gets done alone: the most any
    multi-process speed-up can be on this machine (vCPUs may share physical cores or be contended)."""

    def run(k: int) -> int:
        procs = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE) for _ in range(k)]
        return sum(int(p.communicate()[0]) for p in procs)

    return run(processes) / run(1)


def projected_per_vcpu(result: dict[str, Any]) -> int | None:
    """Calls one vCPU would carry at the server CPU per call-second measured at the top sustained
    step: for when the callers (on the same 2 vCPUs) run out before the server does."""
    at = result["at_max"]
    return int(1 / at["cpu_seconds_per_call_second"]) if at and at["cpu_seconds_per_call_second"] > 0 else None


def _projected_speedup(one: dict[str, Any], two: dict[str, Any], workers: int = 2) -> float | None:
    a, b = one["at_max"], two["at_max"]
    if not a or not b or not b["cpu_seconds_per_call_second"]:
        return None
    speedup: float = workers * a["cpu_seconds_per_call_second"] / b["cpu_seconds_per_call_second"]
    return round(speedup, 2)


def summary(results: dict[str, dict[str, Any]], ceiling: float) -> dict[str, Any]:
    stock, one, two = results["stock_aiortc_echo"], results["voicepod_gateway"], results["voicepod_gateway_2_workers"]
    passthrough, lean = results["lean_passthrough_echo"], results["lean_transcode"]
    aiortc = results["voicepod_gateway_aiortc"]
    one_best = one["at_max"] or {}
    return {
        "baseline_calls_per_core": stock["max_calls_per_core"],
        "transcode_calls_per_core": one["max_calls_per_core"],
        "transcode_vs_baseline": (one["max_calls_per_core"] / stock["max_calls_per_core"])
        if stock["max_calls_per_core"] else None,
        "media_stack": "lean",  # the gateway's default (VOICEPOD_MEDIA_STACK)
        "aiortc_stack_calls_per_core": aiortc["max_calls_per_core"],
        "workers": 2,
        "workers_calls": two["max_calls_per_core"],  # calls sustained by the 2-worker pod on this box
        "workers_speedup": (two["max_calls_per_core"] / one["max_calls_per_core"])
        if one["max_calls_per_core"] else None,
        "cpu_scaling_ceiling_2_processes": ceiling,
        # What 2 workers would carry on 2 cores of their own, from CPU per call-second at the top
        # sustained steps (on this box the callers take part of those cores).
        "workers_speedup_projected": _projected_speedup(one, two),
        "rss_mb_per_call": one_best.get("rss_mb_per_call"),
        "threads_per_call": one_best.get("threads_per_call"),
        "cpu_seconds_per_call_second": one_best.get("cpu_seconds_per_call_second"),
        # Opus passthrough through the whole gateway (packets to the STT, its turns, nothing decoded),
        # sustained by one process (at most one vCPU): a measured lower bound; and what its CPU per
        # call-second at that step projects for a whole vCPU. Then our endpoint alone (gateway/rtc).
        "passthrough_calls_per_vcpu": results["voicepod_gateway_stt_turns"]["max_calls_per_core"],
        "passthrough_calls_per_vcpu_projected": projected_per_vcpu(results["voicepod_gateway_stt_turns"]),
        "endpoint_passthrough_calls_per_vcpu": passthrough["max_calls_per_core"],
        "endpoint_passthrough_calls_per_vcpu_projected": projected_per_vcpu(passthrough),
        "lean_transcode_calls_per_core": lean["max_calls_per_core"],
        "lean_transcode_calls_per_core_projected": projected_per_vcpu(lean),
        # The gateway with a streaming STT: the caller's Opus passed through, or decoded to linear16.
        "stt_opus_calls_per_core": results["voicepod_gateway_stt_opus"]["max_calls_per_core"],
        "stt_pcm_calls_per_core": results["voicepod_gateway_stt_pcm"]["max_calls_per_core"],
        "projected_basis": "1 / server CPU-seconds per call-second at the top sustained step",
    }  # fmt: skip


def plot(results: dict[str, dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    fig, (cpu, late) = plt.subplots(1, 2, figsize=(11, 4))
    for kind, r in results.items():
        calls = [s["calls"] for s in r["steps"]]
        cpu.plot(calls, [s["server_core_utilisation"] for s in r["steps"]], marker="o", label=kind)
        late.plot(calls, [100 * s["late_ratio"] for s in r["steps"]], marker="o", label=kind)
    cpu.set(xlabel="concurrent calls", ylabel="server cores used", title="CPU")
    late.set(xlabel="concurrent calls", ylabel="late frames (%)", title="Late frames (limit 1 %)", yscale="symlog")
    late.axhline(1.0, color="grey", linestyle="--")
    for ax in (cpu, late):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    m = machine()
    fig.suptitle(f"Calls per server on {m['cores']} cores ({m['cpu_model']}), {m['date']}")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=90)


def table(results: dict[str, dict[str, Any]], figures: dict[str, Any]) -> str:
    rows = [
        "| server | calls sustained (≤1% late, ≥99% frames) | server cores | callers' cores | CPU-s per call-s "
        "| RSS MB per call | threads per call |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, r in results.items():
        m = r["at_max"] or {}
        rows.append(f"| {kind} | {r['max_calls_per_core']} | {m.get('server_core_utilisation', 0):.2f} | "
                    f"{m.get('callers_core_utilisation', 0):.2f} | {m.get('cpu_seconds_per_call_second', 0):.4f} | "
                    f"{m.get('rss_mb_per_call', 0):.2f} | {m.get('threads_per_call', 0):.2f} |")  # fmt: skip
    ratio, speedup = figures["transcode_vs_baseline"] or 0, figures["workers_speedup"] or 0
    rows += [
        "",
        f"Gateway (lean media stack, the default) vs stock aiortc: **{ratio:.2f}×** calls per core "
        f"(on the aiortc stack: {figures['aiortc_stack_calls_per_core']}); 2 workers vs 1: **{speedup:.2f}×** "
        f"(this machine's ceiling for any 2-process speed-up, busy Python loops: "
        f"{figures['cpu_scaling_ceiling_2_processes']:.2f}×, callers included on the same cores; projected "
        f"from CPU per call-second, on 2 cores of their own: {figures['workers_speedup_projected']}×). "
        f"The gateway streaming every call to an STT: the caller's Opus passed through, our VAD "
        f"**{figures['stt_opus_calls_per_core']}**; decoded to linear16 **{figures['stt_pcm_calls_per_core']}**; "
        f"**Opus passthrough with the provider ending the turns (nothing decoded): "
        f"{figures['passthrough_calls_per_vcpu']} calls** sustained by one process "
        f"(~{figures['passthrough_calls_per_vcpu_projected']} per vCPU at its CPU per call-second). "
        f"Our own endpoint (`gateway/rtc`) alone: passthrough **{figures['endpoint_passthrough_calls_per_vcpu']}** "
        f"(~{figures['endpoint_passthrough_calls_per_vcpu_projected']} per vCPU); the offline stack's listening "
        f"stages on it **{figures['lean_transcode_calls_per_core']}** "
        f"(~{figures['lean_transcode_calls_per_core_projected']} per core).",
        "",
        "![calls per server](capacity.png)",
    ]
    return "\n".join(rows)


def phone_table(results: dict[str, dict[str, Any]], figures: dict[str, Any]) -> str:
    rows = [
        "| callers | calls | late | frames back | audio taken in | server cores | callers' cores | CPU-s per call-s "
        "| RSS MB per call | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, r in results.items():
        for s in r["steps"]:
            verdict = "ok" if s["ok"] else ("kept up, late" if s["kept_up"] else "fell behind")
            callers = "phone" if kind.endswith("_phone") else "webrtc"
            rows.append(f"| {callers} | {s['calls']} | {s['late_ratio']:.1%} | {s['received_ratio']:.1%} | "
                        f"{s.get('heard_ratio', 0):.1%} | {s['server_core_utilisation']:.2f} | "
                        f"{s['callers_core_utilisation']:.2f} | {s['cpu_seconds_per_call_second']:.4f} | "
                        f"{s['rss_mb_per_call']:.2f} | {verdict} |")  # fmt: skip
    ratios = ", ".join(f"{r:.2f}× at {calls} calls" for calls, r in figures["phone_cpu_vs_webrtc_by_calls"].items())
    rows += ["", f"Sustained by the capacity criteria (≤ 1 % late, ≥ 99 % of frames back and of the callers' audio "
             f"taken in): WebRTC {figures['webrtc_calls_per_core']}, phone {figures['phone_calls_per_core']}. "
             f"A phone call's server CPU per call-second over a WebRTC call's, where both kept up: "
             f"**{ratios or 'no such step'}** (load average {figures['load_average_at_end']:.1f} at the end)."
             ]  # fmt: skip
    return "\n".join(rows)


def kept_up(r: dict[str, Any]) -> bool:
    """The server kept up with what it was sent, lateness aside: every call connected, ≥ 99 % of the
    frames back, and 99–110 % of the callers' audio taken in during the window (above it, the turn
    loops were working off a backlog: behind). On a machine others are loading, the callers' own
    clocks slip and lateness can fail every step while the server's work still gets done."""
    heard = r.get("heard_ratio", 0.0)
    return bool(r["connected"] == r["calls"] and r["received_ratio"] >= 0.99 and 0.99 <= heard <= 1.10)


def phone_run(wav: Path, nats_url: str) -> None:
    """The --phone run: at each step WebRTC callers, then phone callers, on a fresh gateway each
    (interleaved, so the machine's other load falls on both alike). A kind stops once it no longer
    keeps up (kept_up); a step that keeps up but misses the lateness bar is still run past."""
    steps: dict[str, list[dict[str, Any]]] = {kind: [] for kind in PHONE_RUN}
    stopped: set[str] = set()
    for calls in PHONE_STEPS:
        for kind in PHONE_RUN:
            if kind in stopped:
                continue
            r = step(kind, calls, wav, nats_url)
            steps[kind].append(r)
            print(f"{kind:>24} {calls:3d} calls: late {r['late_ratio']:.2%} received {r['received_ratio']:.1%} "
                  f"heard {r.get('heard_ratio', 0):.1%} core {r['server_core_utilisation']:.0%} "
                  f"cpu/call-s {r['cpu_seconds_per_call_second']:.4f} {'ok' if r['ok'] else 'FAIL'}",
                  flush=True)  # fmt: skip
            if not kept_up(r):
                stopped.add(kind)
    today = date.today().isoformat()
    results = {kind: {"steps": steps[kind], "date": today} for kind in PHONE_RUN}
    phone_report(results, os.getloadavg()[0])


def phone_report(results: dict[str, dict[str, Any]], load_average: float) -> None:
    """Figures, JSON and table of a --phone run: calls sustained by the capacity criteria, and CPU
    per call-second side by side at the steps where both kept up (the ratio that survives the load)."""
    for r in results.values():
        for s in r["steps"]:
            s["kept_up"] = kept_up(s)
        ok = [s for s in r["steps"] if s["ok"]]
        r["max_calls_per_core"], r["at_max"] = (ok[-1]["calls"], ok[-1]) if ok else (0, None)
    webrtc, phone = results["voicepod_gateway"]["steps"], results["voicepod_gateway_phone"]["steps"]
    both = {
        w["calls"]: (w, p) for w in webrtc for p in phone if w["calls"] == p["calls"] and w["kept_up"] and p["kept_up"]
    }
    cpu_ratio = {calls: round(p["cpu_seconds_per_call_second"] / w["cpu_seconds_per_call_second"], 2)
                 for calls, (w, p) in both.items()}  # fmt: skip
    figures = {
        "webrtc_calls_per_core": results["voicepod_gateway"]["max_calls_per_core"],
        "phone_calls_per_core": results["voicepod_gateway_phone"]["max_calls_per_core"],
        # Phone CPU per call-second over WebRTC's, at each step where both kept up (below 1: cheaper).
        "phone_cpu_vs_webrtc_by_calls": cpu_ratio,
        "load_average_at_end": load_average,
    }
    write_json("capacity_phone", {"benchmark": "capacity_phone", **figures, "results": results})
    text = phone_table(results, figures)
    replace_section("capacity_phone", text)
    print(text)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--only", default="", help="comma-separated servers to re-run; the rest come from the last JSON")
    p.add_argument("--phone", action="store_true", help="only the WebRTC vs phone-bridge comparison (PHONE_RUN)")
    p.add_argument("--report", action="store_true", help="run nothing: the JSON, table and plot from the last results")
    args = p.parse_args()
    only = [k for k in args.only.split(",") if k]
    if args.report and args.phone:
        last = json.loads((RESULTS / "capacity_phone.json").read_text())
        phone_report(last["results"], last["load_average_at_end"])
        return
    if args.report:
        last = json.loads((RESULTS / "capacity.json").read_text())
        report(last["results"], last["cpu_scaling_ceiling_2_processes"])
        return
    unknown = set(only) - set(SERVERS)
    if unknown:
        raise SystemExit(f"unknown servers {sorted(unknown)}; choose from {', '.join(SERVERS)}")
    previous = json.loads((RESULTS / "capacity.json").read_text())["results"] if only else {}
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), TEXT], check=True)
        server = start_nats_server(Path(tmp))
        if args.phone:
            try:
                phone_run(wav, server.url)
            finally:
                server.stop()
            return
        try:
            results = {}
            for kind, steps in SERVERS.items():
                if only and kind not in only and kind in previous:
                    results[kind] = previous[kind]
                else:
                    results[kind] = {**ramp(kind, wav, server.url, steps), "date": date.today().isoformat()}
        finally:
            server.stop()
    report(results, cpu_scaling_ceiling())


def report(results: dict[str, dict[str, Any]], ceiling: float) -> None:
    figures = summary(results, ceiling)
    write_json("capacity", {"benchmark": "capacity", **figures, "results": results})
    plot(results)
    text = table(results, figures)
    replace_section("capacity", text)
    print(text)


if __name__ == "__main__":
    main()
