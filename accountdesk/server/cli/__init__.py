"""``accountdesk-server``: initialise, administer and serve the sync server.

Exit codes: 0 success, 2 bad input, 1 any other error (as the device's CLI).

The commands live by job: :mod:`.accounts` (users, clients, devices, lockouts, audit), :mod:`.data`
(import, purge), :mod:`.serve`; :mod:`.parser` declares them all, :mod:`.common` holds what they
share. Notification commands come from :mod:`accountdesk.server.notify.cli`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ...errors import AccountDeskError, NotFoundError, ValidationError
from ...i18n import _, set_language
from ..errors import ServerError
from .common import database_url
from .parser import build_parser

__all__ = ["build_parser", "database_url", "main"]


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
            payload: dict[str, Any] = {"error": exc.message, "exit_code": code}
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
