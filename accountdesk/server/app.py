"""The FastAPI application: thin routers over the logic modules (auth, merge, pull, admin).

Every answer that is not a success has the body ``{"code", "message"}`` — refusals of the
logic, malformed requests (400/422), unknown paths and methods (404/405), a busy or unavailable
database (503) and bugs (500). A request to an authenticated path is refused before its body is
read when its token is not good. Nothing logged holds a field value (:func:`errors.describe`).
"""

import contextlib
import gc
import json
import logging
import os
import time
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from http import HTTPStatus
from typing import Annotated, Any

import anyio
import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import __version__
from ..permissions import sees_all_clients
from ..sync import protocol as p
from . import admin, auth, calendar, farewell, file_store, files, merge, pull, retention
from .compression import CompressionMiddleware
from .db import Database, unavailable
from .errors import ServerError, describe
from .notify import api as notify_api
from .notify.scheduler import NotifyScheduler
from .notify.settings import NotifySettings
from .settings import Settings

log = logging.getLogger("accountdesk.server")

VERSIONED_PREFIX = "/v1/"
UNVERSIONED = {"/v1/health", "/v1/ready"}
#: paths that need no token: their bodies are small, and capped lower than the others
UNAUTHENTICATED = {"/v1/health", "/v1/ready", "/v1/auth/login", "/v1/auth/refresh"}
MAX_UNAUTHENTICATED_BODY = 64 * 1024
#: paths of a revoked device's farewell: its grant's token is their credential, and only theirs
FAREWELL_PATHS = {p.PATH_FAREWELL_PUSH, p.PATH_FAREWELL_END}
HTTP_CODES = {
    400: p.E_BAD_REQUEST,
    401: p.E_TOKEN_INVALID,
    403: p.E_FORBIDDEN,
    404: p.E_NOT_FOUND,
    405: p.E_METHOD_NOT_ALLOWED,
    413: p.E_TOO_LARGE,
    503: p.E_UNAVAILABLE,
}


class _FastRequest(Request):
    """A request whose JSON body is parsed by orjson (a join's pushes are megabytes of rows: the
    standard library's parser was a tenth of the server's time). What orjson refuses but JSON
    allows (a lone surrogate written as an escape) is parsed by the standard library, so that
    such a value is refused item by item by the merge instead of failing the whole batch."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = orjson.loads(body)
            except orjson.JSONDecodeError:
                self._json = json.loads(body)
        return self._json


class _FastRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_FastRequest(request.scope, request.receive))

        return route


def _json(data: pull.PullAnswer | pull.SnapshotAnswer) -> Response:
    """A large page serialised once, without re-validation (its shape is the documented model);
    its items come as JSON text (:class:`pull.RawJSON`) and are joined as they are."""
    rest = {k: v for k, v in data.items() if k != "items"}
    head = json.dumps(rest, ensure_ascii=False, separators=(",", ":"), default=str)
    tail = ("," + head[1:] if rest else "}").encode()
    return Response(b'{"items":[' + pull.joined(data["items"]) + b"]" + tail, media_type="application/json")


def _error(
    status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, **extra}, status_code=status, headers=headers)


def _refusal(exc: ServerError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def _unavailable() -> JSONResponse:
    return _error(
        503, p.E_UNAVAILABLE, "The database is not available; try again later.", headers={"Retry-After": "30"}
    )


class ErrorMiddleware:
    """The outermost layer: an exception no handler took becomes 503 (the database cannot be
    reached) or 500 with ``{"code", "message"}``, logged without its message (a database error
    quotes the failing row) — and is not raised further, so the ASGI server does not log it
    with its own, complete, traceback."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            where = f"{scope.get('method')} {str(scope.get('path'))[:200]}"
            if unavailable(exc):
                log.warning("database unavailable during %s\n%s", where, describe(exc))
                answer = _unavailable()
            else:
                log.error("unexpected error during %s\n%s", where, describe(exc))
                answer = _error(500, p.E_INTERNAL, "Internal server error.")
            if not started:
                await answer(scope, receive, send)


def update_required(message: str) -> JSONResponse:
    return _error(
        426,
        p.E_UPDATE_REQUIRED,
        message,
        min_protocol=p.MIN_PROTOCOL,
        max_protocol=p.MAX_PROTOCOL,
        min_schema=p.MIN_SCHEMA,
        max_schema=p.MAX_SCHEMA,
    )


class GuardMiddleware:
    """Checks versions, caps body sizes and inflates gzip request bodies (with a cap on the
    inflated size), before any route runs: a refused request changes nothing."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str | None, bool], "auth.Identity"] | None = None,
        max_body: int = p.MAX_BODY_BYTES,
    ):
        self.app = app
        self.max_body = max_body
        self.authenticate = authenticate

    async def _identify(
        self,
        scope: Scope,
        headers: dict[str, str],
        authenticate: Callable[[str | None, bool], "auth.Identity"],
    ) -> JSONResponse | None:
        """Check the bearer token (a database read, off the event loop) and keep the identity
        for the route; a refusal is answered before a byte of the body is read. A farewell's
        paths take a farewell token, every other path an access token."""
        value = headers.get("authorization", "")
        token = value[7:].strip() if value[:7].lower() == "bearer " else None
        try:
            who = await anyio.to_thread.run_sync(authenticate, token, scope["path"] in FAREWELL_PATHS)
        except ServerError as exc:
            return _refusal(exc)
        scope.setdefault("state", {})["identity"] = who
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        # a calendar feed is fetched by calendar apps, which cannot send the version headers
        if path.startswith(VERSIONED_PREFIX) and path not in UNVERSIONED and not calendar.is_feed_path(path):
            try:
                proto = int(headers.get(p.HEADER_PROTOCOL.lower(), ""))
                schema = int(headers.get(p.HEADER_SCHEMA.lower(), ""))
            except ValueError:
                await update_required("Every request must carry the protocol and schema versions.")(
                    scope, receive, send
                )
                return
            if not (p.MIN_PROTOCOL <= proto <= p.MAX_PROTOCOL and p.MIN_SCHEMA <= schema <= p.MAX_SCHEMA):
                await update_required(
                    "This version of AccountDesk is not supported by the server; please update."
                )(scope, receive, send)
                return
        # a calendar feed's secret is its credential (calendar apps send no token)
        if (
            self.authenticate is not None
            and path.startswith(VERSIONED_PREFIX)
            and path not in UNAUTHENTICATED
            and not calendar.is_feed_path(path)
        ):
            refusal = await self._identify(scope, headers, self.authenticate)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if files.is_piece_path(scope["method"], path):
            # a piece of a file streams to the disk in its route, which checks its length and
            # encoding before it reads a byte (server/files.py): not gathered here
            await self.app(scope, receive, send)
            return
        max_body = MAX_UNAUTHENTICATED_BODY if path in UNAUTHENTICATED else self.max_body
        if scope["method"] in ("POST", "PUT", "PATCH"):
            try:
                declared = int(headers.get("content-length") or 0)
            except ValueError:
                declared = 0
            if declared > max_body:
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
                if len(body) > max_body:
                    await _error(413, p.E_TOO_LARGE, "The request body is too large.")(scope, receive, send)
                    return
            encoding = headers.get("content-encoding", "").strip().lower()
            if encoding == "gzip":
                try:
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = inflater.decompress(bytes(body), max_body + 1)
                    if len(data) > max_body or inflater.unconsumed_tail:
                        await _error(413, p.E_TOO_LARGE, "The request body is too large once decompressed.")(
                            scope, receive, send
                        )
                        return
                    if not inflater.eof or inflater.unused_data:  # cut short, or followed by something else
                        await _error(400, p.E_BAD_REQUEST, "The request body is not complete gzip.")(
                            scope, receive, send
                        )
                        return
                except zlib.error:
                    await _error(400, p.E_BAD_REQUEST, "The request body is not valid gzip.")(
                        scope, receive, send
                    )
                    return
                body = bytearray(data)
                scope = dict(scope)
                scope["headers"] = [
                    (k, v)
                    for k, v in scope["headers"]
                    if k.lower() not in (b"content-encoding", b"content-length")
                ]
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


def create_app(
    database_url: str,
    *,
    settings: Settings | None = None,
    migrate: bool = True,
    daily_purge: bool = False,
    notify: bool = False,
    notify_settings: NotifySettings | None = None,
) -> FastAPI:
    db = Database(database_url, create=migrate)
    if migrate:
        db.migrate()
    settings = settings or Settings()
    purger = retention.DailyPurge(db, settings) if daily_purge else None
    ns = notify_settings or NotifySettings()
    notifier = NotifyScheduler(db, ns) if notify else None
    logins = auth.Logins(db, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What the process has built by now (modules, tables, the app) lives as long as it does:
        # out of the collector's sight, so that its collections walk only what requests make.
        gc.freeze()
        if purger is not None:
            purger.start()
        if notifier is not None:
            notifier.start()
        yield
        if notifier is not None:
            notifier.stop()
        if purger is not None:
            purger.stop()
        logins.gate.close()
        try:
            logins.flush()
        except Exception as exc:  # noqa: BLE001 - shutting down: the database may be gone
            log.warning("could not audit the last throttled logins\n%s", describe(exc))

    docs = settings.docs
    app = FastAPI(
        title="AccountDesk sync server",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.router.route_class = _FastRoute
    app.state.db = db
    app.state.settings = settings

    @app.exception_handler(ServerError)
    async def _server_error(_request: Request, exc: ServerError) -> JSONResponse:
        return _refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems: list[str] = []
        for err in exc.errors()[:20]:  # never echo the input back (it may hold confidential values)
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, p.E_BAD_REQUEST, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return _error(
            exc.status_code, HTTP_CODES.get(exc.status_code, p.E_BAD_REQUEST), message, headers=exc.headers
        )

    def authenticate(token: str | None, farewell: bool) -> auth.Identity:
        with db.read() as conn:
            return auth.identify_farewell(conn, token) if farewell else auth.identify(conn, token)

    async def identity(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> auth.Identity:
        """Checked by :class:`GuardMiddleware` before the body was read (``authorization`` is
        named here for the published schema)."""
        who = getattr(request.state, "identity", None)
        if not isinstance(who, auth.Identity):  # (None: no identity was checked)
            raise ServerError(401, p.E_TOKEN_INVALID, "Log in first.")
        return who

    who_dependency = Depends(identity)
    Who = Annotated[auth.Identity, who_dependency]

    def client_address(request: Request) -> str:
        return request.client.host if request.client else "?"

    @app.get("/v1/ready", response_model=p.Ready, responses={503: {"model": p.ErrorBody}})
    def ready() -> p.Ready:
        """Whether this process can serve: its database answers (for a load balancer or a monitor)."""
        try:
            db.ready()
        except Exception as exc:  # noqa: BLE001 - whatever it is, the database cannot serve
            log.warning("not ready\n%s", describe(exc))
            raise ServerError(
                503, p.E_UNAVAILABLE, "The database is not available.", headers={"Retry-After": "30"}
            ) from None
        return p.Ready(status="ready")

    @app.get("/v1/health", response_model=p.Health)
    def health() -> p.Health:
        return p.Health(
            status="ok",
            protocol=[p.MIN_PROTOCOL, p.MAX_PROTOCOL],
            schema_versions=[p.MIN_SCHEMA, p.MAX_SCHEMA],
        )

    @app.post(
        "/v1/auth/login",
        response_model=p.TokenPair,
        responses={
            401: {"model": p.ErrorBody},
            403: {"model": p.ErrorBody},
            429: {"model": p.ErrorBody},
            503: {"model": p.ErrorBody},
        },
    )
    def login(req: p.LoginRequest, request: Request, response: Response) -> p.TokenPair:
        pair = logins.login(req, client_address(request))
        response.headers[p.HEADER_OFFLINE_DAYS] = str(settings.offline_days)
        return pair

    @app.post(
        "/v1/auth/refresh",
        response_model=p.TokenPair,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def refresh(req: p.RefreshRequest, request: Request, response: Response) -> p.TokenPair:
        pair = logins.refresh(req, client_address(request))
        response.headers[p.HEADER_OFFLINE_DAYS] = str(settings.offline_days)
        return pair

    def features(request: Request) -> frozenset[str]:
        raw = request.headers.get(p.HEADER_FEATURES, "")
        return frozenset(f.strip() for f in raw.split(",")[:20] if f.strip())

    @app.post(
        "/v1/sync/push",
        response_model=p.PushResult,
        response_model_exclude_none=True,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def push(
        req: p.PushRequest,
        who: Who,
        request: Request,
        x_test_delay_ms: Annotated[int | None, Header(include_in_schema=False)] = None,
        x_test_delay_after_ms: Annotated[int | None, Header(include_in_schema=False)] = None,
    ) -> Response:
        delay = min(max(x_test_delay_ms or 0, 0), 10_000) if settings.test_hooks else 0
        result = merge.push(db, settings, who, req, delay_ms=delay, features=features(request))
        body = orjson.dumps(result)  # the documented PushResult, built by the merge as plain JSON
        if settings.test_hooks and x_test_delay_after_ms:  # committed, the answer not yet sent
            time.sleep(min(max(x_test_delay_after_ms, 0), 10_000) / 1000)
        return Response(body, media_type="application/json")

    @app.get(
        "/v1/sync/pull",
        response_model=p.PullPage,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}, 410: {"model": p.ErrorBody}},
    )
    def pull_page(
        who: Who,
        request: Request,
        cursor: Annotated[int, Query(ge=0, le=p.MAX_INT)] = 0,
        target: Annotated[int | None, Query(ge=0, le=p.MAX_INT)] = None,
        limit: Annotated[int, Query(ge=1, le=p.MAX_PAGE)] = p.DEFAULT_PAGE,
        marks: Annotated[
            bool, Query(description="also send the boundaries of the pages still to come")
        ] = False,
    ) -> Response:
        no_echo = p.FEATURE_NO_ECHO in features(request)
        return _json(pull.pull(db, who, cursor, target, limit, marks, skip_own=no_echo))

    @app.post(
        "/v1/sync/snapshot",
        response_model=p.SnapshotPage,
        responses={401: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def snapshot(req: p.SnapshotRequest, who: Who) -> Response:
        return _json(pull.snapshot(db, who, req))

    @app.get("/v1/history/{client_id}", response_model=p.HistoryPage, responses={404: {"model": p.ErrorBody}})
    def history(
        client_id: Annotated[str, Path(max_length=36, pattern=r"^[0-9A-Za-z_.:-]+$")],
        who: Who,
        field: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_*]+$")] = None,
    ) -> p.HistoryPage:
        return pull.history(db, who, client_id, field)

    @app.get("/v1/admin/clients-needing-owner")
    def needing_owner(who: Who) -> list[dict[str, Any]]:
        if not sees_all_clients(who.role):
            raise ServerError(403, p.E_FORBIDDEN, "Only supervisors and administrators may see this.")
        return admin.clients_needing_owner(db)

    app.include_router(notify_api.router(db, ns, who_dependency))
    app.include_router(farewell.router(db, settings, who_dependency))
    app.include_router(
        files.router(
            db, settings, file_store.FileStore(file_store.root_for(database_url, settings)), who_dependency
        )
    )

    app.add_middleware(CompressionMiddleware, minimum_size=1024, compresslevel=1)  # zstd, else gzip
    app.add_middleware(GuardMiddleware, authenticate=authenticate)
    if (
        settings.trusted_proxies
    ):  # the address a trusted proxy forwarded for; nobody else's header is believed
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(ErrorMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several worker processes share one database)."""
    url = os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"]
    return create_app(url, migrate=False, daily_purge=True, notify=True)


__all__ = ["create_app", "create_app_from_env"]
