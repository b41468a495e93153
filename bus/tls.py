"""The TLS context a process uses to reach NATS, built from its BusSettings.

TLS here is handshake-first (the server's `tls { handshake_first: true }`, deploy/k8s/base/
nats-tls.conf): nats-py otherwise reads the server's INFO in plain text and starts TLS only when
that INFO asks for it, so anyone on the path could strip TLS and read the CONNECT password.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from bus.settings import BusSettings


def client_tls_context(settings: BusSettings) -> ssl.SSLContext | None:
    """None when TLS is off; else a context that verifies the server (and may present our cert).

    Unreadable files fail here, at start-up, with the setting's name in the message.
    """
    if not settings.nats_tls:
        return None
    ca = _readable(settings.nats_tls_ca, "NATS_TLS_CA") if settings.nats_tls_ca else None
    try:
        # No CA given (a tls:// URL alone): the system's trust store, as a browser would.
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    except ssl.SSLError as exc:
        raise ValueError(f"NATS_TLS_CA={ca!r}: not a PEM CA certificate ({exc})") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.nats_tls_cert:
        try:
            context.load_cert_chain(
                _readable(settings.nats_tls_cert, "NATS_TLS_CERT"), _readable(settings.nats_tls_key, "NATS_TLS_KEY")
            )
        except ssl.SSLError as exc:
            raise ValueError(f"NATS_TLS_CERT / NATS_TLS_KEY: not a matching PEM certificate and key ({exc})") from None
    return context


def _readable(path: str, setting: str) -> str:
    if not Path(path).is_file():
        raise ValueError(f"{setting}={path!r}: no such file")
    return path
