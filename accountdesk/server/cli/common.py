"""Helpers of the server's commands: where the database is, reading a password, printing text or JSON,
and the argument types (days, addresses)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from ...errors import ValidationError
from ...i18n import _
from ..db import Database, data_dir_default, default_url
from ..errors import ServerError


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    if os.environ.get("ACCOUNTDESK_SERVER_DATABASE_URL"):
        return os.environ["ACCOUNTDESK_SERVER_DATABASE_URL"]
    return default_url(args.data_dir or data_dir_default())


def read_password(args: argparse.Namespace) -> str:
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


def open_db(args: argparse.Namespace) -> Database:
    db = Database(database_url(args))
    db.migrate()
    return db


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(text + "\n")


def days_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a number of days: {value}").format(value=text)) from None
    if not value >= 0 or value > 36500:
        raise argparse.ArgumentTypeError(_("the number of days must be between 0 and 36500"))
    return value


def address_arg(text: str, *, network: bool = False) -> str:
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
