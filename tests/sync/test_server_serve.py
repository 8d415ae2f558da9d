"""``accountdesk-server serve`` as an administrator runs it: HTTPS with a certificate, and several
worker processes sharing one database (stateless: a token issued by one is honoured by another)."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sync_env import PASSWORD, free_port

from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def serve_tls(server, tmp_path, *args: str) -> Iterator[tuple[int, ssl.SSLContext]]:
    """``accountdesk-server serve`` over HTTPS with a self-signed certificate for 127.0.0.1, on
    ``server``'s database; yields its port and an SSL context that trusts the certificate."""
    cert, key = self_signed(tmp_path)
    port = free_port()
    log = open(tmp_path / "tls.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "accountdesk.server.cli", "--database-url", server.database_url, "serve"]
        + ["--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if (
                    httpx.get(f"https://127.0.0.1:{port}/v1/health", verify=trust, timeout=1).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "tls.log").read_text()
                time.sleep(0.2)
        yield port, trust
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_https_with_two_workers(server, tmp_path):
    server.add_user("alice", "manager")
    with serve_tls(server, tmp_path, "--workers", "2") as (port, trust):
        base = f"https://127.0.0.1:{port}"
        with pytest.raises(httpx.ConnectError):
            httpx.get(base + "/v1/health", timeout=2)  # an unknown certificate is refused by default
        r = httpx.post(
            base + "/v1/auth/login",
            headers=H,
            verify=trust,
            json={"username": "alice", "password": PASSWORD, "device_id": "tls-laptop"},
        )
        assert r.status_code == 200
        auth = {**H, "Authorization": "Bearer " + r.json()["access_token"]}
        with httpx.Client(verify=trust) as c:  # new connections land on either worker
            codes = {
                httpx.get(base + "/v1/sync/pull", headers=auth, verify=trust).status_code for _ in range(12)
            }
            assert c.get(base + "/openapi.json").json()["info"]["title"] == "AccountDesk sync server"
        assert codes == {200}
