"""``accountdesk-server notify …``: channels, routing rules, users' preferences, the test message
and the dead-letter list. Exit codes: 0 done, 2 bad input (the message names the field), 1 any
other error (a channel that failed the test, a message still undelivered after ``--resend``).

::

    notify add-smtp --host H --port P [--starttls | --tls] [--user U --password-stdin] --from ADDR [--name N] [--json]
    notify add-webhook --kind wecom|dingtalk|feishu --url URL [--secret-stdin] [--name N] [--language zh_CN|en] [--json]
    notify channels [--json]                      the channels (never a password, key or full URL)
    notify remove NAME                            remove a channel
    notify rules [list] [--json]                  who gets which event
    notify rules add --event EVENT --to WHO [--tier T] [--severity S] [--json]
    notify rules remove ID
    notify rules reset                            back to the default rules
    notify user NAME [--language L] [--time-zone TZ] [--email ADDR] [--team T] [--digest | --no-digest] [--json]
    notify test [--to ADDR] [--json]              a test message on every channel, now
    notify failed [--resend] [--id ID ...] [--json]   the dead-letter list; --resend tries them again now
    notify run [--digest-now] [--json]            one run of the schedule now (escalations, digests, sending)

``--url``, the SMTP password and the signing secret are read from the command line or standard
input only and are never printed again; the webhook URL's key counts as a secret too.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from ...i18n import _
from ..cli.common import emit as _emit
from ..cli.common import open_db as _open
from ..errors import ServerError
from . import admin, rules, secrets
from .settings import NotifySettings


def _read_secret(args: argparse.Namespace, flag: str, prompt: str) -> str | None:
    if getattr(args, flag, False):
        return sys.stdin.readline().rstrip("\r\n") or None
    if sys.stdin.isatty():
        return getpass.getpass(prompt) or None
    return None


def _warn_plain() -> None:
    if not secrets.encrypted():
        sys.stderr.write(
            _(
                "Warning: {var} is not set, so this secret is stored in the database without encryption."
            ).format(var=secrets.ENV_KEY)
            + "\n"
        )


def cmd_add_smtp(args: argparse.Namespace) -> int:
    if args.starttls and args.tls:
        raise ServerError(400, "bad_request", _("security: give --starttls or --tls, not both"))
    security = "starttls" if args.starttls else "tls" if args.tls else "none"
    password = _read_secret(args, "password_stdin", _("SMTP password: ")) if args.user else None
    if args.password_stdin and not args.user:
        raise ServerError(400, "bad_request", _("user: --password-stdin needs --user"))
    db = _open(args)
    if args.user:
        _warn_plain()
    channel = admin.add_smtp(
        db,
        host=args.host,
        port=args.port,
        security=security,
        sender=args.sender,
        username=args.user,
        password=password,
        name=args.name,
    )
    _emit(
        args,
        channel,
        _("SMTP server {host}:{port} ({security}) saved as channel {name}.").format(
            host=channel["host"], port=channel["port"], security=channel["security"], name=channel["name"]
        ),
    )
    return 0


def cmd_add_webhook(args: argparse.Namespace) -> int:
    secret = _read_secret(args, "secret_stdin", _("Signing secret: ")) if args.secret_stdin else None
    db = _open(args)
    _warn_plain()
    channel = admin.add_webhook(
        db, kind=args.kind, url=args.url, secret=secret, name=args.name, language=args.language
    )
    _emit(
        args,
        channel,
        _("{kind} robot saved as channel {name} ({signed}).").format(
            kind=channel["kind"],
            name=channel["name"],
            signed=_("signed") if channel["signed"] else _("not signed"),
        ),
    )
    return 0


def cmd_channels(args: argparse.Namespace) -> int:
    rows = admin.list_channels(_open(args))
    if args.json:
        _emit(args, rows, "")
        return 0
    if not rows:
        sys.stdout.write(_("No channels yet: add one with notify add-smtp or notify add-webhook.") + "\n")
    for c in rows:
        where = (
            f"{c['host']}:{c['port']} {c['security']} {c['sender']}"
            if c["kind"] == "smtp"
            else f"{c['url']} {_('signed') if c['signed'] else _('not signed')} {c.get('language') or ''}"
        )
        sys.stdout.write(f"{c['name']:<20} {c['kind']:<9} {where}\n")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    admin.remove_channel(_open(args), args.name)
    sys.stdout.write(_("Channel {name} removed.").format(name=args.name) + "\n")
    return 0


def _print_rules(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    if args.json:
        _emit(args, rows, "")
        return
    for r in rows:
        filters = " ".join(f"{k}={r[k]}" for k in ("tier", "severity") if r.get(k))
        sys.stdout.write(f"{r['id']:>4}  {r['event']:<13} {r['to']:<24} {filters}\n")


def cmd_rules(args: argparse.Namespace) -> int:
    db = _open(args)
    action = getattr(args, "rules_cmd", None) or "list"
    if action == "list":
        _print_rules(args, admin.list_rules(db))
    elif action == "add":
        rule = admin.add_rule(db, event=args.event, to=args.to, tier=args.tier, severity=args.severity)
        _emit(
            args,
            rule,
            _("Rule {id}: {event} → {to}.").format(id=rule["id"], event=rule["event"], to=rule["to"]),
        )
    elif action == "remove":
        admin.remove_rule(db, args.id)
        sys.stdout.write(_("Rule {id} removed.").format(id=args.id) + "\n")
    elif action == "reset":
        _print_rules(args, admin.reset_rules(db))
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    db = _open(args)
    values = {
        "language": args.language,
        "time_zone": args.time_zone,
        "digest": args.digest,
        "email": args.email,
        "team": args.team,
    }
    if all(v is None for v in values.values()):
        view = admin.user_settings(db, args.name)
    else:
        view = admin.set_user(db, args.name, **values)
    _emit(args, view, "\n".join(f"{k}: {'-' if v is None else v}" for k, v in view.items()))
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    results = admin.send_test(_open(args), NotifySettings(), to=args.to)
    if args.json:
        _emit(args, results, "")
    elif not results:
        sys.stdout.write(_("No channels yet: add one with notify add-smtp or notify add-webhook.") + "\n")
    for r in results if not args.json else []:
        state = _("sent") if r["ok"] else _("failed: {error}").format(error=r["error"])
        target = f" → {r['to']}" if r.get("to") else ""
        sys.stdout.write(f"{r['channel']:<20} {r['kind']:<9}{target}  {state}\n")
    return 0 if results and all(r["ok"] for r in results) else 1


def cmd_failed(args: argparse.Namespace) -> int:
    db = _open(args)
    if args.resend:
        result = admin.resend(db, NotifySettings(), args.id)
        _emit(
            args,
            result,
            _(
                "{resent} message(s) resent: {sent} delivered, {failed} will be retried, {dead} failed again."
            ).format(**{k: result[k] for k in ("resent", "sent", "failed", "dead")}),
        )
        return 0 if result["sent"] == result["resent"] else 1
    rows = admin.list_messages(db, "dead")
    if args.json:
        _emit(args, rows, "")
        return 0
    if not rows:
        sys.stdout.write(_("No undelivered messages.") + "\n")
    for m in rows:
        sys.stdout.write(
            f"{m['id']:>6}  {m['created_at'][:16]}  {m['event']:<13} {m['to']:<24} {m['channel'] or '-':<12} "
            f"{m['attempts']}x  {m['error'] or ''}\n"
        )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from . import outbox, scheduler

    db = _open(args)
    ns = NotifySettings()
    result = scheduler.record(db, ns, force_digest=args.digest_now)
    result.update(outbox.deliver(db, ns))
    _emit(args, result, " ".join(f"{k}={v}" for k, v in result.items()))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    notify = sub.add_parser(
        "notify", help=_("e-mail and group-robot messages: channels, rules, test, failed messages")
    )
    cmds = notify.add_subparsers(dest="notify_cmd", required=True, metavar=_("COMMAND"))

    p = cmds.add_parser("add-smtp", help=_("set the SMTP server that sends e-mail"))
    p.add_argument("--host", required=True)
    p.add_argument("--port", required=True, type=int)
    p.add_argument(
        "--starttls", action="store_true", help=_("upgrade the connection with STARTTLS (port 587)")
    )
    p.add_argument("--tls", action="store_true", help=_("implicit TLS (port 465)"))
    p.add_argument("--user", help=_("log in as this user"))
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.add_argument("--from", dest="sender", required=True, metavar="ADDR", help=_("sender address"))
    p.add_argument("--name", help=_("channel name (default smtp)"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_add_smtp)

    p = cmds.add_parser("add-webhook", help=_("add a WeCom, DingTalk or Feishu group robot"))
    p.add_argument("--kind", required=True, choices=["wecom", "dingtalk", "feishu"])
    p.add_argument("--url", required=True, help=_("the robot's webhook address (it holds the robot's key)"))
    p.add_argument(
        "--secret-stdin", action="store_true", help=_("read the signing secret from standard input")
    )
    p.add_argument("--name", help=_("channel name (default: the kind)"))
    p.add_argument("--language", choices=["zh_CN", "en"], help=_("language of the group's messages"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_add_webhook)

    p = cmds.add_parser("channels", help=_("list the channels"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_channels)
    p = cmds.add_parser("remove", help=_("remove a channel"))
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_remove)

    p = cmds.add_parser("rules", help=_("who receives which event"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rules)
    rules_cmds = p.add_subparsers(dest="rules_cmd", metavar=_("ACTION"))
    r = rules_cmds.add_parser("list", help=_("list the rules"))
    r.add_argument("--json", action="store_true")
    r = rules_cmds.add_parser("add", help=_("add a rule"))
    r.add_argument("--event", required=True, choices=rules.EVENTS)
    r.add_argument(
        "--to", required=True, metavar="WHO", help=", ".join(rules.PEOPLE) + ", user:NAME, group:CHANNEL"
    )
    r.add_argument("--tier", choices=rules.TIERS)
    r.add_argument("--severity", choices=rules.SEVERITIES)
    r.add_argument("--json", action="store_true")
    r = rules_cmds.add_parser("remove", help=_("remove a rule"))
    r.add_argument("id", type=int, metavar="ID")
    r = rules_cmds.add_parser("reset", help=_("restore the default rules"))
    r.add_argument("--json", action="store_true")

    p = cmds.add_parser("user", help=_("a user's language, time zone, e-mail, team and digest"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("--language", choices=["zh_CN", "en"])
    p.add_argument("--time-zone", metavar="TZ", help=_("e.g. Asia/Shanghai"))
    p.add_argument("--email", metavar="ADDR")
    p.add_argument("--team")
    p.add_argument(
        "--digest", dest="digest", action="store_true", default=None, help=_("send the daily digest")
    )
    p.add_argument("--no-digest", dest="digest", action="store_false", help=_("no daily digest"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user)

    p = cmds.add_parser("test", help=_("send a test message on every channel now"))
    p.add_argument(
        "--to", metavar="ADDR", help=_("e-mail recipient (default: administrators with an address)")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_test)

    p = cmds.add_parser("failed", help=_("messages that could not be delivered (dead letters)"))
    p.add_argument("--resend", action="store_true", help=_("try them again now"))
    p.add_argument("--id", type=int, nargs="+", metavar="ID", help=_("only these messages"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_failed)

    p = cmds.add_parser("run", help=_("run the notification schedule once now"))
    p.add_argument("--digest-now", action="store_true", help=_("send today's digests now, whatever the hour"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_run)


__all__ = ["register", "argparse"]
