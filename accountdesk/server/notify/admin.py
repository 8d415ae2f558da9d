"""Administration of notifications, shared by ``accountdesk-server notify …`` and the admin API:
channels (secrets go in sealed and never come out), routing rules, users' preferences, the
test message, the dead-letter list and resending. Every error is a :class:`ServerError` whose
message names the field (exit code 2 / HTTP 400)."""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from ...i18n import SUPPORTED, _
from .. import repo
from ..auth import Identity
from ..db import Database
from ..errors import ServerError
from ..merge import SYSTEM, Writer
from ..settings import Settings
from . import channels as ch
from . import messages, outbox, rules, secrets, store
from .settings import NotifySettings


def _bad(message: str) -> ServerError:
    return ServerError(400, "bad_request", message)


def _email(value: str, field: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _bad(_("{field}: not a valid e-mail address").format(field=field)) from None


def _name(name: str | None, default: str) -> str:
    name = (name or default).strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name) or ":" in name:
        raise _bad(_("name: 1 to 64 characters, without spaces or colons"))
    return name


def _language(lang: str | None, field: str = "lang") -> str | None:
    if lang is None:
        return None
    if lang not in SUPPORTED:
        raise _bad(_("{field}: one of {values}").format(field=field, values=", ".join(SUPPORTED)))
    return lang


def public_channel(c: dict[str, Any]) -> dict[str, Any]:
    """What may be shown of a channel: never a password, a key or a full webhook URL."""
    cfg = dict(c["settings"])
    out = {
        "id": c["id"],
        "name": c["name"],
        "kind": c["kind"],
        "language": c.get("language"),
        "created_at": c["created_at"].isoformat() if c.get("created_at") else None,
    }
    if c["kind"] == "smtp":
        out.update(
            host=cfg.get("host"),
            port=cfg.get("port"),
            security=cfg.get("security"),
            username=cfg.get("username"),
            sender=cfg.get("sender"),
            password_set=bool(cfg.get("username")),
        )
    else:
        out.update(url=cfg.get("url_hint"), signed=bool(cfg.get("signed")))
    return out


def list_channels(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [public_channel(c) for c in store.channels(conn)]


def add_smtp(
    db: Database,
    *,
    host: str,
    port: int,
    security: str,
    sender: str,
    username: str | None = None,
    password: str | None = None,
    name: str | None = None,
    by: Identity = SYSTEM,
) -> dict[str, Any]:
    host = (host or "").strip()
    if not host or len(host) > 253 or any(c.isspace() for c in host):
        raise _bad(_("host: give the SMTP server's name or address"))
    if not isinstance(port, int) or not 0 < port < 65536:
        raise _bad(_("port: a number from 1 to 65535"))
    if security not in ch.SECURITY:
        raise _bad(_("security: one of {values}").format(values=", ".join(ch.SECURITY)))
    sender = _email(sender or "", "from")
    if username is not None and not username.strip():
        username = None
    if username and not password:
        raise _bad(_("password: a user needs a password (--password-stdin)"))
    name = _name(name, "smtp")
    settings = {"host": host, "port": port, "security": security, "sender": sender, "username": username}
    with db.write() as conn:
        existing = next((c for c in store.channels(conn) if c["kind"] == "smtp"), None)
        if existing is not None and existing["name"] != name:
            store.delete_channel(conn, existing["name"])  # one SMTP server: the new one replaces it
        other = store.channel_by_name(conn, name)
        if other is not None and other["kind"] != "smtp":
            raise ServerError(
                409,
                "exists",
                _("name: a {kind} channel is already called {name}").format(kind=other["kind"], name=name),
            )
        row = {
            "id": (existing or {}).get("id") or str(uuid.uuid4()),
            "kind": "smtp",
            "name": name,
            "settings": settings,
            "secret": secrets.seal({"password": password or ""}),
            "language": None,
            "created_at": repo.utcnow(),
        }
        store.put_channel(conn, row)
        repo.audit(conn, "notify_channel", user_id=by.user_id or None, kind="smtp", name=name)
    return public_channel(row)


def url_hint(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def add_webhook(
    db: Database,
    *,
    kind: str,
    url: str,
    secret: str | None = None,
    name: str | None = None,
    language: str | None = None,
    by: Identity = SYSTEM,
) -> dict[str, Any]:
    if kind not in ch.WEBHOOKS:
        raise _bad(_("kind: one of {values}").format(values=", ".join(ch.WEBHOOKS)))
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or len(url) > 2000
        or any(c.isspace() for c in url)
    ):
        raise _bad(_("url: the robot's webhook address (https://…)"))
    secret = (secret or "").strip() or None
    if secret is not None and len(secret) > 500:
        raise _bad(_("secret: at most 500 characters"))
    name = _name(name, kind)
    language = _language(language)
    settings = {"url_hint": url_hint(url), "signed": secret is not None}
    with db.write() as conn:
        other = store.channel_by_name(conn, name)
        if other is not None and other["kind"] == "smtp":
            raise ServerError(409, "exists", _("name: the SMTP channel is called {name}").format(name=name))
        row = {
            "id": (other or {}).get("id") or str(uuid.uuid4()),
            "kind": kind,
            "name": name,
            "settings": settings,
            "secret": secrets.seal({"url": url, "secret": secret}),
            "language": language,
            "created_at": repo.utcnow(),
        }
        store.put_channel(conn, row)
        repo.audit(conn, "notify_channel", user_id=by.user_id or None, kind=kind, name=name)
    return public_channel(row)


def remove_channel(db: Database, name: str, *, by: Identity = SYSTEM) -> None:
    with db.write() as conn:
        if not store.delete_channel(conn, name):
            raise ServerError(404, "not_found", _("name: no channel {name}").format(name=name))
        repo.audit(conn, "notify_channel_removed", user_id=by.user_id or None, name=name)


# -- rules -------------------------------------------------------------------------------------
def public_rule(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "event": r["event"],
        "to": r["recipient"],
        "tier": r.get("tier"),
        "severity": r.get("severity"),
    }


def list_rules(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [public_rule(r) for r in store.rules(conn)]


def add_rule(
    db: Database,
    *,
    event: str,
    to: str,
    tier: str | None = None,
    severity: str | None = None,
    by: Identity = SYSTEM,
) -> dict[str, Any]:
    rules.check_rule(event, to, tier, severity)
    with db.write() as conn:
        if to.startswith("group:") and store.channel_by_name(conn, to[6:]) is None:
            raise _bad(_("to: no channel {name} (add it with notify add-webhook)").format(name=to[6:]))
        if to.startswith("user:") and repo.user_by_name(conn, to[5:]) is None:
            raise _bad(_("to: no user {name}").format(name=to[5:]))
        for r in store.rules(conn):
            if (r["event"], r["recipient"], r.get("tier"), r.get("severity")) == (event, to, tier, severity):
                return public_rule(r)
        rule_id = store.add_rule(
            conn, event=event, recipient=to, tier=tier, severity=severity, created_at=repo.utcnow()
        )
        repo.audit(
            conn, "notify_rule", user_id=by.user_id or None, event=event, to=to, tier=tier, severity=severity
        )
    return {"id": rule_id, "event": event, "to": to, "tier": tier, "severity": severity}


def remove_rule(db: Database, rule_id: int, *, by: Identity = SYSTEM) -> None:
    with db.write() as conn:
        if not store.delete_rule(conn, rule_id):
            raise ServerError(404, "not_found", _("id: no rule {id}").format(id=rule_id))
        repo.audit(conn, "notify_rule_removed", user_id=by.user_id or None, rule=rule_id)


def reset_rules(db: Database, *, by: Identity = SYSTEM) -> list[dict[str, Any]]:
    with db.write() as conn:
        store.clear_rules(conn)
        now = repo.utcnow()
        for event, to in rules.DEFAULT_RULES:
            store.add_rule(conn, event=event, recipient=to, tier=None, severity=None, created_at=now)
        repo.audit(conn, "notify_rules_reset", user_id=by.user_id or None)
    return list_rules(db)


# -- users' preferences ------------------------------------------------------------------------
def user_settings(db: Database, username: str) -> dict[str, Any]:
    with db.read() as conn:
        user = repo.user_by_name(conn, username)
        if user is None:
            raise ServerError(404, "not_found", _("No user {name}.").format(name=username))
        return _user_view(conn, user)


def _user_view(conn: Connection, user: dict[str, Any]) -> dict[str, Any]:
    rec = repo.get_record(conn, user["id"])
    data = (rec or {}).get("data", {})
    pref = store.prefs(conn, user["id"])
    return {
        "username": user["username"],
        "email": data.get("email"),
        "team": data.get("team"),
        "language": pref.get("language"),
        "time_zone": pref.get("time_zone"),
        "digest": bool(pref.get("digest", True)),
    }


def set_user(
    db: Database,
    username: str,
    *,
    language: str | None = None,
    time_zone: str | None = None,
    digest: bool | None = None,
    email: str | None = None,
    team: str | None = None,
    by: Identity = SYSTEM,
) -> dict[str, Any]:
    """Set a user's preferences; ``email`` and ``team`` go on the synced user record (``""``
    clears them)."""
    _language(language)
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(_("time-zone: not a known time zone (e.g. Asia/Shanghai)")) from None
    if email:
        email = _email(email, "email")
    if team is not None and len(team) > 100:
        raise _bad(_("team: at most 100 characters"))
    with db.write() as conn:
        user = repo.user_by_name(conn, username) or repo.user_by_id(conn, username)
        if user is None:
            raise ServerError(404, "not_found", _("No user {name}.").format(name=username))
        changes = {
            k: v
            for k, v in (("language", language), ("time_zone", time_zone), ("digest", digest))
            if v is not None
        }
        if changes:
            store.set_prefs(conn, user["id"], **changes)
        record = {k: (v or None) for k, v in (("email", email), ("team", team)) if v is not None}
        if record:
            writer = Writer(conn, by, Settings())
            rec = writer.get(user["id"], lock=True)
            if rec is not None:
                writer.server_update(rec, record)
                writer.finish()
        return _user_view(conn, user)


# -- test, dead letters ------------------------------------------------------------------------
def send_test(db: Database, ns: NotifySettings, *, to: str | None = None) -> list[dict[str, Any]]:
    """Send a test message on every channel now (SMTP: to ``to``, else to every administrator
    with an e-mail address). One result per channel: ``{"channel", "kind", "ok", "error", "to"}``."""
    if to:
        to = _email(to, "to")
    with db.read() as conn:
        chans = store.channels(conn)
        admins = [
            u for u in store.users_with_prefs(conn) if u["role"] == "admin" and u["active"] and u.get("email")
        ]
    results = []
    for c in chans:
        lang = c.get("language") or ns.language
        targets = [to] if to else [a["email"] for a in admins] if c["kind"] == "smtp" else [None]
        if c["kind"] == "smtp" and not targets:
            results.append(
                {
                    "channel": c["name"],
                    "kind": c["kind"],
                    "ok": False,
                    "to": None,
                    "error": _("no recipient: give --to ADDRESS or an e-mail address to an administrator"),
                }
            )
            continue
        for target in targets:
            try:
                outbox.send_one(c, target, messages.test_message(lang, c["name"]), ns)
                results.append(
                    {"channel": c["name"], "kind": c["kind"], "ok": True, "error": None, "to": target}
                )
            except ch.DeliveryError as exc:
                results.append(
                    {"channel": c["name"], "kind": c["kind"], "ok": False, "error": str(exc), "to": target}
                )
    return results


def _message_view(m: dict[str, Any], names: dict[str, str], channel_names: dict[str, str]) -> dict[str, Any]:
    who = m["recipient"]
    if who.startswith("user:"):
        who = "user:" + names.get(who[5:], who[5:])
    return {
        "id": m["id"],
        "event": m["event"],
        "to": who,
        "address": m.get("address"),
        "channel": channel_names.get(m.get("channel_id") or "", None),
        "status": m["status"],
        "attempts": m["attempts"],
        "error": m.get("last_error"),
        "title": (m.get("message") or {}).get("title"),
        "created_at": store.aware(m["created_at"]).isoformat(),
        "sent_at": store.aware(m["sent_at"]).isoformat() if m.get("sent_at") else None,
    }


def list_messages(db: Database, status: str | None = "dead", limit: int = 500) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = store.messages(conn, status=status, limit=limit)
        names = {u["id"]: u["username"] for u in repo.list_users(conn)}
        channel_names = {c["id"]: c["name"] for c in store.channels(conn)}
    return [_message_view(m, names, channel_names) for m in rows]


def resend(
    db: Database, ns: NotifySettings, ids: list[int] | None = None, *, by: Identity = SYSTEM
) -> dict[str, Any]:
    """Put dead messages (all, or these) back in the queue and try them at once."""
    with db.write() as conn:
        revived = store.revive(conn, ids or [], ns.now())
        if revived:
            repo.audit(conn, "notify_resend", user_id=by.user_id or None, messages=len(revived))
    counts = outbox.deliver(db, ns, ids=revived) if revived else {"sent": 0, "failed": 0, "dead": 0}
    return {
        "resent": len(revived),
        **counts,
        "messages": [m for m in list_messages(db, None) if m["id"] in set(revived)],
    }


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
