"""``accountdesk-server``: initialise, administer and serve the sync server.

Exit codes: 0 success, 2 bad input, 1 any other error (as the device's CLI).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import AccountDeskError, NotFoundError, ValidationError
from ..i18n import _, set_language
from .db import Database, default_url
from .errors import ServerError


def _data_dir_default() -> Path:
    env = os.environ.get("ACCOUNTDESK_SERVER_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("AccountDeskServer", "AccountDesk"))


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    if os.environ.get("ACCOUNTDESK_SERVER_DATABASE_URL"):
        return os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"]
    return default_url(args.data_dir or _data_dir_default())


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValidationError(
            "password",
            _(
                "There is no terminal to ask for the password on: give it on standard input with --password-stdin."
            ),
        )
    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("Repeat the password: ")) != first:
        raise ServerError(400, "bad_request", _("The passwords do not match."))
    return first


def _open(args: argparse.Namespace) -> Database:
    db = Database(database_url(args))
    db.migrate()
    return db


def _emit(args: argparse.Namespace, data, text: str) -> None:
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(text + "\n")


def cmd_init(args: argparse.Namespace) -> int:
    from . import admin

    db = _open(args)
    if admin.has_users(db):
        sys.stdout.write(_("The server is already initialised.") + "\n")
        return 0
    admin.add_user(db, args.admin, "admin", _password(args))
    sys.stdout.write(_("Initialised; administrator {name} created.").format(name=args.admin) + "\n")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from . import admin

    db = _open(args)
    user = admin.add_user(db, args.name, args.role, _password(args), display_name=args.display_name)
    _emit(
        args,
        {"id": user["id"], "username": user["username"], "role": user["role"]},
        _("User {name} added ({role}).").format(name=user["username"], role=user["role"]),
    )
    return 0


def cmd_user_deactivate(args: argparse.Namespace) -> int:
    from . import admin

    db = _open(args)
    result = admin.deactivate_user(db, args.name)
    lines = [
        _("User {name} deactivated; {n} device(s) revoked.").format(
            name=result["username"], n=result["devices_revoked"]
        )
    ]
    if result["clients_needing_owner"]:
        lines.append(
            _("Clients that need a new owner: {names}").format(
                names=", ".join(map(str, result["clients_needing_owner"]))
            )
        )
    _emit(args, result, "\n".join(lines))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from . import admin

    users = admin.list_users(_open(args))
    if args.json:
        _emit(args, users, "")
        return 0
    for u in users:
        state = _("active") if u["active"] else _("deactivated")
        sys.stdout.write(f"{u['username']:<20} {u['role']:<11} {state:<12} {u['clients']}\n")
    return 0


def cmd_client_assign(args: argparse.Namespace) -> int:
    from . import admin

    result = admin.assign_client(_open(args), args.client, args.to, args.reason)
    _emit(
        args,
        result,
        _("Client {client} handed over to {user}.").format(client=result["client"], user=args.to),
    )
    return 0


def cmd_user_handover(args: argparse.Namespace) -> int:
    from .turnover import hand_over_user

    result = hand_over_user(_open(args), args.leaver, args.to, args.reason, deactivate=args.deactivate)
    lines = [_("{n} client(s) handed over to {user}.").format(n=len(result["handovers"]), user=args.to)]
    for h in result["handovers"]:
        lines.append(
            f"  {h['client']}: "
            + _("{n} open item(s) moved").format(n=sum(1 for m in h["moves"] if m["moved"]))
        )
    if result["backups"]:
        lines.append(_("Backup owner changed on {n} client(s).").format(n=len(result["backups"])))
    if result["teams"]:
        lines.append(_("Service team place taken over on {n} client(s).").format(n=len(result["teams"])))
    if result["unmoved"]:
        lines.append(
            _("{n} complaint(s) need another handler (the successor is involved).").format(
                n=len(result["unmoved"])
            )
        )
    if result["deactivated"]:
        lines.append(
            _("User {name} deactivated; {n} device(s) revoked.").format(
                name=args.leaver, n=result["devices_revoked"]
            )
        )
    for d in result["devices"]:
        lines.append(
            _(
                "Device {name} last synced {when}: what it changed since then is removed when it wipes itself."
            ).format(name=d["name"] or d["id"], when=d["last_seen"] or "—")
            if result["deactivated"]
            else _("Device {name} last synced {when}: let it sync once before deactivating the user.").format(
                name=d["name"] or d["id"], when=d["last_seen"] or "—"
            )
        )
    _emit(args, result, "\n".join(lines))
    return 0


def cmd_clients_unowned(args: argparse.Namespace) -> int:
    from . import admin

    rows = admin.clients_needing_owner(_open(args))
    if args.json:
        _emit(args, rows, "")
        return 0
    for c in rows:
        sys.stdout.write(f"{c['name']}  ({c['owner'] or '-'})\n")
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    from . import admin

    devices = admin.list_devices(_open(args))
    if args.json:
        _emit(args, devices, "")
        return 0
    for d in devices:
        state = _("revoked") if d["revoked"] else _("active")
        sys.stdout.write(
            f"{d['id']:<18} {d['user'] or '-':<16} {state:<8} {d['last_seen'] or '-'}  {d['name']}\n"
        )
    return 0


def cmd_device_revoke(args: argparse.Namespace) -> int:
    from . import admin

    admin.revoke_device(_open(args), args.device)
    sys.stdout.write(
        _("Device {device} revoked; it will wipe its data when it next connects.").format(device=args.device)
        + "\n"
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from . import repo

    db = _open(args)
    with db.read() as conn:
        rows = repo.audit_log(conn, args.limit)
        names = {u["id"]: u["username"] for u in repo.list_users(conn)}
    entries = [
        {
            "at": str(r["at"])[:19],
            "user": names.get(r["user_id"], r["user_id"]),
            "action": r["action"],
            "detail": r["detail"],
            "address": r["address"],
        }
        for r in rows
    ]
    if args.json:
        _emit(args, entries, "")
        return 0
    for e in entries:
        detail = " ".join(f"{k}={v}" for k, v in sorted(e["detail"].items()) if v is not None)
        sys.stdout.write(f"{e['at']}  {e['user'] or '-':<14} {e['action']:<16} {detail}\n")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..io.plan import describe
    from .importer import import_file

    overrides: dict[str, str | None] = {}
    for item in args.map:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise ValidationError("map", _("Write each mapping as COLUMN=FIELD: {value}").format(value=item))
        overrides[column.strip()] = target.strip() or None

    def planned(plan) -> None:  # the plan is shown before anything is written (or refused)
        if not args.json:
            sys.stdout.write("\n".join(describe(plan)) + "\n")
            sys.stdout.flush()

    outcome = import_file(
        _open(args),
        args.file,
        args.kind,
        owner=args.owner,
        mapping=overrides,
        client=args.client,
        sheet=args.sheet,
        dry_run=args.dry_run,
        skip_rejected=args.skip_rejected,
        duplicates=args.duplicates,
        planned=planned,
    )
    if args.json:
        _emit(args, outcome.to_dict(), "")
    elif outcome.result is not None:
        sys.stdout.write(
            _("Imported: {created} created, {merged} merged, {skipped} skipped, {rejected} rejected.").format(
                **outcome.result.to_dict()
            )
            + "\n"
        )
    return 0


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a number of days: {value}").format(value=text)) from None
    if not value >= 0 or value > 36500:
        raise argparse.ArgumentTypeError(_("the number of days must be between 0 and 36500"))
    return value


def cmd_purge(args: argparse.Namespace) -> int:
    import datetime as dt

    from . import retention
    from .settings import Settings

    days = Settings().retention_days if args.older_than is None else args.older_than
    if days <= 0 and args.older_than is None:
        raise ServerError(
            400, "bad_request", _("Tombstone retention is switched off; give --older-than DAYS.")
        )
    result = retention.purge(_open(args), dt.timedelta(days=days))
    _emit(
        args,
        result,
        _(
            "Purged {n} deleted record(s) older than {days:g} day(s); devices whose last sync is older "
            "than sequence {horizon} will take a fresh copy."
        ).format(n=result["purged"], days=days, horizon=result["horizon"]),
    )
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from . import auth

    result = auth.unlock(_open(args), username=args.name)
    _emit(
        args,
        result,
        _("Logins of {name} are allowed again ({n} lockout(s) lifted).").format(
            name=args.name, n=result["lifted"]
        ),
    )
    return 0


def cmd_address_unlock(args: argparse.Namespace) -> int:
    from . import auth

    address = _address(args.address)
    result = auth.unlock(_open(args), address=address)
    _emit(
        args,
        result,
        _("Logins from {address} are allowed again ({n} lockout(s) lifted).").format(
            address=address, n=result["lifted"]
        ),
    )
    return 0


def cmd_lockouts(args: argparse.Namespace) -> int:
    from . import auth_repo, repo

    db = _open(args)
    with db.read() as conn:
        rows = auth_repo.list_locks(conn, repo.utcnow())
    entries = [
        {
            "kind": r["kind"],
            "who": r["key"].split(":", 1)[1],
            "since": str(r["since"])[:19],
            "until": str(r["until"])[:19],
            "strikes": r["strikes"],
        }
        for r in rows
    ]
    if args.json:
        _emit(args, entries, "")
        return 0
    if not entries:
        sys.stdout.write(_("No login is locked out.") + "\n")
    for e in entries:
        sys.stdout.write(f"{e['kind']:<8} {e['who']:<40} {e['since']}  ->  {e['until']}\n")
    return 0


def _address(text: str, *, network: bool = False) -> str:
    """An IP address (``10.0.0.5``, ``::1``), or with ``network`` also a network (``10.0.0.0/24``)."""
    import ipaddress

    try:
        if network and "/" in text:
            return str(ipaddress.ip_network(text.strip(), strict=False))
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ServerError(
            400, "bad_request", _("Not an IP address or network: {value}").format(value=text)
        ) from None


def _check_port(host: str, port: int) -> None:
    """Refuse, in words, a port that another program holds (uvicorn would log a bare errno)."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AccountDeskError(
                    _(
                        "Port {port} on {host} is already in use by another program (another server?); "
                        "stop it or choose another port with --port."
                    ).format(port=port, host=host)
                ) from None
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
                raise ValidationError(
                    "host",
                    _("Cannot listen on {host}:{port}: {reason}").format(
                        host=host, port=port, reason=exc.strerror
                    ),
                ) from None
            raise


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    _check_port(args.host, args.port)
    url = database_url(args)
    Database(url).migrate()
    os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"] = url
    if args.retention_days is not None:
        os.environ["ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS"] = repr(args.retention_days)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ServerError(400, "bad_request", _("Give both --tls-cert and --tls-key."))
    if args.trusted_proxy:
        from .settings import Settings

        proxies = [*Settings().trusted_proxies, *(_address(a, network=True) for a in args.trusted_proxy)]
        os.environ["ACCOUNTDESK_TRUSTED_PROXIES"] = ",".join(dict.fromkeys(proxies))
    if args.no_docs:
        os.environ["ACCOUNTDESK_SERVER_DOCS"] = "0"
    if args.files_dir:
        os.environ["ACCOUNTDESK_SERVER_FILES_DIR"] = str(Path(args.files_dir).resolve())
    if args.max_file_mb is not None:
        os.environ["ACCOUNTDESK_MAX_FILE_MB"] = str(args.max_file_mb)
    if args.file_quota_mb is not None:
        os.environ["ACCOUNTDESK_FILE_QUOTA_MB"] = str(args.file_quota_mb)
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{args.host}]" if ":" in args.host else args.host
    sys.stdout.write(
        _("AccountDesk server listening on {url} (stop with Ctrl+C)").format(
            url=f"{scheme}://{shown}:{args.port}"
        )
        + "\n"
    )
    sys.stdout.flush()
    uvicorn.run(
        "accountdesk.server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        log_level="warning" if not args.verbose else "info",
        # X-Forwarded-For is read by the app, and only from the proxies the settings trust
        proxy_headers=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accountdesk-server", description=_("The AccountDesk sync server."))
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help=_("folder of the embedded SQLite database"))
    where.add_argument("--database-url", help=_("SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db"))
    parser.add_argument("--lang", choices=["zh_CN", "en"], help=_("language of messages"))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log more detail"))
    sub = parser.add_subparsers(dest="command", required=True, metavar=_("COMMAND"))

    p = sub.add_parser("init", help=_("create the database and the first administrator"))
    p.add_argument("--admin", required=True, help=_("user name of the administrator"))
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.set_defaults(func=cmd_init)

    user = sub.add_parser("user", help=_("manage users")).add_subparsers(dest="user_cmd", required=True)
    p = user.add_parser("add", help=_("add a user"))
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=["admin", "supervisor", "manager", "field"])
    p.add_argument("--display-name")
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("deactivate", help=_("deactivate a user and revoke their tokens and devices"))
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_deactivate)
    p = user.add_parser(
        "handover", help=_("hand every client of a leaving user, with its open work, to a successor")
    )
    p.add_argument("leaver", metavar="LEAVER", help=_("login or display name"))
    p.add_argument("--to", required=True, metavar="USER", help=_("the successor (login or display name)"))
    p.add_argument("--reason", metavar="TEXT")
    p.add_argument(
        "--deactivate", action="store_true", help=_("then deactivate the leaver and revoke their devices")
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_handover)
    p = user.add_parser("list", help=_("list users"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_list)
    p = user.add_parser("unlock", help=_("lift the login lockout of a user (and of their devices)"))
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_unlock)

    address = sub.add_parser("address", help=_("manage addresses")).add_subparsers(
        dest="address_cmd", required=True
    )
    p = address.add_parser("unlock", help=_("lift the login lockout of an address"))
    p.add_argument("address", metavar="ADDRESS")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_address_unlock)

    p = sub.add_parser("lockouts", help=_("list the login lockouts in force (accounts, addresses, devices)"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lockouts)

    client = sub.add_parser("client", help=_("manage clients")).add_subparsers(
        dest="client_cmd", required=True
    )
    p = client.add_parser("assign", help=_("hand a client over to another owner"))
    p.add_argument("client", metavar="CLIENT")
    p.add_argument("--to", required=True, metavar="USER")
    p.add_argument("--reason")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_client_assign)
    p = client.add_parser("unowned", help=_("list clients that need a new owner"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clients_unowned)

    device = sub.add_parser("device", help=_("manage devices")).add_subparsers(
        dest="device_cmd", required=True
    )
    p = device.add_parser("list", help=_("list devices"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_device_list)
    p = device.add_parser("revoke", help=_("revoke a device (lost laptop)"))
    p.add_argument("device", metavar="DEVICE")
    p.set_defaults(func=cmd_device_revoke)

    p = sub.add_parser("audit", help=_("show the audit log (logins, handovers, deactivations, revocations)"))
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "purge", help=_("remove deleted records older than the retention period (field history stays)")
    )
    p.add_argument(
        "--older-than",
        type=_days,
        metavar=_("DAYS"),
        help=_("retention in days (default: ACCOUNTDESK_TOMBSTONE_RETENTION_DAYS or 90)"),
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser(
        "import", help=_("import clients, contacts or equipment from a CSV or Excel file, all or nothing")
    )
    p.add_argument("file", type=Path, metavar=_("FILE"))
    p.add_argument(
        "--kind", required=True, choices=["clients", "contacts", "equipment"], help=_("what the file holds")
    )
    p.add_argument(
        "--owner",
        metavar=_("USER"),
        help=_("account manager of new clients whose account-manager cell is empty"),
    )
    p.add_argument(
        "--map",
        nargs="+",
        action="extend",
        default=[],
        metavar="COLUMN=FIELD",
        help=_("map a column to a field by hand (FIELD empty: ignore the column)"),
    )
    p.add_argument(
        "--client",
        metavar=_("CLIENT"),
        help=_("contacts or equipment of this client (id or name): no client column needed"),
    )
    p.add_argument("--sheet", help=_("the sheet of a workbook to read (default: the best match)"))
    p.add_argument(
        "--duplicates",
        choices=["skip", "merge"],
        default="skip",
        help=_("what to do with rows that duplicate existing records (default: skip)"),
    )
    p.add_argument("--dry-run", action="store_true", help=_("show what would be imported; write nothing"))
    p.add_argument(
        "--skip-rejected",
        action="store_true",
        help=_("import the valid rows and leave out the rejected ones"),
    )
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("serve", help=_("serve the sync API"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1, help=_("number of worker processes"))
    p.add_argument("--tls-cert", help=_("certificate file (PEM) to serve HTTPS"))
    p.add_argument("--tls-key", help=_("private key file (PEM)"))
    p.add_argument(
        "--retention-days",
        type=_days,
        metavar=_("DAYS"),
        help=_("purge deleted records older than this once a day (default 90; 0: never)"),
    )
    p.add_argument(
        "--trusted-proxy",
        action="append",
        metavar=_("ADDRESS"),
        help=_(
            "a reverse proxy whose X-Forwarded-For is believed (an IP address or network; "
            "repeat for several; also ACCOUNTDESK_TRUSTED_PROXIES); none by default"
        ),
    )
    p.add_argument("--no-docs", action="store_true", help=_("do not publish /docs and /openapi.json"))
    p.add_argument(
        "--files-dir",
        metavar=_("FOLDER"),
        help=_(
            "folder of the attachment files (default: beside the SQLite database, or per database "
            "under the server's data folder; also ACCOUNTDESK_SERVER_FILES_DIR)"
        ),
    )
    p.add_argument(
        "--max-file-mb", type=int, metavar="MB", help=_("largest attachment file accepted (default 50)")
    )
    p.add_argument(
        "--file-quota-mb",
        type=int,
        metavar="MB",
        help=_("attachment files each user may upload in all (default 20480; 0: no quota)"),
    )
    p.set_defaults(func=cmd_serve)

    from .notify.cli import register as register_notify

    register_notify(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = None
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
    set_language(lang)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args) or 0)
    except ServerError as exc:
        sys.stderr.write(f"accountdesk-server: {exc.message}\n")
        return 2 if exc.status in (400, 404, 409, 422) else 1
    except AccountDeskError as exc:  # bad input names its field (exit 2); a refusal is 1
        code = 2 if isinstance(exc, (ValidationError, NotFoundError)) else 1
        if getattr(args, "json", False):
            payload: dict = {"error": exc.message, "exit_code": code}
            if isinstance(exc, ValidationError):
                payload["field"] = exc.field
                payload["errors"] = [{"field": f, "message": m} for f, m in exc.errors]
            sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        errors = getattr(exc, "errors", None) or [(None, exc.message)]
        if errors[0][1] != exc.message:  # a summary above the rows it is about
            sys.stderr.write(f"accountdesk-server: {exc.message}\n")
        for field, message in errors:
            sys.stderr.write("accountdesk-server: " + (f"{field}: " if field else "") + f"{message}\n")
        return code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - no stack traces for administrators either
        logging.getLogger("accountdesk.server").debug("unexpected", exc_info=True)
        sys.stderr.write("accountdesk-server: " + _("Unexpected error: {error}").format(error=exc) + "\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
