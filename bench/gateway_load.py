"""The ramp harness of the capacity benchmark (bench/capacity.py): concurrent calls a server sustains.

For each server (stock aiortc echo, then the voicepod gateway with the media path on:
decode, 16 kHz resample, Silero VAD, endpointing, echo responder, paced playout), ramp
the number of concurrent callers (bench.load.lean_swarm, its own process, pre-encoded Opus)
until a step fails: fewer than 99 % of the expected frames came back, or more than 1 %
arrived late (> 40 ms); for the gateway also when its turn loops took in less than 99 % of
the callers' audio, or (lean stack) took more than 1 % of it > 40 ms after it arrived: its
playout is paced by a clock, so on time outbound frames alone do not show a process that has
fallen behind on what it hears. STT_GATEWAYS: the lean gateway streaming every call to a
Deepgram-live stand-in (bench.load.stt_sink, its own process) as Ogg Opus (the caller's packets)
or 16 kHz linear16, with our VAD or the provider's turns; the step also needs ≥ 99 % of the
callers' audio to reach it.
Per step: server CPU-seconds per call-second, RSS and threads
per call (from /proc). One server process uses at most one core, so "calls per
process" is "calls per core".
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from gateway.settings import LOOPBACK_ENV
from proc.ports import free_port

STEPS = (2, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48)
SECONDS, WARMUP = 12.0, 4.0
TEXT = ("I am looking for a three bedroom house in Austin with a pool and a big yard. "
        "Can you show me something under six hundred thousand dollars?")  # fmt: skip
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Servers that are not the gateway: module and arguments.
# The load callers: our own endpoint, never decoding (a tenth of aiortc callers' CPU, which left the
# server less of this 2-vCPU machine); bench.load.swarm is the aiortc version.
CALLERS = "bench.load.lean_swarm"
ECHO_SERVERS = {
    "stock_aiortc_echo": ["bench.load.stock_echo"],
    "lean_passthrough_echo": ["bench.load.lean_echo"],
    "lean_transcode": ["bench.load.lean_echo", "--transcode"],
}
# Phone callers through the gateway's Twilio bridge (bench.load.phone_swarm): the server is one gateway
# process; its outbound frames (what the callers should receive) come from its /metrics.
PHONE_CALLERS = "bench.load.phone_swarm"
PHONE_SERVERS = ("voicepod_gateway_phone",)
PHONE_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"  # the shape of a Twilio auth token; loopback only
# The lean gateway streaming to a Deepgram-live stand-in (bench.load.stt_sink): how.
STT_GATEWAYS = {
    "voicepod_gateway_stt_pcm": {"VOICEPOD_STT_AUDIO": "pcm"},  # decoded, 16 kHz linear16; our VAD
    "voicepod_gateway_stt_opus": {"VOICEPOD_STT_AUDIO": "opus"},  # the caller's packets; decoded for our VAD
    # The caller's packets, and the provider ends the turns: nothing decoded, no VAD of ours.
    "voicepod_gateway_stt_turns": {"VOICEPOD_STT_AUDIO": "opus", "VOICEPOD_TURNS": "provider"},
}


def process_tree(pid: int) -> list[int]:
    """pid and every live process below it (a server with worker processes)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [pid], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        tree += sorted(frontier)
    return tree


def proc_figures(pid: int) -> dict[str, float]:
    """CPU-seconds, RSS and threads of a server: summed over its process tree (workers included)."""
    total = {"cpu_seconds": 0.0, "rss_mb": 0.0, "threads": 0}
    for p in process_tree(pid):
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            lines = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue  # gone meanwhile
        status = dict(line.split(":", 1) for line in lines if ":" in line)
        total["cpu_seconds"] += (int(stat[11]) + int(stat[12])) / CLK_TCK
        total["rss_mb"] += int(status["VmRSS"].split()[0]) / 1024
        total["threads"] += int(status["Threads"])
    return total


HEARD = ("voicepod_gateway_caller_audio_seconds_total", "voicepod_gateway_caller_packets_late_total")
PHONE_SENT = "voicepod_phone_media_frames_total"  # {direction="outbound"}: media messages to the bridge


def heard_figures(ops_port: int, names: tuple[str, ...] = HEARD) -> dict[str, float]:
    """The gateway's caller-audio counters from its /metrics (all workers; on its ops port)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{ops_port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    totals = dict.fromkeys(names, 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            # (a counter by direction: its outbound side; the others have no such label)
            if sample.name in totals and sample.labels.get("direction", "outbound") == "outbound":
                totals[sample.name] += sample.value
    return totals


def wait_ready(url: str, timeout: float = 60) -> None:
    give_up_at = time.monotonic() + timeout
    while time.monotonic() < give_up_at:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling the server's health probe while it starts
    raise TimeoutError(url)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(kind: str, port: int, nats_url: str, stt_url: str = "", ops_port: int = 0) -> subprocess.Popen[bytes]:
    """kind: one of ECHO_SERVERS, voicepod_gateway (one process) or voicepod_gateway_<N>_workers, on the
    default (lean) media stack; voicepod_gateway_one_port: one process with every call's media on one UDP
    port (VOICEPOD_RTC_UDP_PORT); voicepod_gateway_aiortc: one process on the aiortc stack;
    STT_GATEWAYS: Deepgram live STT at `stt_url` (bench.load.stt_sink). A gateway's /metrics is on
    `ops_port` (default: any free one)."""
    workers = kind.split("_")[2] if kind.endswith("_workers") else "1"
    stack = "aiortc" if kind.endswith("_aiortc") else "lean"
    if kind in ECHO_SERVERS:
        argv, env, health = [sys.executable, "-m", *ECHO_SERVERS[kind], "--port", str(port)], {}, "healthz"
    else:
        argv = [
            sys.executable,
            "-m",
            "pod.cli",
            "gateway",
            "--workers",
            workers,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ops-host",
            "127.0.0.1",
            "--ops-port",
            str(ops_port or free_port()),
        ]
        env = {"NATS_URL": nats_url, "VOICEPOD_DEV_MODE": "1", "VOICEPOD_STT": "none", "VOICEPOD_AGENT": "echo",
               "VOICEPOD_MAX_CALLS": "1000", "MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072",
               "VOICEPOD_MEDIA_STACK": stack,
               "VOICEPOD_LOG_LEVEL": "warning", **LOOPBACK_ENV}  # fmt: skip
        if kind in PHONE_SERVERS:
            env["TWILIO_AUTH_TOKEN"] = PHONE_AUTH_TOKEN
        if kind == "voicepod_gateway_one_port":
            env["VOICEPOD_RTC_UDP_PORT"] = str(free_udp_port())
        if stt_url:
            env.update({"VOICEPOD_STT": "deepgram", "DEEPGRAM_API_KEY": "bench", "DEEPGRAM_URL": stt_url,
                        **STT_GATEWAYS[kind]})  # fmt: skip
        health = "readyz"
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(f"http://127.0.0.1:{port}/{health}")
    return proc


def start_stt_sink() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.load.stt_sink", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/healthz")
    return proc, url


def stt_seconds(url: str) -> float:
    with urllib.request.urlopen(f"{url}/seconds", timeout=5) as resp:
        return float(json.loads(resp.read())["seconds"])


def step(kind: str, calls: int, wav: Path, nats_url: str) -> dict[str, Any]:
    port, ops_port = free_port(), free_port()
    sink, stt_url = start_stt_sink() if kind in STT_GATEWAYS else (None, "")
    server = start_server(kind, port, nats_url, stt_url, ops_port)
    try:
        idle = proc_figures(server.pid)
        phone = kind in PHONE_SERVERS
        callers = [PHONE_CALLERS, "--url", f"http://127.0.0.1:{port}", "--auth-token", PHONE_AUTH_TOKEN] if phone \
            else [CALLERS, "--url", f"ws://127.0.0.1:{port}/ws"]  # fmt: skip
        swarm = subprocess.Popen(
            [sys.executable, "-m", *callers, "--calls", str(calls), "--seconds", str(SECONDS), "--warmup", str(WARMUP),
             "--wav", str(wav)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(WARMUP + 1)  # the measured window starts after the callers' warm-up
        gateway = kind not in ECHO_SERVERS
        begin, swarm_begin = proc_figures(server.pid), proc_figures(swarm.pid)
        try:
            heard_begin = heard_figures(ops_port) if gateway else None
        except OSError:  # as below: unanswered, the step fails
            heard_begin = None
        sink_begin = (proc_figures(sink.pid), stt_seconds(stt_url)) if sink else None
        time.sleep(SECONDS - 2)
        end, swarm_end = proc_figures(server.pid), proc_figures(swarm.pid)
        try:
            heard_end = heard_figures(ops_port) if gateway else None
        except OSError:  # its /metrics did not answer within 5 s: the process has fallen behind (a failed step)
            heard_end = None
        sink_end = (proc_figures(sink.pid), stt_seconds(stt_url)) if sink else None
        out, _ = swarm.communicate(timeout=120)
        result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        if phone:  # every frame the gateway sent reached a caller (the calls have ended: all counted)
            try:
                sent = heard_figures(ops_port, (PHONE_SENT,))[PHONE_SENT]
            except OSError:
                sent = 0.0  # unanswered: the step fails
            result["sent_frames"] = sent
            result["received_ratio"] = result["received_frames"] / sent if sent else 0.0
    finally:
        server.terminate()
        server.wait(timeout=30)
        if sink is not None:
            sink.terminate()
            sink.wait(timeout=30)
    window = SECONDS - 2
    heard_ok = not gateway or (heard_begin is not None and heard_end is not None)
    if heard_begin is not None and heard_end is not None:
        audio, late = (heard_end[name] - heard_begin[name] for name in HEARD)
        result["heard_ratio"] = audio / (window * calls)
        result["heard_late_ratio"] = late / (audio * 50) if audio else 1.0
        heard_ok = result["heard_ratio"] >= 0.99 and result["heard_late_ratio"] <= 0.01
    if sink_begin is not None and sink_end is not None:
        result["stt_ratio"] = (sink_end[1] - sink_begin[1]) / (window * calls)
        result["stt_sink_core_utilisation"] = (sink_end[0]["cpu_seconds"] - sink_begin[0]["cpu_seconds"]) / window
        heard_ok = heard_ok and result["stt_ratio"] >= 0.99
    result.update({
        "server": kind,
        "cpu_seconds_per_call_second": (end["cpu_seconds"] - begin["cpu_seconds"]) / (window * calls),
        "server_core_utilisation": (end["cpu_seconds"] - begin["cpu_seconds"]) / window,
        # The callers share the machine: what they use is not left for the server.
        "callers_core_utilisation": (swarm_end["cpu_seconds"] - swarm_begin["cpu_seconds"]) / window,
        "rss_mb_per_call": (end["rss_mb"] - idle["rss_mb"]) / calls,
        "threads_per_call": (end["threads"] - idle["threads"]) / calls,
        "ok": result["connected"] == calls and result["late_ratio"] <= 0.01 and result["received_ratio"] >= 0.99
        and heard_ok,
    })  # fmt: skip
    return result


def ramp(kind: str, wav: Path, nats_url: str, steps_to_try: tuple[int, ...] = STEPS) -> dict[str, Any]:
    steps, best = [], None
    for calls in steps_to_try:
        r = step(kind, calls, wav, nats_url)
        steps.append(r)
        heard = f" heard {r['heard_ratio']:.1%} (late {r['heard_late_ratio']:.2%})" if "heard_ratio" in r else ""
        heard += f" stt {r['stt_ratio']:.1%}" if "stt_ratio" in r else ""
        print(f"{kind:>20} {calls:3d} calls: late {r['late_ratio']:.2%} received {r['received_ratio']:.1%}{heard} "
              f"core {r['server_core_utilisation']:.0%} {'ok' if r['ok'] else 'FAIL'}", flush=True)  # fmt: skip
        if not r["ok"]:
            break
        best = r
    return {"max_calls_per_core": best["calls"] if best else 0, "at_max": best, "steps": steps}
