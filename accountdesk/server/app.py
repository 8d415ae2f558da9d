"""The FastAPI application: thin routers over the logic modules (auth, merge, pull, admin)."""


import contextlib
import json
import logging
import os
import time
import zlib
from typing import Annotated

import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..permissions import sees_all_clients
from ..sync import protocol as p
from . import admin, auth, merge, pull, retention
from .compression import CompressionMiddleware
from .db import Database
from .errors import ServerError
from .settings import Settings

log = logging.getLogger("accountdesk.server")

VERSIONED_PREFIX = "/v1/"
UNVERSIONED = {"/v1/health"}


def _json(data) -> Response:
    """A large page serialised once, without re-validation (its shape is the documented model);
    its items come as JSON text (:class:`pull.RawJSON`) and are joined as they are."""
    rest = {k: v for k, v in data.items() if k != "items"}
    head = json.dumps(rest, ensure_ascii=False, separators=(",", ":"), default=str)
    tail = ("," + head[1:] if rest else "}").encode()
    return Response(b'{"items":[' + pull.joined(data["items"]) + b"]" + tail, media_type="application/json")


def _error(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, **extra}, status_code=status)


def update_required(message: str) -> JSONResponse:
    return _error(426, p.E_UPDATE_REQUIRED, message, min_protocol=p.MIN_PROTOCOL, max_protocol=p.MAX_PROTOCOL,
                  min_schema=p.MIN_SCHEMA, max_schema=p.MAX_SCHEMA)


class GuardMiddleware:
    """Checks versions, caps body sizes and inflates gzip request bodies (with a cap on the
    inflated size), before any route runs: a refused request changes nothing."""

    def __init__(self, app: ASGIApp, max_body: int = p.MAX_BODY_BYTES):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith(VERSIONED_PREFIX) and path not in UNVERSIONED:
            try:
                proto = int(headers.get(p.HEADER_PROTOCOL.lower(), ""))
                schema = int(headers.get(p.HEADER_SCHEMA.lower(), ""))
            except ValueError:
                await update_required("Every request must carry the protocol and schema versions.")(scope, receive, send)
                return
            if not (p.MIN_PROTOCOL <= proto <= p.MAX_PROTOCOL and p.MIN_SCHEMA <= schema <= p.MAX_SCHEMA):
                await update_required("This version of AccountDesk is not supported by the server; please update.")(scope, receive, send)
                return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            try:
                declared = int(headers.get("content-length") or 0)
            except ValueError:
                declared = 0
            if declared > self.max_body:
                await _error(413, p.E_TOO_LARGE, "The request body is too large.")(scope, receive, send)
                return
            body = bytearray()
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body:
                    await _error(413, p.E_TOO_LARGE, "The request body is too large.")(scope, receive, send)
                    return
            encoding = headers.get("content-encoding", "").strip().lower()
            if encoding == "gzip":
                try:
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = inflater.decompress(bytes(body), self.max_body + 1)
                    if len(data) > self.max_body or inflater.unconsumed_tail:
                        await _error(413, p.E_TOO_LARGE, "The request body is too large once decompressed.")(scope, receive, send)
                        return
                except zlib.error:
                    await _error(400, p.E_BAD_REQUEST, "The request body is not valid gzip.")(scope, receive, send)
                    return
                body = bytearray(data)
                scope = dict(scope)
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"content-encoding", b"content-length")]
                scope["headers"].append((b"content-length", str(len(body)).encode()))
            elif encoding not in ("", "identity"):
                await _error(415, p.E_BAD_REQUEST, "Unsupported content encoding.")(scope, receive, send)
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


def create_app(database_url: str, *, settings: Settings | None = None, migrate: bool = True,
               daily_purge: bool = False) -> FastAPI:
    db = Database(database_url)
    if migrate:
        db.migrate()
    settings = settings or Settings()
    purger = retention.DailyPurge(db, settings) if daily_purge else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        if purger is not None:
            purger.start()
        yield
        if purger is not None:
            purger.stop()

    app = FastAPI(title="AccountDesk sync server", version=__version__, lifespan=lifespan)
    app.state.db = db
    app.state.settings = settings

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, exc: ServerError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors()[:20]:  # never echo the input back (it may hold confidential values)
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, p.E_BAD_REQUEST, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unexpected error")
        return _error(500, "internal", "Internal server error.")

    def identity(request: Request, authorization: Annotated[str | None, Header()] = None) -> auth.Identity:
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        with db.read() as conn:
            return auth.identify(conn, token)

    Who = Annotated[auth.Identity, Depends(identity)]

    def client_address(request: Request) -> str:
        return request.client.host if request.client else "?"

    @app.get("/v1/health", response_model=p.Health)
    def health() -> p.Health:
        return p.Health(status="ok", protocol=[p.MIN_PROTOCOL, p.MAX_PROTOCOL], schema_versions=[p.MIN_SCHEMA, p.MAX_SCHEMA])

    @app.post("/v1/auth/login", response_model=p.TokenPair, responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}, 429: {"model": p.ErrorBody}})
    def login(req: p.LoginRequest, request: Request) -> p.TokenPair:
        return auth.login(db, settings, req, client_address(request))

    @app.post("/v1/auth/refresh", response_model=p.TokenPair, responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}})
    def refresh(req: p.RefreshRequest) -> p.TokenPair:
        return auth.refresh(db, settings, req)

    def features(request: Request) -> frozenset[str]:
        raw = request.headers.get(p.HEADER_FEATURES, "")
        return frozenset(f.strip() for f in raw.split(",")[:20] if f.strip())

    @app.post("/v1/sync/push", response_model=p.PushResult, response_model_exclude_none=True,
              responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}})
    def push(req: p.PushRequest, who: Who, request: Request, x_test_delay_ms: Annotated[int | None, Header(include_in_schema=False)] = None,
             x_test_delay_after_ms: Annotated[int | None, Header(include_in_schema=False)] = None) -> Response:
        delay = min(max(x_test_delay_ms or 0, 0), 10_000) if settings.test_hooks else 0
        result = merge.push(db, settings, who, req, delay_ms=delay, features=features(request))
        body = orjson.dumps(result)  # the documented PushResult, built by the merge as plain JSON
        if settings.test_hooks and x_test_delay_after_ms:  # committed, the answer not yet sent
            time.sleep(min(max(x_test_delay_after_ms, 0), 10_000) / 1000)
        return Response(body, media_type="application/json")

    @app.get("/v1/sync/pull", response_model=p.PullPage,
             responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}, 410: {"model": p.ErrorBody}})
    def pull_page(who: Who, request: Request, cursor: Annotated[int, Query(ge=0, le=p.MAX_INT)] = 0,
                  target: Annotated[int | None, Query(ge=0, le=p.MAX_INT)] = None,
                  limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE)] = p.DEFAULT_PAGE,
                  marks: Annotated[bool, Query(description="also send the boundaries of the pages still to come")] = False,
                  ) -> Response:
        no_echo = p.FEATURE_NO_ECHO in features(request)
        return _json(pull.pull(db, who, cursor, target, limit, marks, skip_own=no_echo))

    @app.post("/v1/sync/snapshot", response_model=p.SnapshotPage, responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}})
    def snapshot(req: p.SnapshotRequest, who: Who) -> Response:
        return _json(pull.snapshot(db, who, req))

    @app.get("/v1/history/{client_id}", response_model=p.HistoryPage, responses={404: {"model": p.ErrorBody}})
    def history(client_id: Annotated[str, Path(max_length=36, pattern=r"^[0-9A-Za-z_.:-]+$")], who: Who,
                field: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_*]+$")] = None) -> p.HistoryPage:
        return pull.history(db, who, client_id, field)

    @app.get("/v1/admin/clients-needing-owner")
    def needing_owner(who: Who) -> list[dict]:
        if not sees_all_clients(who.role):
            raise ServerError(403, p.E_FORBIDDEN, "Only supervisors and administrators may see this.")
        return admin.clients_needing_owner(db)

    app.add_middleware(CompressionMiddleware, minimum_size=1024, compresslevel=1)  # zstd, else gzip
    app.add_middleware(GuardMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several worker processes share one database)."""
    url = os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"]
    return create_app(url, migrate=False, daily_purge=True)


__all__ = ["create_app", "create_app_from_env"]
