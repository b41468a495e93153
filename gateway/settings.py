"""Gateway settings, read from the environment (CLI flags override some)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bus.settings import env_float, env_int
from gateway.console.settings import ConsoleSettings, console_settings
from gateway.phone_settings import PhoneSettings
from gateway.providers.settings import ProviderSettings
from gateway.rtc.ice_options import MAX_CANDIDATES, IceOptions
from gateway.rtc.ice_servers import DEFAULT_TURN_TTL, IceServers, TurnCredentials


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


MEDIA_STACKS = ("lean", "aiortc")
_OFF = ("0", "off", "false", "no")


def media_stack(value: str) -> str:
    value = value.strip().lower()
    if value not in MEDIA_STACKS:
        raise ValueError(f"VOICEPOD_MEDIA_STACK must be one of {', '.join(MEDIA_STACKS)}, not {value!r}")
    return value


# For a gateway process that tests, benchmarks and evals start: calls on 127.0.0.1 only.
LOOPBACK_ENV = {"VOICEPOD_ICE_ADDRESSES": "127.0.0.1", "VOICEPOD_ICE_ALLOW_LOOPBACK": "1"}


def ice_options(env: Mapping[str, str]) -> IceOptions:
    """VOICEPOD_ICE_ADDRESSES (comma-separated IPs or interface names), VOICEPOD_ICE_ADVERTISE,
    VOICEPOD_ICE_ALLOW_LOOPBACK, VOICEPOD_ICE_MAX_CANDIDATES."""
    addresses = tuple(a.strip() for a in env.get("VOICEPOD_ICE_ADDRESSES", "").split(",") if a.strip())
    return IceOptions(
        addresses=addresses,
        advertise=env.get("VOICEPOD_ICE_ADVERTISE", "").strip() or None,
        allow_loopback=_flag(env, "VOICEPOD_ICE_ALLOW_LOOPBACK"),
        relay_only=_flag(env, "VOICEPOD_ICE_RELAY_ONLY"),
        max_candidates=env_int(env, "VOICEPOD_ICE_MAX_CANDIDATES", MAX_CANDIDATES),
    )


def turn_credentials(env: Mapping[str, str]) -> TurnCredentials:
    """VOICEPOD_TURN_USERNAME and VOICEPOD_TURN_PASSWORD (static), or VOICEPOD_TURN_SECRET (coturn's
    static-auth-secret: credentials minted per use, valid VOICEPOD_TURN_TTL seconds)."""
    return TurnCredentials(
        username=env.get("VOICEPOD_TURN_USERNAME", "").strip(),
        password=env.get("VOICEPOD_TURN_PASSWORD", ""),
        secret=env.get("VOICEPOD_TURN_SECRET", "").encode(),
        ttl_seconds=env_int(env, "VOICEPOD_TURN_TTL", DEFAULT_TURN_TTL),
    )


def rtc_udp_port(env: Mapping[str, str]) -> int:
    """VOICEPOD_RTC_UDP_PORT, offset by this worker's index (VOICEPOD_WORKER, set by
    `voicepod gateway --workers N`): a call's datagrams must reach the worker that holds it, and
    SO_REUSEPORT would spread them over all, so each worker has a port of its own. 0: unset."""
    base = env_int(env, "VOICEPOD_RTC_UDP_PORT", 0)
    if not base:
        return 0
    return base + env_int(env, "VOICEPOD_WORKER", 0)


@dataclass(frozen=True)  # no slots: from_env reads the class defaults
class GatewaySettings:
    host: str = "0.0.0.0"
    http_port: int = 8080
    # /metrics, /healthz and /readyz for the cluster: a port of their own, never the public call port
    # (which keeps /healthz and /readyz for load balancers, but not /metrics).
    ops_host: str = "0.0.0.0"
    ops_port: int = 9090
    # On SIGTERM live calls get this long to finish before they are ended.
    drain_timeout: float = 30.0
    # HMAC secret for /ws and /calls tokens. Required unless dev_mode.
    auth_secret: bytes = b""
    # Local development: no token needed.
    dev_mode: bool = False
    # Calls one token subject (`sub`) may hold at once in this process; 0: no limit.
    max_calls_per_token: int = 2
    # A token that expires further out than this is refused (`voicepod up` mints 12 h ones).
    max_token_seconds: float = 24 * 3600.0
    # Origins allowed to open /ws from a browser; empty: the gateway's own origin only.
    allowed_origins: tuple[str, ...] = ()
    max_calls: int = 50
    max_message_bytes: int = 64 * 1024
    messages_per_second: float = 20.0
    max_call_seconds: float = 3600.0
    stats_interval: float = 2.0
    # STUN/TURN servers offered to the peer connection (comma-separated URLs).
    ice_servers: tuple[str, ...] = field(default=())
    # Their TURN servers' credentials: static, or minted per use from coturn's shared secret
    # (VOICEPOD_TURN_*; gateway/rtc/ice_servers.py). The page and `voicepod call` get the same (GET /ice-servers).
    turn_credentials: TurnCredentials = field(default_factory=TurnCredentials)
    # Where calls gather, what they advertise, which remote candidates they probe (VOICEPOD_ICE_*;
    # gateway/rtc/ice_options.py, docs/reliability.md "ICE candidates and addresses").
    ice: IceOptions = field(default_factory=IceOptions)
    # One UDP port for every call's media on the lean stack (gateway/rtc/udp_mux.py): this worker's
    # port, VOICEPOD_RTC_UDP_PORT plus the worker's index (VOICEPOD_WORKER) when several share a pod.
    # 0: a socket on a random port per call (the port range deployments used to publish).
    rtc_udp_port: int = 0
    # What carries a call's media: "lean" (gateway/rtc: audio and the events data channel, else
    # events on /ws; ~2x the calls per core) or "aiortc" (its full peer connection: TURN relays,
    # the events data channel).
    media_stack: str = "lean"
    # A caller whose ICE and DTLS have not completed within this long is hung up on (lean stack).
    connect_timeout: float = 20.0
    # A connected caller that sends no media (RTP or RTCP) for this long has vanished (its network
    # went, its tab froze): the call ends with reason "media_inactive" (lean stack; 0: only ICE
    # consent's ~30 s notices). Browsers send audio even when muted, and RTCP every few seconds.
    media_inactivity_timeout: float = 10.0
    # At exit, transcript/audit events still retrying get this long to publish; the rest are counted lost.
    events_exit_timeout: float = 10.0
    # STT, TTS and the agent's engine (offline by default; cloud ones when their keys are set).
    providers: ProviderSettings = field(default_factory=ProviderSettings)
    # Which agents/<name>.yaml answers calls; "echo" plays each turn back (media tests, load).
    agent: str = "real_estate"
    # Phone calls through Twilio Media Streams (gateway/link/phone/): its auth token, our public URL.
    phone: PhoneSettings = field(default_factory=PhoneSettings)
    # The operators' console (/console): where eval reports are, how often it is pushed to.
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    # Prepare the reply at the caller's pause when the STT's text is already final (incremental
    # whisper) and the engine can answer on a copy of itself (the dialog): gateway/turn_loop.py.
    preemptive_reply: bool = True
    # Shadow mode (docs/modes.md): callers on /ws queue for a person at /desk; the agent only recommends.
    shadow: bool = False

    def __post_init__(self) -> None:
        self.servers()  # a malformed URL, or a TURN server without credentials: refused at start-up
        if self.ice.relay_only and not self.servers().turn_urls:
            raise ValueError("VOICEPOD_ICE_RELAY_ONLY needs a TURN server in VOICEPOD_ICE_SERVERS")
        if self.media_inactivity_timeout < 0:
            raise ValueError("VOICEPOD_MEDIA_INACTIVITY_SECONDS must be 0 (off) or a number of seconds")
        if not 0 <= self.rtc_udp_port <= 65535:
            raise ValueError(f"VOICEPOD_RTC_UDP_PORT must be a port number (1-65535), not {self.rtc_udp_port}")
        if self.rtc_udp_port and self.media_stack != "lean":
            raise ValueError("VOICEPOD_RTC_UDP_PORT needs VOICEPOD_MEDIA_STACK=lean: the aiortc stack binds a "
                             "socket per call (publish a port range for it instead)")  # fmt: skip
        if self.ops_port and self.ops_port == self.http_port:
            raise ValueError(f"VOICEPOD_OPS_PORT ({self.ops_port}) must differ from the call port VOICEPOD_HTTP_PORT: "
                             "/metrics is not served to callers")  # fmt: skip

    def servers(self) -> IceServers:
        return IceServers(self.ice_servers, self.turn_credentials)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GatewaySettings:
        env = os.environ if env is None else env
        origins = tuple(o.strip().rstrip("/") for o in env.get("VOICEPOD_ALLOWED_ORIGINS", "").split(",") if o.strip())
        ice = tuple(u.strip() for u in env.get("VOICEPOD_ICE_SERVERS", "").split(",") if u.strip())
        return cls(
            host=env.get("VOICEPOD_HTTP_HOST") or cls.host,
            http_port=env_int(env, "VOICEPOD_HTTP_PORT", cls.http_port),
            ops_host=env.get("VOICEPOD_OPS_HOST") or cls.ops_host,
            ops_port=env_int(env, "VOICEPOD_OPS_PORT", cls.ops_port),
            drain_timeout=env_float(env, "VOICEPOD_CALL_DRAIN_TIMEOUT", cls.drain_timeout),
            auth_secret=env.get("VOICEPOD_AUTH_SECRET", "").encode(),
            dev_mode=_flag(env, "VOICEPOD_DEV_MODE"),
            max_calls_per_token=env_int(env, "VOICEPOD_MAX_CALLS_PER_TOKEN", cls.max_calls_per_token),
            max_token_seconds=env_float(env, "VOICEPOD_MAX_TOKEN_SECONDS", cls.max_token_seconds),
            allowed_origins=origins,
            max_calls=env_int(env, "VOICEPOD_MAX_CALLS", cls.max_calls),
            max_message_bytes=env_int(env, "VOICEPOD_MAX_MESSAGE_BYTES", cls.max_message_bytes),
            messages_per_second=env_float(env, "VOICEPOD_MESSAGES_PER_SECOND", cls.messages_per_second),
            max_call_seconds=env_float(env, "VOICEPOD_MAX_CALL_SECONDS", cls.max_call_seconds),
            stats_interval=env_float(env, "VOICEPOD_STATS_INTERVAL", cls.stats_interval),
            ice_servers=ice,
            turn_credentials=turn_credentials(env),
            ice=ice_options(env),
            rtc_udp_port=rtc_udp_port(env),
            media_stack=media_stack(env.get("VOICEPOD_MEDIA_STACK", cls.media_stack)),
            connect_timeout=env_float(env, "VOICEPOD_CONNECT_TIMEOUT", cls.connect_timeout),
            media_inactivity_timeout=env_float(env, "VOICEPOD_MEDIA_INACTIVITY_SECONDS", cls.media_inactivity_timeout),
            events_exit_timeout=env_float(env, "VOICEPOD_EVENTS_EXIT_TIMEOUT", cls.events_exit_timeout),
            providers=ProviderSettings.from_env(env),
            preemptive_reply=env.get("VOICEPOD_PREEMPTIVE_REPLY", "on").strip().lower() not in _OFF,
            agent=env.get("VOICEPOD_AGENT", cls.agent).strip(),
            phone=PhoneSettings.from_env(env),
            shadow=env.get("VOICEPOD_SHADOW", "off").strip().lower() not in _OFF,
            console=console_settings(env),
        )  # fmt: skip
