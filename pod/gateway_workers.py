"""`voicepod gateway --workers N`: N gateway processes on one port, so one pod uses every core.

Each worker is a whole gateway (event loop, peer connections, NATS connection) bound to the same
port with SO_REUSEPORT: the kernel spreads new /ws connections over the workers, and a call
lives in the worker that accepted it (its media ports are that worker's). The workers share the
ops port the same way, and a prometheus_client multiprocess directory, so /metrics on whichever
of them answers counts them all.
SIGTERM (or Ctrl-C) reaches every worker, and each drains its own calls. A worker that dies is
restarted with back-off; the others keep their calls.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import structlog
from prometheus_client import multiprocess

from pod.settings import workers
from proc.child import Child, ChildSpec, keep_restarting

log = structlog.get_logger("pod.gateway_workers")


@dataclass(frozen=True, slots=True)
class WorkerPorts:
    """What every worker binds (with SO_REUSEPORT): the call port and the ops port."""

    host: str
    port: int
    ops_host: str
    ops_port: int


def worker_argv(ports: WorkerPorts) -> list[str]:
    return [sys.executable, "-m", "pod.cli", "gateway", "--workers", "1", "--reuse-port",
            "--host", ports.host, "--port", str(ports.port),
            "--ops-host", ports.ops_host, "--ops-port", str(ports.ops_port)]  # fmt: skip


async def run_workers(count: int, ports: WorkerPorts, stop_timeout: float) -> int:
    metrics_dir = tempfile.mkdtemp(prefix="voicepod-metrics-")
    host, port = ports.host, ports.port
    probe = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/healthz"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:

        async def answers() -> bool:
            try:
                async with http.get(probe) as resp:
                    return resp.status == 200
            except (TimeoutError, aiohttp.ClientError):
                return False

        # VOICEPOD_WORKER_COUNT: a console (on any worker) waits for all their live calls.
        env = {"PROMETHEUS_MULTIPROC_DIR": metrics_dir, "VOICEPOD_WORKER_COUNT": str(count)}
        workers = [
            Child(ChildSpec(f"gateway-{i}", worker_argv(ports), {**env, "VOICEPOD_WORKER": str(i)}, answers))
            for i in range(count)
        ]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            for worker in workers:
                await worker.start()
            for worker in workers:
                await worker.wait_healthy(timeout=120)
            log.info("gateway_workers_ready", workers=count, port=port)
            # A dead worker's live gauges no longer count, then it is restarted.
            # prometheus_client leaves mark_process_dead unannotated.
            await keep_restarting(
                workers,
                stop,
                lambda w: multiprocess.mark_process_dead(w.pid, metrics_dir),  # type: ignore[no-untyped-call]
            )
            return 0
        finally:
            await asyncio.gather(*(w.stop(stop_timeout) for w in workers))
            shutil.rmtree(metrics_dir, ignore_errors=True)


def default_workers() -> int:
    """VOICEPOD_WORKERS, else one per core this process may use: its CPU affinity, capped by a
    cgroup v2 CPU limit (a container's `cpus`, a pod's limits.cpu), rounded up."""
    configured = workers()
    if configured:
        return configured
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit visible: the affinity stands
    return max(1, cores)
