"""NATS_TLS_* settings: what turns TLS on, and bad values refused at start-up with the setting's name."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from bus.settings import BusSettings
from bus.tls import client_tls_context
from tests.tls_ca import TestCA


def test_without_tls_settings_it_stays_plain_tcp() -> None:
    settings = BusSettings.from_env({"NATS_URL": "nats://nats:4222"})
    assert not settings.nats_tls
    assert client_tls_context(settings) is None


@pytest.mark.parametrize(
    "env",
    [{"NATS_URL": "tls://nats:4222"}, {"NATS_URL": "TLS://nats:4222"}, {"NATS_TLS_CA": "/ca.crt"},
     {"NATS_TLS_CERT": "/c.crt", "NATS_TLS_KEY": "/c.key"}],
)  # fmt: skip
def test_a_tls_url_or_any_tls_file_turns_tls_on(env: dict[str, str]) -> None:
    assert BusSettings.from_env(env).nats_tls


def test_the_context_verifies_the_server_with_the_given_ca(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    context = client_tls_context(BusSettings.from_env({"NATS_TLS_CA": str(ca.ca_file)}))
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "voicepod test CA"),),)]


def test_a_client_certificate_is_loaded(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    me = ca.issue("gateway", client=True)
    env = {"NATS_TLS_CA": str(ca.ca_file), "NATS_TLS_CERT": str(me.cert), "NATS_TLS_KEY": str(me.key)}
    assert client_tls_context(BusSettings.from_env(env)) is not None


def test_a_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValueError, match="NATS_TLS_CERT and NATS_TLS_KEY"):
        BusSettings.from_env({"NATS_TLS_CERT": "/c.crt"})
    with pytest.raises(ValueError, match="NATS_TLS_CERT and NATS_TLS_KEY"):
        BusSettings.from_env({"NATS_TLS_KEY": "/c.key"})


def test_missing_or_bad_files_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"NATS_TLS_CA=./nowhere/ca\.crt.: no such file"):
        client_tls_context(BusSettings(nats_tls_ca="/nowhere/ca.crt"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ValueError, match=r"NATS_TLS_CA=.*not a PEM CA certificate"):
        client_tls_context(BusSettings(nats_tls_ca=str(junk)))
    ca = TestCA(tmp_path / "ca")
    a, b = ca.issue("a", client=True), ca.issue("b", client=True)
    with pytest.raises(ValueError, match="not a matching PEM certificate and key"):
        client_tls_context(BusSettings(nats_tls_cert=str(a.cert), nats_tls_key=str(b.key)))
