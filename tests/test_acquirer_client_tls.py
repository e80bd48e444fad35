"""The HTTP acquirer client's certificate checks (payer_app/payments/acquirer_client.py, ``tls_context``):
an https acquirer whose certificate no CA vouches for is not talked to; a plain http acquirer's client
trusts no certificate at all; httpx's CA bundle is loaded once per process, not once per client."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient, tls_context
from tests.self_signed import self_signed_certificate


@pytest.fixture
def tls_server(tmp_path):
    """A TLS server on a loopback port with the self-signed certificate, for one connection; it answers
    a request with a 200 and an empty JSON object, should the client ever get that far. Yields (url,
    what became of the connection)."""
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(60)  # the test's one connection comes long before; never a hung thread
    served: list[str] = []

    def serve() -> None:  # the one connection the test makes
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    served.append("request")
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                                b"Connection: close\r\n\r\n{}")
            except (ssl.SSLError, OSError):
                served.append("handshake refused")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}", served
    thread.join(timeout=60)
    listener.close()


def test_an_https_acquirer_with_a_certificate_no_ca_signed_is_not_talked_to(tls_server):
    url, served = tls_server
    client = HttpAcquirerClient(url)
    try:
        with pytest.raises(AcquirerUnavailable):
            client.key_status("some-kid")
    finally:
        client.close()
    assert "request" not in served, "the client sent a request over a certificate it could not check"


def test_https_checks_certificates_and_host_names_with_a_ca_bundle_loaded_once():
    first, second = tls_context("https://acquirer.example"), tls_context("HTTPS://other.example:8443")
    assert first is second, "the CA bundle is loaded again for each client"
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.get_ca_certs(), "no CA certificate loaded"


def test_a_plain_http_client_trusts_no_certificate():
    context = tls_context("http://127.0.0.1:8000")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == [] and context.cert_store_stats()["x509"] == 0
