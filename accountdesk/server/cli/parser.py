"""The argument parser of ``accountdesk-server``: every command, option and help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...i18n import _
from .accounts import (
    cmd_address_unlock,
    cmd_audit,
    cmd_client_assign,
    cmd_clients_unowned,
    cmd_device_list,
    cmd_device_revoke,
    cmd_init,
    cmd_lockouts,
    cmd_user_add,
    cmd_user_deactivate,
    cmd_user_handover,
    cmd_user_list,
    cmd_user_unlock,
)
from .common import days_arg
from .data import cmd_import, cmd_purge
from .serve import cmd_serve


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
        type=days_arg,
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
        type=days_arg,
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

    from ..notify.cli import register as register_notify

    register_notify(sub)
    return parser
