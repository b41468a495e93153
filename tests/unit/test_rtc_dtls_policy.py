"""Our DTLS-SRTP's policy against a plain OpenSSL peer in memory: forward-secret suites only, no
renegotiation, close_notify on close, a certificate per call, a replay window of 1024 packets,
and a=setup values that are no DTLS role refused."""

from __future__ import annotations

import asyncio
import datetime
import struct

import pylibsrtp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL

from gateway.rtc.certificate import certificate
from gateway.rtc.dtls import DtlsError, DtlsSrtp
from gateway.rtc.sdp import SdpError, Setup, parse_description
from tests.unit.test_rtc_wire import CHROME_OFFER

pytestmark = pytest.mark.timeout(30)


class PlainPeer:
    """A DTLS peer with OpenSSL's defaults (what a careless or hostile caller runs), driven by hand."""

    def __init__(self, *, server: bool, rsa_key: bool = False, ciphers: bytes | None = None) -> None:
        ctx = SSL.Context(SSL.DTLS_METHOD)
        if rsa_key:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer")])
            now = datetime.datetime.now(datetime.UTC)
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
                    .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))  # fmt: skip
            ctx.use_certificate(cert)
            ctx.use_privatekey(key)
            self.fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
        else:
            ours = certificate()
            ctx.use_certificate(ours.cert)
            ctx.use_privatekey(ours.key)
            self.fingerprint = ours.fingerprint
        if ciphers is not None:
            ctx.set_cipher_list(ciphers)
        ctx.set_verify(SSL.VERIFY_PEER, lambda *_: True)
        ctx.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
        self.ssl = SSL.Connection(ctx, None)
        self.ssl.set_accept_state() if server else self.ssl.set_connect_state()
        self.outbox: list[bytes] = []
        self.failure: SSL.Error | None = None

    def feed(self, data: bytes) -> None:
        self.ssl.bio_write(data)

    def step(self) -> None:
        """Let OpenSSL move on with what it has, and collect what it wants sent."""
        try:
            self.ssl.do_handshake()
        except SSL.WantReadError:
            pass
        except SSL.Error as e:
            self.failure = e  # its alert goes out with the rest
        self.drain()

    def drain(self) -> None:
        while True:
            try:
                self.outbox.append(self.ssl.bio_read(1500))
            except SSL.WantReadError:
                return


async def _connect(peer: PlainPeer, ours: DtlsSrtp) -> None:
    """Run our handshake against the peer: its records are fed to us as it makes them."""
    task = asyncio.create_task(ours.handshake())
    for _ in range(200):
        if task.done():
            break
        peer.step()
        for record in peer.outbox:
            ours.feed(record)
        peer.outbox.clear()
        await asyncio.sleep(0.005)
    await task
    peer.step()


def _ours(peer: PlainPeer, setup: Setup) -> tuple[DtlsSrtp, list[bytes]]:
    sent: list[bytes] = []

    async def send(data: bytes) -> None:
        sent.append(data)
        peer.feed(data)

    return DtlsSrtp(certificate(), setup, peer.fingerprint, send), sent


async def test_only_forward_secret_suites_are_agreed() -> None:
    # OpenSSL's default list would agree to static RSA key exchange with this server.
    peer = PlainPeer(server=True, rsa_key=True, ciphers=b"AES128-GCM-SHA256")
    ours, _ = _ours(peer, Setup.ACTIVE)
    with pytest.raises(DtlsError):
        await _connect(peer, ours)
    # Peers with either kind of certificate still connect, on ECDHE.
    for peer in (PlainPeer(server=True), PlainPeer(server=True, rsa_key=True)):
        ours, _ = _ours(peer, Setup.ACTIVE)
        await _connect(peer, ours)
        assert (ours._ssl.get_cipher_name() or "").startswith("ECDHE-")


async def test_renegotiation_asked_by_the_peer_is_refused_and_the_call_goes_on() -> None:
    peer = PlainPeer(server=True)
    ours, _ = _ours(peer, Setup.ACTIVE)
    await _connect(peer, ours)
    watching = asyncio.create_task(ours.after_handshake())
    peer.ssl.renegotiate()  # sends a HelloRequest: with OpenSSL's defaults a client starts over
    peer.step()
    for _ in range(5):
        for record in peer.outbox:
            ours.feed(record)
        peer.outbox.clear()
        await asyncio.sleep(0.02)
        peer.step()
    assert ours._ssl.total_renegotiations() == 0
    assert peer.ssl.renegotiate_pending()  # the peer's renegotiation never completed
    assert not watching.done()  # a refused renegotiation is not the end of the media
    watching.cancel()


async def test_close_says_close_notify_to_the_peer() -> None:
    peer = PlainPeer(server=True)
    ours, sent = _ours(peer, Setup.ACTIVE)
    await _connect(peer, ours)
    sent.clear()
    await ours.close()
    assert sent  # the alert went out
    with pytest.raises(SSL.ZeroReturnError):
        peer.ssl.recv(1500)


async def test_the_replay_window_takes_audio_reordered_by_up_to_1024_packets() -> None:
    peer = PlainPeer(server=True)
    ours, _ = _ours(peer, Setup.ACTIVE)
    await _connect(peer, ours)
    assert ours.srtp_in is not None
    # The peer's SRTP keys, derived as RFC 5764 says (we are the client: the peer sends with the server's).
    material = peer.ssl.export_keying_material(b"EXTRACTOR-dtls_srtp", 60)
    server_key = material[16:32] + material[46:60]
    srtp = pylibsrtp.Session(pylibsrtp.Policy(key=server_key, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))

    def packet(sequence: int) -> bytes:
        return srtp.protect(struct.pack("!BBHII", 0x80, 111, sequence, sequence * 960, 7) + b"opus")

    packets = {s: packet(s) for s in range(1, 602)}
    ours.srtp_in.unprotect(packets[601])
    ours.srtp_in.unprotect(packets[100])  # 501 behind: libsrtp's default window (128) calls it a replay
    with pytest.raises(pylibsrtp.Error):
        ours.srtp_in.unprotect(packets[100])  # a true replay is still refused


def test_each_call_gets_its_own_certificate_valid_for_days_not_a_month() -> None:
    a, b = certificate(), certificate()
    assert a.fingerprint != b.fingerprint
    lifetime = a.cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=1) < lifetime <= datetime.timedelta(days=7)


@pytest.mark.parametrize("value", ["holdconn", "bogus", "", "ACTPASS"])
def test_an_a_setup_that_is_no_dtls_role_is_refused(value: str) -> None:
    with pytest.raises(SdpError, match="is not a DTLS role"):
        parse_description(CHROME_OFFER.replace("a=setup:actpass", f"a=setup:{value}"))
    for role in ("active", "passive", "actpass"):
        parse_description(CHROME_OFFER.replace("a=setup:actpass", f"a=setup:{role}"))
