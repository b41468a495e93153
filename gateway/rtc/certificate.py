"""The endpoint's DTLS identity: a self-signed ECDSA P-256 certificate and its SHA-256 fingerprint.

WebRTC authenticates the DTLS peer by the fingerprint in the (signed-in, TLS-carried) SDP,
not by a CA. Each call gets a certificate of its own (0.3 ms to make): none outlives its
validity in a long-running worker, and no two calls can be linked by their fingerprint.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificate:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER certificate as SDP writes it: upper-case hex pairs joined by ':'."""
        return self.cert.fingerprint(hashes.SHA256()).hex(":").upper()


VALID_BEFORE = datetime.timedelta(days=1)  # a peer whose clock is behind ours still accepts it
VALID_FOR = datetime.timedelta(days=7)  # far longer than any call (VOICEPOD_MAX_CALL_SECONDS)


def certificate() -> Certificate:
    """A new certificate and key: one per call."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8))])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - VALID_BEFORE)
        .not_valid_after(now + VALID_FOR)
        .sign(key, hashes.SHA256())
    )
    return Certificate(cert, key)
