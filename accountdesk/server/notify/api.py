"""HTTP endpoints of notifications: a user's own preferences and calendar feed, the feed itself,
and the administrators' channels, rules, test and dead-letter list (authorised here, on the
server: only role ``admin``). Secrets are accepted and never returned."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, params
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ...models.enums import Role
from ...sync import protocol as p
from ...sync.codec import encode_value
from .. import calendar
from ..auth import Identity
from ..db import Database
from ..errors import ServerError
from . import admin, store
from .settings import NotifySettings

Lang = Literal["zh_CN", "en"]
#: in-app alerts per call of ``GET /v1/notify/alerts``
ALERTS_PAGE = 200


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MyPrefs(_Body):
    language: Lang | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    digest: bool | None = None


class UserPrefs(MyPrefs):
    email: str | None = Field(default=None, max_length=254)
    team: str | None = Field(default=None, max_length=100)


class SmtpChannel(_Body):
    host: str = Field(max_length=253)
    port: int = Field(ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    sender: str = Field(max_length=254)
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, max_length=64)


class WebhookChannel(_Body):
    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str = Field(max_length=2000)
    secret: str | None = Field(default=None, max_length=500)
    name: str | None = Field(default=None, max_length=64)
    language: Lang | None = None


class Rule(_Body):
    event: str = Field(max_length=32)
    to: str = Field(max_length=120)
    tier: str | None = Field(default=None, max_length=16)
    severity: str | None = Field(default=None, max_length=16)


class TestRequest(_Body):
    to: str | None = Field(default=None, max_length=254)


class ResendRequest(_Body):
    ids: list[Annotated[int, Field(ge=1, le=p.MAX_INT)]] | None = Field(default=None, max_length=1000)


class FeedInfo(BaseModel):
    active: bool
    created_at: str | None = None
    #: only when the feed was just made: the secret URL, shown once
    url: str | None = None
    path: str | None = None


def _public_url(ns: NotifySettings, request: Request, path: str) -> str:
    base = (ns.public_url or str(request.base_url)).rstrip("/")
    return base + path


def router(db: Database, ns: NotifySettings, who_dep: params.Depends) -> APIRouter:
    """The routes of notifications; ``who_dep``: the dependency that gives the request's :class:`Identity`."""
    api = APIRouter()
    Who = Annotated[Identity, who_dep]
    calendar.hide_secrets_in_access_logs()

    def admin_only(who: Identity) -> None:
        if who.role != Role.ADMIN.value:
            raise ServerError(403, p.E_FORBIDDEN, "Only administrators may configure notifications.")

    # -- everybody: own preferences and calendar feed --------------------------------------
    @api.get("/v1/notify/me", responses={401: {"model": p.ErrorBody}})
    def my_prefs(who: Who) -> dict[str, Any]:
        return admin.user_settings(db, who.username)

    @api.put("/v1/notify/me", responses={400: {"model": p.ErrorBody}, 401: {"model": p.ErrorBody}})
    def set_my_prefs(body: MyPrefs, who: Who) -> dict[str, Any]:
        return admin.set_user(
            db, who.username, language=body.language, time_zone=body.time_zone, digest=body.digest, by=who
        )

    @api.get("/v1/notify/alerts", responses={401: {"model": p.ErrorBody}})
    def my_alerts(who: Who, after: Annotated[int, Query(ge=0, le=p.MAX_INT)] = 0) -> dict[str, Any]:
        """The signed-in person's in-app alerts after ``after`` (escalations that reach them),
        oldest first; ``next`` is the cursor of the following call."""
        with db.read() as conn:
            rows = store.in_app_alerts(conn, who.user_id, after, ALERTS_PAGE)
        alerts = [
            {
                "id": r["id"],
                "event": r["event"],
                "created_at": encode_value(store.aware(r["created_at"])),
                **(r["message"] or {}).get("ref", {}),
            }
            for r in rows
        ]
        return {"alerts": alerts, "next": rows[-1]["id"] if rows else after, "more": len(rows) == ALERTS_PAGE}

    @api.get("/v1/notify/calendar-feed", response_model=FeedInfo, responses={401: {"model": p.ErrorBody}})
    def feed_status(who: Who) -> FeedInfo:
        return FeedInfo(**calendar.status(db, who.user_id))

    @api.post("/v1/notify/calendar-feed", response_model=FeedInfo, responses={401: {"model": p.ErrorBody}})
    def feed_reset(who: Who, request: Request) -> FeedInfo:
        made = calendar.reset(db, who.user_id)
        return FeedInfo(**made, url=_public_url(ns, request, made["path"]))

    @api.delete("/v1/notify/calendar-feed", response_model=FeedInfo, responses={401: {"model": p.ErrorBody}})
    def feed_revoke(who: Who) -> FeedInfo:
        return FeedInfo(**calendar.revoke(db, who.user_id))

    Secret = Annotated[str, Path(min_length=32, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]

    @api.get(
        "/v1/calendar/{secret}.ics",
        responses={404: {"model": p.ErrorBody}},
        response_class=Response,
        summary="A user's calendar feed (iCalendar); no headers needed",
    )
    def feed(secret: Secret) -> Response:
        body = calendar.render(db, ns, secret)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": 'inline; filename="accountdesk.ics"',
            },
        )

    # some calendar apps look before they fetch (a HEAD answer has no body, so it is not published)
    api.head("/v1/calendar/{secret}.ics", include_in_schema=False, response_class=Response)(feed)

    # -- administrators --------------------------------------------------------------------
    @api.get("/v1/admin/notify/channels", responses={403: {"model": p.ErrorBody}})
    def channels(who: Who) -> list[dict[str, Any]]:
        admin_only(who)
        return admin.list_channels(db)

    @api.post(
        "/v1/admin/notify/channels/smtp", responses={400: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}}
    )
    def add_smtp(body: SmtpChannel, who: Who) -> dict[str, Any]:
        admin_only(who)
        return admin.add_smtp(
            db,
            host=body.host,
            port=body.port,
            security=body.security,
            sender=body.sender,
            username=body.username,
            password=body.password,
            name=body.name,
            by=who,
        )

    @api.post(
        "/v1/admin/notify/channels/webhook",
        responses={400: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}},
    )
    def add_webhook(body: WebhookChannel, who: Who) -> dict[str, Any]:
        admin_only(who)
        return admin.add_webhook(
            db,
            kind=body.kind,
            url=body.url,
            secret=body.secret,
            name=body.name,
            language=body.language,
            by=who,
        )

    @api.delete(
        "/v1/admin/notify/channels/{name}",
        responses={403: {"model": p.ErrorBody}, 404: {"model": p.ErrorBody}},
    )
    def remove_channel(name: Annotated[str, Path(max_length=64)], who: Who) -> dict[str, Any]:
        admin_only(who)
        admin.remove_channel(db, name, by=who)
        return {"removed": name}

    @api.get("/v1/admin/notify/rules", responses={403: {"model": p.ErrorBody}})
    def rules(who: Who) -> list[dict[str, Any]]:
        admin_only(who)
        return admin.list_rules(db)

    @api.post("/v1/admin/notify/rules", responses={400: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}})
    def add_rule(body: Rule, who: Who) -> dict[str, Any]:
        admin_only(who)
        return admin.add_rule(
            db, event=body.event, to=body.to, tier=body.tier, severity=body.severity, by=who
        )

    @api.delete(
        "/v1/admin/notify/rules/{rule_id}",
        responses={403: {"model": p.ErrorBody}, 404: {"model": p.ErrorBody}},
    )
    def remove_rule(rule_id: Annotated[int, Path(ge=1, le=p.MAX_INT)], who: Who) -> dict[str, Any]:
        admin_only(who)
        admin.remove_rule(db, rule_id, by=who)
        return {"removed": rule_id}

    @api.post("/v1/admin/notify/rules/reset", responses={403: {"model": p.ErrorBody}})
    def reset_rules(who: Who) -> list[dict[str, Any]]:
        admin_only(who)
        return admin.reset_rules(db, by=who)

    @api.put(
        "/v1/admin/notify/users/{username}",
        responses={400: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}, 404: {"model": p.ErrorBody}},
    )
    def set_user(username: Annotated[str, Path(max_length=64)], body: UserPrefs, who: Who) -> dict[str, Any]:
        admin_only(who)
        return admin.set_user(
            db,
            username,
            language=body.language,
            time_zone=body.time_zone,
            digest=body.digest,
            email=body.email,
            team=body.team,
            by=who,
        )

    @api.post("/v1/admin/notify/test", responses={400: {"model": p.ErrorBody}, 403: {"model": p.ErrorBody}})
    def test(body: TestRequest, who: Who) -> list[dict[str, Any]]:
        admin_only(who)
        return admin.send_test(db, ns, to=body.to)

    @api.get("/v1/admin/notify/failed", responses={403: {"model": p.ErrorBody}})
    def failed(who: Who) -> list[dict[str, Any]]:
        admin_only(who)
        return admin.list_messages(db, "dead")

    @api.post("/v1/admin/notify/resend", responses={403: {"model": p.ErrorBody}})
    def resend(body: ResendRequest, who: Who) -> dict[str, Any]:
        admin_only(who)
        return admin.resend(db, ns, body.ids, by=who)

    return api
