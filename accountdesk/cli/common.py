"""Helpers shared by the CLI command modules: opening the profile, output, errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from argparse import Namespace
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import AccountDeskError, ValidationError
from ..paths import default_data_dir
from ..services.context import AppContext, open_profile

if TYPE_CHECKING:
    import argparse

#: what each command module's ``register`` receives: ``parser.add_subparsers()``
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CLIError(AccountDeskError):
    """An error of the command line itself; ``exit_code`` 2 for bad input."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


#: commands that work on a company profile whose offline lease ran out (signing in ends it)
LEASE_EXEMPT = {"sync", "security"}


def open_ctx(args: Namespace) -> AppContext:
    """The profile of ``--data-dir``; a company profile whose offline lease ran out opens only for
    signing in again (``sync``): every other command is refused (exit 4)."""
    ctx = open_profile(args.data_dir or default_data_dir())
    if getattr(args, "command", None) not in LEASE_EXEMPT:
        from ..services.security import check_lease

        try:
            check_lease(ctx)
        except AccountDeskError:
            ctx.close()
            raise
    return ctx


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        from ..sync.codec import encode_value

        return encode_value(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)


def emit_json(data: Any) -> None:
    sys.stdout.write(dumps(data) + "\n")


def emit_error(args: Namespace, exc: AccountDeskError, *, code: int) -> None:
    # a NotFoundError's field: the reference that named nothing (an unknown client), or None
    field: str | None = getattr(exc, "field", None)
    if getattr(args, "json", False):
        payload: dict[str, Any] = {"error": exc.message, "exit_code": code}
        if isinstance(exc, ValidationError):
            payload["field"] = exc.field
            payload["errors"] = [{"field": f, "message": m} for f, m in exc.errors]
        elif field:  # a reference that names nothing (an unknown client)
            payload["field"] = field
            payload["errors"] = [{"field": field, "message": exc.message}]
        sys.stdout.write(dumps(payload) + "\n")
    if isinstance(exc, ValidationError):
        for field, message in exc.errors:
            sys.stderr.write(f"accountdesk: {field}: {message}\n")
    elif field:
        sys.stderr.write(f"accountdesk: {field}: {exc.message}\n")
    else:
        sys.stderr.write(f"accountdesk: {exc.message}\n")


def print_table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain aligned table that respects the width of Chinese characters."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    cols = [headers, *rows]
    widths = [max(width(str(r[i])) for r in cols) for i in range(len(headers))]
    for r in cols:
        cells = [str(c) + " " * (widths[i] - width(str(c))) for i, c in enumerate(r)]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``FIELD=VALUE`` pairs."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            from ..i18n import _

            raise ValidationError(item, _("Write changes as FIELD=VALUE (got “{item}”).").format(item=item))
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out
