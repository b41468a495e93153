"""DTLS-SRTP (RFC 5764) over the ICE connection: the handshake, the peer check by fingerprint,
and the SRTP sessions keyed from it.

pyOpenSSL runs DTLS on memory buffers: records from the network are written in, what
OpenSSL wants sent is read out and handed to `send`. Timers are OpenSSL's own
(DTLSv1_get_timeout), so lost handshake flights are retransmitted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pylibsrtp
from OpenSSL import SSL

from gateway.rtc.certificate import Certificate
from gateway.rtc.sdp import Setup

SRTP_PROFILE = b"SRTP_AES128_CM_SHA1_80"
KEY, SALT = 16, 14  # AES-128 key and salt lengths of that profile
MTU = 1500
RECORD = 16_384  # the largest plaintext a DTLS record carries
# Forward-secret key exchange only (no static RSA, no finite-field DHE): OpenSSL's default list
# has 27 suites. ECDSA suites for our certificate and browsers'; RSA ones for a peer whose own
# certificate is RSA when we are the DTLS client.
CIPHERS = b":".join([
    b"ECDHE-ECDSA-AES128-GCM-SHA256", b"ECDHE-ECDSA-AES256-GCM-SHA384", b"ECDHE-ECDSA-CHACHA20-POLY1305",
    b"ECDHE-RSA-AES128-GCM-SHA256", b"ECDHE-RSA-AES256-GCM-SHA384", b"ECDHE-RSA-CHACHA20-POLY1305",
    b"ECDHE-ECDSA-AES128-SHA", b"ECDHE-ECDSA-AES256-SHA", b"ECDHE-RSA-AES128-SHA", b"ECDHE-RSA-AES256-SHA",
])  # fmt: skip
REPLAY_WINDOW = 1024  # packets (aiortc's figure; libsrtp's default of 128 drops audio reordered by a burst)


class DtlsError(ConnectionError):
    pass


class DtlsSrtp:
    def __init__(
        self, certificate: Certificate, setup: Setup, remote_fingerprint: str, send: Callable[[bytes], Awaitable[None]]
    ) -> None:
        ctx = SSL.Context(SSL.DTLS_METHOD)
        # No renegotiation either way (nothing in WebRTC needs one; it reopens the handshake to the
        # peer mid-call), no session tickets (a session per call).
        ctx.set_options(SSL.OP_NO_RENEGOTIATION | SSL.OP_NO_TICKET)
        ctx.set_cipher_list(CIPHERS)
        ctx.use_certificate(certificate.cert)
        ctx.use_privatekey(certificate.key)
        # Any certificate is accepted during the handshake; the fingerprint check after it decides.
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *_: True)
        ctx.set_tlsext_use_srtp(SRTP_PROFILE)
        self._ssl = SSL.Connection(ctx, None)
        if setup is Setup.ACTIVE:
            self._ssl.set_connect_state()
        else:
            self._ssl.set_accept_state()
        self._setup = setup
        self._remote_fingerprint = remote_fingerprint
        self._send = send
        self._incoming = asyncio.Event()
        self.established = False
        self.srtp_in: pylibsrtp.Session | None = None
        self.srtp_out: pylibsrtp.Session | None = None

    def feed(self, record: bytes) -> None:
        """A DTLS datagram from the peer."""
        self._ssl.bio_write(record)
        self._incoming.set()

    async def handshake(self) -> None:
        while True:
            try:
                self._ssl.do_handshake()
                break
            except SSL.WantReadError:
                pass
            except SSL.Error as e:
                raise DtlsError(f"DTLS handshake failed: {e}") from e
            await self._flush()
            timeout = self._ssl.DTLSv1_get_timeout()
            try:
                await asyncio.wait_for(self._incoming.wait(), timeout)
            except TimeoutError:
                self._ssl.DTLSv1_handle_timeout()  # retransmits our last flight
            self._incoming.clear()
        await self._flush()
        self._check_peer()
        self._key_srtp()
        self.established = True

    async def after_handshake(self, on_data: Callable[[bytes], Awaitable[None]] | None = None) -> None:
        """Hand each application record to `on_data` (SCTP, when the call has a data channel;
        dropped otherwise), and let OpenSSL answer records that come after the handshake (a peer
        repeating its last flight because ours was lost). Returns when the peer closes DTLS
        (close_notify, or a fatal alert): its media has ended."""
        while True:
            while True:  # every record buffered so far: SCTP's first packet may come with the Finished
                try:
                    data = self._ssl.recv(RECORD)
                except SSL.WantReadError:
                    break
                except (SSL.ZeroReturnError, SSL.Error):
                    return
                if on_data is not None and data:
                    await on_data(data)
            await self._flush()
            await self._incoming.wait()
            self._incoming.clear()

    async def send(self, data: bytes) -> None:
        """One application record (an SCTP packet) to the peer."""
        if not self.established:
            raise DtlsError("DTLS is not established")
        try:
            self._ssl.send(data)
        except SSL.Error as e:
            raise DtlsError(f"DTLS cannot send: {e}") from e
        await self._flush()

    async def close(self) -> None:
        """Say close_notify, so the peer ends its media now (a peer already gone: nothing to say)."""
        try:
            self._ssl.shutdown()
            await self._flush()
        except (SSL.Error, ConnectionError):
            pass

    async def _flush(self) -> None:
        while True:
            try:
                data = self._ssl.bio_read(MTU)
            except SSL.WantReadError:
                return
            await self._send(data)

    def _check_peer(self) -> None:
        cert = self._ssl.get_peer_certificate()
        if cert is None:
            raise DtlsError("the peer sent no certificate")
        got = cert.digest("sha256").decode().upper()
        if got != self._remote_fingerprint:
            raise DtlsError(f"the peer's certificate {got} is not the one its offer named")
        if self._ssl.get_selected_srtp_profile() != SRTP_PROFILE:
            raise DtlsError("the peer did not agree to SRTP_AES128_CM_SHA1_80")

    def _key_srtp(self) -> None:
        material = self._ssl.export_keying_material(b"EXTRACTOR-dtls_srtp", 2 * (KEY + SALT))
        client_key, server_key = material[:KEY], material[KEY : 2 * KEY]
        client_salt, server_salt = material[2 * KEY : 2 * KEY + SALT], material[2 * KEY + SALT :]
        client, server = client_key + client_salt, server_key + server_salt
        ours, theirs = (client, server) if self._setup is Setup.ACTIVE else (server, client)
        self.srtp_out = pylibsrtp.Session(_policy(ours, pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
        self.srtp_in = pylibsrtp.Session(_policy(theirs, pylibsrtp.Policy.SSRC_ANY_INBOUND))


def _policy(key: bytes, ssrc_type: int) -> pylibsrtp.Policy:
    policy = pylibsrtp.Policy(key=key, ssrc_type=ssrc_type)
    policy.window_size = REPLAY_WINDOW
    return policy
