"""`voicepod up`: run nats-server, the six services, the gateway and the async worker (`voicepod
worker async`, docs/modes.md) as child processes.

Start order: NATS (healthy) -> services (ready) -> gateway (ready) -> async worker (ready); stop order is
the reverse, each child SIGTERMed and given time to drain before SIGKILL. A child
that dies is restarted with back-off. Children also get SIGTERM from the kernel
if the supervisor itself dies, so none is left behind.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import structlog

from bus.settings import NATS_TLS_ENV
from bus.subjects import SERVICE_NAMES
from gateway.auth import OPS_AUDIENCE, mint
from pod.ops_settings import NATS_URL_FILE
from pod.settings import gateway_malloc_env
from proc.child import Child, ChildSpec, HealthCheck, keep_restarting
from proc.nats_server import nats_server_argv
from proc.ports import free_port, port_is_free

log = structlog.get_logger("pod.supervisor")


@dataclass(frozen=True, slots=True)
class UpOptions:
    state_dir: Path
    http_host: str = "127.0.0.1"
    http_port: int = 8080  # 0: pick a free one
    nats_url: str | None = None  # use this server instead of starting one
    startup_timeout: float = 60.0
    stop_timeout: float = 15.0
    log_format: str = "auto"
    # No tokens on /ws (local development only).
    dev_mode: bool = False
    # Called with the banner lines once everything is ready.
    announce: Callable[[list[str]], None] = lambda lines: print("\n".join(lines), flush=True)


class Supervisor:
    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self._session: aiohttp.ClientSession | None = None
        self._stop = asyncio.Event()
        self.nats: Child | None = None
        self.services: list[Child] = []
        self.gateway: Child | None = None
        self.worker: Child | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop.set)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))
        try:
            try:
                banner = await self._start_all()
            except (RuntimeError, TimeoutError, OSError) as exc:
                log.error("startup_failed", error=str(exc))
                return 1
            self.options.announce(banner)
            await self._watch()
            return 0
        finally:
            await self._stop_all()
            await self._session.close()

    # --- start ----------------------------------------------------------------

    async def _start_all(self) -> list[str]:
        opts = self.options
        state = opts.state_dir.resolve()
        state.mkdir(parents=True, exist_ok=True)
        http_port = opts.http_port or free_port()
        if not port_is_free(http_port, opts.http_host):
            raise OSError(f"port {http_port} is in use; pass --http-port with a free one (or 0)")

        nats_url = opts.nats_url
        if nats_url is None:
            port, monitor = free_port(), free_port()
            nats_url = f"nats://127.0.0.1:{port}"
            self.nats = Child(ChildSpec(
                "nats-server",
                nats_server_argv(port=port, monitor_port=monitor, store_dir=state / "nats"),
                {},
                self._http_ok(f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"),
            ))  # fmt: skip
            await self._launch(self.nats)

        # The operators' commands (`voicepod calls`, …) find this pod's NATS here (pod/ops_settings.py).
        (state / NATS_URL_FILE).write_text(nats_url + "\n")
        env = {"NATS_URL": nats_url, "VOICEPOD_STATE_DIR": str(state), "VOICEPOD_LOG_FORMAT": opts.log_format,
               **children_tls_env(own_server=self.nats is not None)}  # fmt: skip
        secret = load_or_create_secret(state)
        for name in SERVICE_NAMES:
            ops_port = free_port()
            argv = [*_voicepod(), "service", name, "--ops-port", str(ops_port)]
            self.services.append(
                Child(ChildSpec(name, argv, env, self._http_ok(f"http://127.0.0.1:{ops_port}/readyz")))
            )
        await asyncio.gather(*(self._launch(c) for c in self.services))

        # The gateway's /metrics is on an ops port of its own (never the call port), on the same host.
        ops_port = free_port()
        argv = [*_voicepod(), "gateway", "--host", opts.http_host, "--port", str(http_port),
                "--ops-host", opts.http_host, "--ops-port", str(ops_port)]  # fmt: skip
        probe_host = "127.0.0.1" if opts.http_host in ("0.0.0.0", "") else opts.http_host
        gateway_url = f"http://{probe_host}:{http_port}/"
        gateway_env = {
            **env,
            "VOICEPOD_AUTH_SECRET": secret.decode(),
            "VOICEPOD_DEV_MODE": "1" if opts.dev_mode else "",
            **gateway_malloc_env(),
        }
        self.gateway = Child(ChildSpec("gateway", argv, gateway_env, self._http_ok(f"{gateway_url}readyz")))
        await self._launch(self.gateway)
        # Async mode: voicemails heard and callbacks dialled (its recordings: <state>/objects).
        worker_ops = free_port()
        argv = [*_voicepod(), "worker", "async", "--ops-port", str(worker_ops)]
        worker_env = {**env, "VOICEPOD_OPS_HOST": "127.0.0.1"}
        self.worker = Child(ChildSpec("worker-async", argv, worker_env,
                                      self._http_ok(f"http://127.0.0.1:{worker_ops}/readyz")))  # fmt: skip
        await self._launch(self.worker)
        open_url = gateway_url if opts.dev_mode else f"{gateway_url}?token={mint(secret, ttl_seconds=12 * 3600)}"
        # Shadow mode's desk (docs/modes.md, VOICEPOD_SHADOW=on): for the people who answer, with an
        # operator's token; without shadow mode it answers 404 shadow_off.
        desk_token = mint(secret, subject="desk", audience=OPS_AUDIENCE, ttl_seconds=12 * 3600)
        desk_url = f"{gateway_url}desk" if opts.dev_mode else f"{gateway_url}desk?token={desk_token}"
        ops_token = mint(secret, ttl_seconds=12 * 3600, subject="operator", audience=OPS_AUDIENCE)
        console_url = f"{gateway_url}console" if opts.dev_mode else f"{gateway_url}console?token={ops_token}"
        return [
            "voicepod is up.",
            f"  open:    {open_url}",
            f"  gateway: {gateway_url}",
            f"  desk:    {desk_url}",
            f"  console: {console_url}",
            f"  metrics: http://{probe_host}:{ops_port}/metrics",
            f"  nats:    {nats_url}",
            f"  state:   {state}",
            "Press Ctrl-C to stop.",
        ]

    async def _launch(self, child: Child) -> None:
        await child.start()
        await child.wait_healthy(self.options.startup_timeout)
        log.info("child_ready", child=child.spec.name)

    def _http_ok(self, url: str) -> HealthCheck:
        async def check() -> bool:
            assert self._session is not None
            try:
                async with self._session.get(url) as resp:
                    return resp.status == 200
            except (TimeoutError, aiohttp.ClientError):
                return False

        return check

    # --- run ------------------------------------------------------------------

    def _children(self) -> list[Child]:
        return [c for c in (self.nats, *self.services, self.gateway, self.worker) if c is not None]

    async def _watch(self) -> None:
        """Until a stop signal: restart any child that exits, with back-off."""
        await keep_restarting(self._children(), self._stop)

    # --- stop -----------------------------------------------------------------

    async def _stop_all(self) -> None:
        t = self.options.stop_timeout
        if self.worker is not None:
            await self.worker.stop(t)
        if self.gateway is not None:
            await self.gateway.stop(t)
        await asyncio.gather(*(c.stop(t) for c in self.services))
        if self.nats is not None:
            await self.nats.stop(t)
        (self.options.state_dir.resolve() / NATS_URL_FILE).unlink(missing_ok=True)
        log.info("pod_stopped")


def children_tls_env(*, own_server: bool) -> dict[str, str]:
    """The children inherit our environment, NATS_TLS_* included: right for a server named by
    --nats-url, wrong for our own loopback nats-server, which has no certificate (plain TCP)."""
    return {name: "" for name in NATS_TLS_ENV} if own_server else {}


def load_or_create_secret(state_dir: Path) -> bytes:
    """The pod's token secret: kept in the state directory (mode 0600) so tokens outlive restarts."""
    path = state_dir / "auth_secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _voicepod() -> list[str]:
    """How to run this same voicepod: the current interpreter, not whatever is on PATH."""
    return [sys.executable, "-m", "pod.cli"]
