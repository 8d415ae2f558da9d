"""The bytes of a download as pieces of :data:`blobs.CHUNK` bytes (issue 18).

httpx hands a body over in reads of 64 KB, each passed through h11 and copied on the way, and
pieces of a given size cost another copy (about 1.7 CPU seconds per GB on the development machine;
the standard library's ``http.client`` reading straight into the piece's buffer: 0.2). So a
download reads its body with ``http.client`` on a connection of its own (kept per transfer thread,
reused from file to file), with exactly what the engine's httpx client would use: its headers, the
same SSL context (the certificates it trusts) and no proxy. Where the engine's client is not the
plain one (another transport, a proxy for the server's address, an httpx without those
attributes), the bytes come through httpx (:func:`_httpx_pieces`).
"""

from __future__ import annotations

import contextlib
import http.client
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from ..store import blobs

#: Errors of a connection of http.client (the server went, the connection dropped).
RAW_ERRORS = (OSError, http.client.HTTPException)


class Fetch:
    """One GET of a blob: ``status_code``, then :meth:`error_response` (a refusal, as httpx
    gives it) or :meth:`pieces`."""

    status_code: int

    def error_response(self) -> httpx.Response:
        raise NotImplementedError

    def pieces(self) -> Iterator[bytes | bytearray]:
        raise NotImplementedError


class _HttpxFetch(Fetch):
    def __init__(self, resp: httpx.Response) -> None:
        self.resp = resp
        self.status_code = resp.status_code

    def error_response(self) -> httpx.Response:
        self.resp.read()
        return self.resp

    def pieces(self) -> Iterator[bytes | bytearray]:
        buf = bytearray(blobs.CHUNK)
        fill = 0
        for part in self.resp.iter_raw():  # (as read: re-chunking to a size would cost a copy)
            view = memoryview(part)
            while view:
                k = min(blobs.CHUNK - fill, len(view))
                buf[fill : fill + k] = view[:k]
                fill += k
                view = view[k:]
                if fill == blobs.CHUNK:
                    yield buf
                    buf, fill = bytearray(blobs.CHUNK), 0
        if fill:
            yield buf[:fill]


class _RawFetch(Fetch):
    def __init__(self, resp: http.client.HTTPResponse, url: str) -> None:
        self.resp = resp
        self.url = url
        self.status_code = resp.status

    def error_response(self) -> httpx.Response:
        body = self.resp.read()
        return httpx.Response(
            self.status_code,
            headers=self.resp.getheaders(),
            content=body,
            request=httpx.Request("GET", self.url),
        )

    def pieces(self) -> Iterator[bytes | bytearray]:
        while True:
            buf = bytearray(blobs.CHUNK)
            view = memoryview(buf)
            fill = 0
            while fill < blobs.CHUNK:
                try:
                    n = self.resp.readinto(view[fill:])
                except RAW_ERRORS as exc:  # (as httpx says it: the caller knows those)
                    raise httpx.ReadError(str(exc)) from exc
                if not n:
                    if self.resp.length:  # (http.client says an early end as the end)
                        raise httpx.RemoteProtocolError("the connection closed before the end of the body")
                    break
                fill += n
            view.release()
            if fill == blobs.CHUNK:
                yield buf
                continue
            if fill:
                del buf[fill:]
                yield buf
            return


class Fetcher:
    """GETs of blobs for one :class:`FileSync` (connections per thread; :meth:`close` at the end)."""

    def __init__(self, client: httpx.Client, timeout: float = 120.0) -> None:
        self.http = client
        self.timeout = timeout
        self._local = threading.local()
        self._conns: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._target = self._raw_target()

    def _raw_target(self) -> tuple[str, str, int, ssl.SSLContext | None] | None:
        """(scheme, host, port, SSL context) when http.client can do exactly what the engine's
        client would; None otherwise."""
        try:
            url = self.http.build_request("GET", "/v1/files/x").url
            transport: Any = self.http._transport
            if type(transport) is not httpx.HTTPTransport:
                return None
            if self.http._transport_for_url(url) is not transport:
                return None  # (a proxy for this address)
            context = transport._pool._ssl_context
        except AttributeError:  # (an httpx without them)
            return None
        if url.scheme == "http":
            return ("http", url.host, url.port or 80, None)
        if url.scheme == "https" and isinstance(context, ssl.SSLContext):
            return ("https", url.host, url.port or 443, context)
        return None

    def _connection(self, fresh: bool) -> http.client.HTTPConnection:
        assert self._target is not None
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and not fresh:
            return conn
        if conn is not None:
            conn.close()
        scheme, host, port, context = self._target
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn

    @contextlib.contextmanager
    def get(self, path: str, headers: dict[str, str]) -> Iterator[Fetch]:
        """GET ``path`` with the engine's headers and ``headers``; transport errors are
        :class:`httpx.TransportError` (as through httpx)."""
        if self._target is None:
            with self.http.stream("GET", path, headers=headers, timeout=self.timeout) as streamed:
                yield _HttpxFetch(streamed)
            return
        request = self.http.build_request("GET", path, headers=headers)  # (the client's headers too)
        hdrs = {k: v for k, v in request.headers.items() if k.lower() != "connection"}
        target = request.url.raw_path.decode("ascii")
        resp: http.client.HTTPResponse | None = None
        for attempt in (1, 2):  # (a kept connection the server closed meanwhile: once more, fresh)
            conn = self._connection(fresh=attempt == 2)
            reused = conn.sock is not None
            try:
                conn.request("GET", target, headers=hdrs)
                resp = conn.getresponse()
                break
            except RAW_ERRORS as exc:
                conn.close()
                if attempt == 1 and reused:
                    continue
                raise httpx.ReadError(str(exc)) from exc
        assert resp is not None
        try:
            yield _RawFetch(resp, str(request.url))
        except BaseException:
            conn.close()
            raise
        if not resp.isclosed():  # (a body not read to its end: the connection cannot serve another)
            conn.close()

    def close(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
