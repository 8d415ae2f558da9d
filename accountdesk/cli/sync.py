"""``accountdesk sync``: log in (first time), push local changes and pull the server's.

Exit codes: 0 synced; 1 other errors; 2 bad arguments (e.g. an http:// server of another computer
without ``--allow-insecure``); 3 server unavailable (unreachable, or its database is down); 4 login
needed or refused (also when the server ended the sign-in: sign in again); 5 user deactivated;
6 device revoked (its company data has been wiped); 7 please update; 8 the server's database was
re-initialised: ``--rejoin`` joins it again (a backup of the profile is made first, unsent changes
are kept and sent, and the profile takes a fresh copy of the user's clients).
"""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import TYPE_CHECKING

from ..i18n import _
from .common import Subparsers, emit_json, open_ctx
from .sync_engine import make_engine

if TYPE_CHECKING:
    from ..services.context import AppContext


def backup_before_rejoin(ctx: AppContext) -> str:
    """A backup of the whole profile, kept in its folder, before a rejoin replaces its rows."""
    import datetime as dt

    from ..io.backup import create_backup

    folder = ctx.store.data_dir / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return str(create_backup(ctx, folder / f"before-rejoin-{stamp}.zip", profile_key=True).path)


def cmd_sync(args: Namespace) -> int:
    from ..services.sync_status import record_sync_result
    from ..sync.client import SyncError

    ctx = open_ctx(args)
    try:
        engine = make_engine(ctx, args)
        if args.rejoin:
            path = backup_before_rejoin(ctx)
            sys.stderr.write(
                _("A backup of this profile was made before joining again: {path}").format(path=path) + "\n"
            )
        files = None
        try:
            report = engine.sync()
            if not getattr(
                args, "no_files", False
            ):  # attachment files after the rows; a failure there leaves the rows synced
                from .attachments import run_files

                try:
                    files = run_files(ctx, engine, quiet=args.json)
                except SyncError as exc:
                    files = {"error": exc.message}
        except SyncError as exc:
            record_sync_result(ctx, ok=False, error=exc.message)
            raise
        finally:
            engine.close()
        record_sync_result(ctx, ok=True)
    finally:
        ctx.close()
    if args.json:
        busy = files is not None and (
            "error" in files or any(files[k] for k in ("uploaded", "downloaded", "failed", "waiting"))
        )
        emit_json(
            {**report.as_dict(), "files": files} if busy else report.as_dict()
        )  # "files" only when files moved
    else:
        sys.stdout.write(
            _("Synced: {pushed} sent, {pulled} received, {conflicts} conflicts, {rejected} refused.").format(
                **report.as_dict()
            )
            + "\n"
        )
        if report.removed_clients:
            sys.stdout.write(
                _("{n} client(s) left your scope and were removed from this device.").format(
                    n=len(report.removed_clients)
                )
                + "\n"
            )
        if report.rejected:
            sys.stdout.write(
                _("Refused changes stay listed with their reason (accountdesk conflicts list).") + "\n"
            )
        if files is not None and "error" in files:
            sys.stdout.write(_("Files were not transferred: {error}").format(error=files["error"]) + "\n")
        elif files is not None and (
            files["uploaded"] or files["downloaded"] or files["failed"] or files["waiting"]
        ):
            from .attachments import print_file_report

            print_file_report(files)
    return 0


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("sync", help=_("send local changes to the sync server and receive the others'"))
    p.add_argument("--server", metavar="URL", help=_("the sync server (first time)"))
    p.add_argument("--user", metavar="NAME", help=_("your user name on the server (first time)"))
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    p.add_argument("--no-files", action="store_true", help=_("rows only: leave attachment files for later"))
    p.add_argument(
        "--allow-insecure",
        action="store_true",
        help=_("allow an unencrypted http:// server on another computer (only on a network you trust)"),
    )
    p.add_argument(
        "--rejoin",
        action="store_true",
        help=_(
            "join a server whose database was re-initialised: keep and send unsent changes, take a fresh "
            "copy of your clients (a backup of the profile is made first)"
        ),
    )
    p.add_argument(
        "--json", action="store_true", help=_("print {pushed, pulled, conflicts, rejected} as JSON")
    )
    demo = p.add_mutually_exclusive_group()
    demo.add_argument(
        "--start-clean",
        action="store_true",
        help=_("a profile with demo data joining a server: remove the demo data first"),
    )
    demo.add_argument(
        "--include-demo-data",
        action="store_true",
        help=_("a profile with demo data joining a server: push the demo data (test servers only)"),
    )
    p.set_defaults(func=cmd_sync)
