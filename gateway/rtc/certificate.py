"""The endpoint's DTLS identity: a self-signed ECDSA P-256 certificate and its SHA-256 fingerprint.

WebRTC authenticates the DTLS peer by the fingerprint in the (signed-in, TLS-carried) SDP,
not by a CA, so one certificate per process is enough; it is made at first use.
"""

from __future__ import annotations

import datetime
import functools
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


@functools.cache
def certificate() -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(8))])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return Certificate(cert, key)
