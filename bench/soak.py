"""Soak: one gateway process at ~80 % of its measured capacity for 10 minutes, calls starting
and ending all the time; does anything grow?

nats-server and one gateway process (`voicepod gateway --workers 1`) as bench/gateway_load.py
runs them (media path on: echo agent, STT none, dev mode); bench.load.churn in its own process keeps --calls callers
(default 28, 80 % of the 36 calls per core in bench/results/capacity.json) dialling,
talking real speech for 8-25 s and hanging up. One sample before the first call ("idle"),
then every --interval seconds the gateway is sampled from /proc (RSS, threads, open fds,
CPU) and from its /metrics (asyncio tasks, Python threads, peer connections, calls active),
and the host's CPU is read so that other work on a shared machine shows. After the churn,
once calls_active is 0 and the task, fd, thread and peer-connection counts have stopped
moving, one more sample: "after hang-up".

Figures: RSS drift = mean RSS over the last --window seconds of load / mean RSS over the
first --window seconds after --warmup, minus 1; tasks, threads, fds and peer connections
after hang-up against idle (growth) and their maximum during load; calls placed, completed,
failed, late-frame ratio. Exits 1 when RSS drift is outside +-10 %, a growth is over its
tolerance (tasks 2, threads 1, fds 2, peer connections 0), a peer connection or call is
left, or more than 1 % of the calls failed. One allowance: asyncio's default executor
(aioice resolves each call's STUN server name in it) starts its worker threads on demand,
up to min(32, cores + 4), and keeps them; workers not yet started at idle may appear once and are not counted as
growth (the thread tolerance is raised by that many, and Python threads must stay within
the main thread plus that bound plus the tolerance).

    python -m bench.soak                  # 600 s, results in bench/results/soak.json
    python -m bench.soak --seconds 45 --warmup 15 --window 15 --interval 5 --json /tmp/soak.json --no-doc
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.gateway_load import CLK_TCK, TEXT, proc_figures, wait_ready
from bench.report import RESULTS, machine, replace_section, write_json
from gateway.settings import LOOPBACK_ENV
from proc.ports import free_port
from tests.nats_fixture import start_nats_server

# 80 % of the 36 calls per core in bench/results/capacity.json (2026-11-24). `make test-long` soaks at
# 16 (tests/integration/hardening/test_soak.py): other runs on this kind of machine measured half as much.
CALLS = 28
TOLERANCE = {"tasks": 2, "threads": 1, "fds": 2, "peer_connections": 0}
RSS_DRIFT_LIMIT = 0.10
FAILURE_LIMIT = 0.01
OTHER_CORES_LIMIT = 0.25
EXECUTOR_WORKERS = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default executor: its max_workers
METRICS = {
    "voicepod_gateway_asyncio_tasks": "tasks",
    "voicepod_gateway_threads": "py_threads",
    "voicepod_gateway_peer_connections": "peer_connections",
    "voicepod_gateway_calls_active": "calls_active",
    "process_resident_memory_bytes": "metrics_rss_bytes",
    "process_open_fds": "metrics_open_fds",
}


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def scrape(base: str) -> dict[str, float]:
    """The leak gauges from the gateway's /metrics (unlabelled samples only); `base`: its ops port."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in METRICS:
            found[METRICS[name]] = float(value)
    missing = set(METRICS.values()) - found.keys()
    if missing:
        raise RuntimeError(f"/metrics lacks {sorted(missing)}")
    return found


class CpuMeter:
    """CPU cores used since the previous reading: the whole host, the gateway, and everything else
    that is not this benchmark (another job on a shared machine makes the figures meaningless)."""

    def __init__(self, gateway: int, ours: list[int]) -> None:
        self.gateway, self.ours = gateway, ours
        self.last = self._read()

    def _read(self) -> tuple[float, float, float, float]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        host = (sum(fields) - fields[3] - fields[4]) / CLK_TCK  # all but idle and iowait
        ours = 0.0
        for pid in self.ours:
            with contextlib.suppress(OSError):
                ours += proc_figures(pid)["cpu_seconds"]
        return time.monotonic(), host, proc_figures(self.gateway)["cpu_seconds"], ours

    def cores(self) -> dict[str, float]:
        now = self._read()
        dt = max(now[0] - self.last[0], 1e-6)
        host, gateway, ours = ((now[i] - self.last[i]) / dt for i in (1, 2, 3))
        self.last = now
        return {"host_cores": round(host, 2), "gateway_cores": round(gateway, 2),
                "other_cores": round(max(0.0, host - gateway - ours), 2)}  # fmt: skip


def sample(pid: int, base: str, t0: float, phase: str, cpu: CpuMeter | None = None) -> dict[str, Any]:
    proc = proc_figures(pid)
    fds = len(os.listdir(f"/proc/{pid}/fd"))  # read before the scrape opens its socket
    gauges = scrape(base)
    return {
        "t": round(time.monotonic() - t0, 1), "phase": phase, "rss_mb": round(proc["rss_mb"], 2),
        "threads": proc["threads"], "fds": fds, "cpu_seconds": round(proc["cpu_seconds"], 2),
        **{k: int(v) if k != "metrics_rss_bytes" else v for k, v in gauges.items()},
        **(cpu.cores() if cpu is not None else {}),
    }  # fmt: skip


def show(s: dict[str, Any]) -> str:
    line = (f"t={s['t']:6.1f}s {s['phase']:<6} rss {s['rss_mb']:7.1f} MB  threads {s['threads']:3d} "
            f"(py {s['py_threads']})  fds {s['fds']:4d}  tasks {s['tasks']:4d}  pcs {s['peer_connections']:3d}  "
            f"calls {s['calls_active']:3d}")  # fmt: skip
    if "host_cores" in s:
        line += f"  cores: gateway {s['gateway_cores']:.2f} other {s['other_cores']:.2f}"
    return line


def start_gateway(port: int, ops_port: int, nats_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pod.cli", "gateway", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
            "--ops-host", "127.0.0.1", "--ops-port", str(ops_port)]  # fmt: skip
    env = {"NATS_URL": nats_url, "VOICEPOD_DEV_MODE": "1", "VOICEPOD_STT": "none", "VOICEPOD_AGENT": "echo",
           "VOICEPOD_MAX_CALLS": "1000", "VOICEPOD_LOG_LEVEL": "warning",
           # As deployed (Dockerfile, `voicepod up`): glibc keeps fewer per-thread arenas of freed memory.
           "MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072",
           **LOOPBACK_ENV}  # fmt: skip
    with log_path.open("wb") as out:
        proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz")
    except TimeoutError:
        proc.kill()
        proc.wait()
        raise
    return proc


def wait_until(what: str, check: Any, timeout: float, every: float = 0.5) -> float:
    """Poll check() until it is true; the seconds it took. TimeoutError past the deadline."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)  # polling the gateway's /metrics
    return time.monotonic() - began


def quiet(pid: int, base: str, t0: float, phase: str, timeout: float) -> tuple[dict[str, Any], float]:
    """Once calls_active is 0: sample every second until tasks, fds, threads and peer connections
    read the same three times in a row (a call's last tasks finish just after it leaves the registry)."""
    began = time.monotonic()
    wait_until("calls_active == 0", lambda: scrape(base)["calls_active"] == 0, timeout)
    last, same = None, 0
    while True:
        s = sample(pid, base, t0, phase)
        key = (s["tasks"], s["fds"], s["threads"], s["peer_connections"])
        same = same + 1 if key == last else 0
        last = key
        if same >= 2 or time.monotonic() - began > timeout:
            return s, time.monotonic() - began
        time.sleep(1.0)  # polling for the counts to settle


def churn_process(args: argparse.Namespace, url: str, wav: Path, out: Path) -> subprocess.Popen[bytes]:
    """The callers, in their own process. Their results go to a file: with every call in it the
    JSON line is far larger than a pipe holds, and nothing reads a pipe until they are done."""
    with out.open("wb") as stdout:
        return subprocess.Popen(
            [sys.executable, "-m", "bench.load.churn", "--url", url, "--calls", str(args.calls), "--seconds",
             str(args.seconds), "--seed", str(args.seed), "--wav", str(wav), "--progress",
             str(max(args.interval, 30.0))],
            stdout=stdout,
        )  # fmt: skip


def churn_result(proc: subprocess.Popen[bytes], out: Path) -> dict[str, Any]:
    if proc.wait() != 0:
        raise RuntimeError(f"the churn exited with {proc.returncode}")
    result: dict[str, Any] = json.loads(out.read_text().strip().splitlines()[-1])
    return result


def mean_rss(samples: list[dict[str, Any]], start: float, end: float) -> float:
    values = [s["rss_mb"] for s in samples if start <= s["load_t"] <= end]
    if not values:
        raise RuntimeError(f"no load sample between {start:.0f} s and {end:.0f} s")
    return statistics.fmean(values)


def figures(idle: dict[str, Any], load: list[dict[str, Any]], after: dict[str, Any], churn: dict[str, Any],
            args: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    first = mean_rss(load, args.warmup, args.warmup + args.window)
    last = mean_rss(load, args.seconds - args.window, args.seconds)
    resources = {
        key: {"idle": idle[key], "max_during_load": max(s[key] for s in load), "after_hangup": after[key],
              "growth": after[key] - idle[key]}
        for key in ("tasks", "threads", "py_threads", "fds", "peer_connections", "calls_active")
    }  # fmt: skip
    # Default-executor workers that had not started at idle (it starts them on demand and keeps them).
    executor_allowance = max(0, EXECUTOR_WORKERS - (idle["py_threads"] - 1))
    resources["threads"]["allowance"] = executor_allowance
    placed = churn["placed"]
    measured = [s for s in load if s["phase"] == "load"]
    other = statistics.fmean(s["other_cores"] for s in measured)
    checks = {
        "rss_drift": abs(last / first - 1) <= RSS_DRIFT_LIMIT,
        **{f"{key}_growth": resources[key]["growth"] <= tol for key, tol in TOLERANCE.items() if key != "threads"},
        "threads_growth": resources["threads"]["growth"] <= TOLERANCE["threads"] + executor_allowance,
        "py_threads_bound": after["py_threads"] <= 1 + EXECUTOR_WORKERS + TOLERANCE["threads"],
        "peer_connections_closed": after["peer_connections"] == 0,
        "calls_ended": after["calls_active"] == 0,
        "failures": placed > 0 and churn["failed"] <= FAILURE_LIMIT * placed,
    }
    return {
        "rss_mb": {"idle": idle["rss_mb"], "first_window_mean": round(first, 2), "last_window_mean": round(last, 2),
                   "max_during_load": max(s["rss_mb"] for s in load), "after_hangup": after["rss_mb"]},
        "rss_drift": last / first - 1,
        "resources": resources,
        "calls": {k: churn[k] for k in ("placed", "completed", "failed")},
        "failure_ratio": churn["failed"] / placed if placed else 1.0,
        "late_ratio": churn["late_ratio"],
        "received_ratio": churn["received_ratio"],
        "cores": {"gateway_mean": round(statistics.fmean(s["gateway_cores"] for s in measured), 3),
                  "other_mean": round(other, 3), "other_max": max(s["other_cores"] for s in measured)},
        # Cores other work took on the host during the measured load; above OTHER_CORES_LIMIT the
        # gateway shared the machine and its late frames (and any queueing) say more about that.
        "host_contended": other > OTHER_CORES_LIMIT,
        "checks": checks,
        "ok": all(checks.values()),
    }  # fmt: skip


def table(result: dict[str, Any]) -> str:
    f = result["figures"]
    rss, res, calls = f["rss_mb"], f["resources"], f["calls"]
    rows = [
        "| figure | idle (before the first call) | max during load | after hang-up | growth | limit |",
        "|---|---:|---:|---:|---:|---:|",
        f"| RSS MB | {rss['idle']:.1f} | {rss['max_during_load']:.1f} | {rss['after_hangup']:.1f} | "
        f"drift **{f['rss_drift']:+.1%}** | ±{RSS_DRIFT_LIMIT:.0%} |",
    ]
    limits = {**{k: f"≤ {v}" for k, v in TOLERANCE.items()}, "peer_connections": "0"}
    allowance = res["threads"]["allowance"]
    limits["threads"] += f" (+{allowance} executor workers)" if allowance else ""
    for key, label in (("tasks", "asyncio tasks"), ("threads", "threads (OS)"), ("py_threads", "threads (Python)"),
                       ("fds", "open fds"), ("peer_connections", "peer connections")):  # fmt: skip
        r = res[key]
        rows.append(f"| {label} | {r['idle']} | {r['max_during_load']} | {r['after_hangup']} | {r['growth']:+d} | "
                    f"{limits.get(key, '')} |")  # fmt: skip
    rows.append(
        f"\n{result['seconds']:.0f} s at {result['calls']} concurrent calls (8–25 s each, then hang-up and redial): "
        f"{calls['placed']} placed, {calls['completed']} completed, {calls['failed']} failed "
        f"({f['failure_ratio']:.2%}); late frames {f['late_ratio']:.2%}, frames received {f['received_ratio']:.1%}; "
        f"gateway {f['cores']['gateway_mean']:.2f} cores, other work on the host {f['cores']['other_mean']:.2f} cores"
        f"{' (**contended**)' if f['host_contended'] else ''}. RSS drift: the last {result['window']:.0f} s of load "
        f"against the first {result['window']:.0f} s after a {result['warmup']:.0f} s warm-up. "
        f"**{'pass' if f['ok'] else 'FAIL'}**."
    )
    return "\n".join(rows)


def soak(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    wav = tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), TEXT], check=True)
    nats = start_nats_server(tmp)
    port, ops_port = free_port(), free_port()
    base, url = f"http://127.0.0.1:{ops_port}", f"ws://127.0.0.1:{port}/ws"  # base: /metrics (the ops port)
    gateway_log = tmp / "gateway.log"
    gateway: subprocess.Popen[bytes] | None = None
    proc: subprocess.Popen[bytes] | None = None
    ours = [nats.process.pid] if nats.process is not None else []
    try:
        gateway = start_gateway(port, ops_port, nats.url, gateway_log)
        t0 = time.monotonic()
        idle = sample(gateway.pid, base, t0, "idle")
        log(f"gateway pid {gateway.pid} on {base}; before the first call: {show(idle)}")
        proc = churn_process(args, url, wav, tmp / "churn.json")
        cpu = CpuMeter(gateway.pid, [*ours, proc.pid])
        load_t0, load = time.monotonic(), []
        next_at = load_t0 + args.interval
        while proc.poll() is None:
            time.sleep(max(0.0, next_at - time.monotonic()))  # the sampling period
            load_t = time.monotonic() - load_t0
            if proc.poll() is not None:
                break
            if load_t > args.seconds + 120:
                raise TimeoutError("the churn did not finish within 120 s of its end")
            phase = "warmup" if load_t < args.warmup else "load" if load_t <= args.seconds else "ending"
            s = sample(gateway.pid, base, t0, phase, cpu)
            s["load_t"] = round(load_t, 1)
            load.append(s)
            log(show(s))
            next_at += args.interval
        churn = churn_result(proc, tmp / "churn.json")
        log(f"churn done: {churn['placed']} placed, {churn['completed']} completed, {churn['failed']} failed, "
            f"late {churn['late_ratio']:.2%}")  # fmt: skip
        after, settled = quiet(gateway.pid, base, t0, "after", args.settle_timeout)
        log(f"calls ended and counts settled {settled:.1f} s after the churn: {show(after)}")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=60)
        nats.stop()
    gateway_lines = gateway_log.read_text(errors="replace").splitlines()
    problems = [line for line in gateway_lines if '"level": "error"' in line or "Traceback" in line]
    return {
        "benchmark": "soak", "calls": args.calls, "seconds": args.seconds,
        "warmup": args.warmup, "window": args.window, "interval": args.interval, "seed": args.seed,
        "figures": figures(idle, load, after, churn, args),
        "settle_seconds": round(settled, 1),
        "gateway_log": {"lines": len(gateway_lines), "errors": len(problems), "first_errors": problems[:5]},
        "churn": {k: v for k, v in churn.items() if k != "calls"},
        "samples": [idle, *load, after],
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=600, help="seconds of churn (warm-up included)")
    p.add_argument("--calls", type=int, default=CALLS, help="concurrent calls")
    p.add_argument("--warmup", type=float, default=60, help="seconds of load before the first RSS window")
    p.add_argument("--window", type=float, default=60, help="length of the first and last RSS windows")
    p.add_argument("--interval", type=float, default=10, help="seconds between samples")
    p.add_argument("--settle-timeout", type=float, default=60, help="deadline for calls and counts to settle")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, default=RESULTS / "soak.json", help="where the results go")
    p.add_argument("--no-doc", action="store_true", help="do not update the table in docs/performance.md")
    args = p.parse_args()
    if args.warmup + args.window > args.seconds:
        p.error("--seconds must cover --warmup plus one --window")
    with tempfile.TemporaryDirectory() as tmp:
        result = soak(args, Path(tmp))
    if args.json == RESULTS / "soak.json":
        write_json("soak", result)
    else:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    text = table(result)
    if not args.no_doc:
        replace_section("soak", text)
    print(text, flush=True)
    failed = [name for name, ok in result["figures"]["checks"].items() if not ok]
    log(f"results in {args.json}; " + (f"FAILED: {', '.join(failed)}" if failed else "all checks passed"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
