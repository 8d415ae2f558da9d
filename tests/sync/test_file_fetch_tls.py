"""Attachment downloads read their bodies with http.client (sync/file_fetch.py) instead of httpx:
over HTTPS that path must check the server's certificate exactly as the engine's httpx client does.
A real ``accountdesk-server serve`` with a self-signed certificate, on loopback."""

from __future__ import annotations

import json

import httpx
import pytest
from sync_env import _server_process, backend, database_url, server  # noqa: F401
from test_server_serve import serve_tls

from accountdesk.sync.file_fetch import Fetcher


@pytest.fixture
def tls_base(server, tmp_path):  # noqa: F811
    with serve_tls(server, tmp_path) as served:
        yield served


def _read(fetcher: Fetcher, path: str) -> tuple[int, bytes]:
    with fetcher.get(path, {}) as got:
        return got.status_code, b"".join(bytes(piece) for piece in got.pieces())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_downloads_over_https_read_through_http_client_with_the_engines_trust(tls_base):
    port, trust = tls_base
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust) as client:
        fetcher = Fetcher(client)
        try:
            assert fetcher._target is not None and fetcher._target[0] == "https"  # the fast path
            status, body = _read(fetcher, "/v1/health")
            assert status == 200 and json.loads(body)["status"] == "ok"
            assert _read(fetcher, "/v1/health")[0] == 200  # the kept connection serves the next file
        finally:
            fetcher.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_downloads_over_https_refuse_a_certificate_the_engine_does_not_trust(tls_base):
    port, trust = tls_base
    # A laptop that does not trust the certificate (a man in the middle's, say): refused.
    with httpx.Client(base_url=f"https://127.0.0.1:{port}") as client:
        fetcher = Fetcher(client)
        try:
            with pytest.raises(httpx.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
                _read(fetcher, "/v1/health")
        finally:
            fetcher.close()
    # Trusted certificate but another host name than it names: refused as well.
    with httpx.Client(base_url=f"https://localhost:{port}", verify=trust) as client:
        fetcher = Fetcher(client)
        try:
            with pytest.raises(httpx.TransportError, match="match|mismatch"):
                _read(fetcher, "/v1/health")
        finally:
            fetcher.close()
