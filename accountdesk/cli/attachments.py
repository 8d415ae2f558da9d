"""``accountdesk attachments``: files kept with a client or one of its records.

```
accountdesk attachments add CLIENT FILE... [--to visit|feedback|equipment|commitment|service:ID] [--title T] [--kind K] [--confidential] [--json]
accountdesk attachments list CLIENT [--json]      id, title, file name, size, sha256, attached to
accountdesk attachments get ID --out FILE
accountdesk attachments delete ID
accountdesk attachments offline CLIENT on|off|default
```

Exit codes as elsewhere: 0 ok, 2 bad input naming the field (a file that cannot be read, one
over the server's size limit, an unknown client or record), 1 any other error (e.g. the file's
bytes are not on this laptop yet).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..models.enums import AttachmentKind
from .clients import add_json_flag, profile
from .common import CLIError, Subparsers, emit_json, print_table

if TYPE_CHECKING:
    from ..services.context import AppContext
    from ..sync.context import SignedIn


def _row_json(r: dict[str, Any]) -> dict[str, Any]:
    to = r.get("attached_to")
    return {
        "id": r["id"],
        "title": r["title"],
        "kind": r["kind"],
        "file_name": r["file_name"],
        "media_type": r["media_type"],
        "size": r["size"],
        "sha256": r["sha256"],
        "confidential": r["confidential"],
        "attached_to": f"{to['entity']}:{to['id']}" if to else None,
        "attached_to_label": to["label"] if to else None,
        "available": r["available"],
        "created_at": r["created_at"],
    }


def cmd_add(args: argparse.Namespace) -> int:
    from ..services import attachments as A
    from ..services.clients import resolve_client

    to = A.parse_target(args.to)
    files = [Path(f) for f in args.files]
    with profile(args) as ctx:
        client_id = resolve_client(ctx, args.client)
        made = []
        for f in files:
            made.append(
                A.add_file(
                    ctx, client_id, f, to=to, title=args.title, kind=args.kind, confidential=args.confidential
                )
            )
        rows = [A.get_attachment(ctx, i) for i in made]
    if args.json:
        emit_json([_row_json(r) for r in rows] if len(rows) != 1 else _row_json(rows[0]))
    else:
        for r in rows:
            sys.stdout.write(
                _("Attached {name} ({size}) as {id}").format(
                    name=r["file_name"], size=A.human_size(r["size"]), id=r["id"]
                )
                + "\n"
            )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..services import attachments as A
    from ..services.clients import resolve_client

    with profile(args) as ctx:
        rows = A.list_attachments(ctx, resolve_client(ctx, args.client))
    if args.json:
        emit_json([_row_json(r) for r in rows])
        return 0
    table = []
    for r in rows:
        to = r["attached_to"]
        table.append(
            [
                r["id"],
                r["title"] or _("(confidential)"),
                r["file_name"] or "",
                A.human_size(r["size"]),
                (r["sha256"] or "")[:12],
                to["label"] if to else _("the client"),
                "" if r["available"] else _("not on this computer"),
            ]
        )
    print_table(table, [_("Id"), _("Title"), _("File name"), _("Size"), "SHA-256", _("Attached to"), ""])
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from ..services import attachments as A

    with profile(args) as ctx:
        try:
            target = A.export_attachment(ctx, args.id, Path(args.out))
        except A.NotAvailable as exc:
            raise CLIError(exc.message, 1) from exc
    if args.json:
        emit_json({"id": args.id, "out": str(target)})
    else:
        sys.stdout.write(_("Saved {path}").format(path=str(target)) + "\n")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from ..services import attachments as A

    with profile(args) as ctx:
        A.delete_attachment(ctx, args.id)
    if args.json:
        emit_json({"id": args.id, "deleted": True})
    else:
        sys.stdout.write(_("Attachment {id} deleted.").format(id=args.id) + "\n")
    return 0


def cmd_offline(args: argparse.Namespace) -> int:
    from ..services.attachments_offline import keeps_offline, set_keep_offline
    from ..services.clients import resolve_client

    choice = {"on": True, "off": False, "default": None}[args.state]
    with profile(args) as ctx:
        client_id = resolve_client(ctx, args.client)
        set_keep_offline(ctx, client_id, choice)
        keep = keeps_offline(ctx, client_id)
    if args.json:
        emit_json({"client_id": client_id, "keep_offline": keep})
    else:
        sys.stdout.write(
            (
                _("The files of this client are kept on this computer.")
                if keep
                else _("The files of this client are fetched when opened.")
            )
            + "\n"
        )
    return 0


def run_files(ctx: AppContext, engine: SignedIn, *, quiet: bool = False) -> dict[str, Any]:
    """Upload and download attachment files (after a row sync); a progress line on a terminal."""
    from ..sync.files import FileSync

    def progress(done: int, total: int, name: str) -> None:
        if not quiet and sys.stderr.isatty() and total:
            sys.stderr.write(f"\r{_('Files')}: {done * 100 // total:3d}%  {name[:40]:<40}")
            sys.stderr.flush()

    report = FileSync(engine).run(progress=progress)
    if not quiet and sys.stderr.isatty():
        sys.stderr.write("\n")
    return report.as_dict()


def print_file_report(files: dict[str, Any]) -> None:
    from ..services.attachments import human_size

    sys.stdout.write(
        _(
            "Files: {up} sent ({bytes_up}), {down} received ({bytes_down}), {waiting} not on the server yet."
        ).format(
            up=files["uploaded"],
            down=files["downloaded"],
            bytes_up=human_size(files["bytes_up"]),
            bytes_down=human_size(files["bytes_down"]),
            waiting=files["waiting"],
        )
        + "\n"
    )
    for f in files["failed"]:
        sys.stdout.write(f"  {f['file_name']}: {f['error']}\n")


def cmd_sync(args: argparse.Namespace) -> int:
    from .sync_engine import make_engine

    with profile(args) as ctx:
        engine = make_engine(ctx, args)
        try:
            files = run_files(ctx, engine, quiet=args.json)
        finally:
            engine.close()
    if args.json:
        emit_json(files)
    else:
        print_file_report(files)
    return 0


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "attachments", help=_("files kept with a client: photos, certificates, agreements")
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help=_("attach files to a client or one of its records"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("files", metavar="FILE", nargs="+", help=_("the files to attach"))
    p.add_argument(
        "--to", metavar="RECORD", help=_("visit:ID, feedback:ID, equipment:ID, commitment:ID or service:ID")
    )
    p.add_argument("--title", help=_("title (default: the file name)"))
    p.add_argument(
        "--kind", choices=[k.value for k in AttachmentKind], help=_("kind of file (default: from the file)")
    )
    p.add_argument(
        "--confidential", action="store_true", help=_("only roles that see confidential data may see it")
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help=_("a client's attachments"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    add_json_flag(p)
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("get", help=_("save an attachment's file"))
    p.add_argument("id", metavar="ID")
    p.add_argument("--out", required=True, metavar="FILE", help=_("where to save it (a file, or a folder)"))
    add_json_flag(p)
    p.set_defaults(func=cmd_get)
    p = sub.add_parser("delete", help=_("remove an attachment"))
    p.add_argument("id", metavar="ID")
    add_json_flag(p)
    p.set_defaults(func=cmd_delete)
    p = sub.add_parser("offline", help=_("keep a client's files on this computer, or fetch them when opened"))
    p.add_argument("client", metavar="CLIENT", help=_("the client's id or exact name"))
    p.add_argument("state", choices=["on", "off", "default"])
    add_json_flag(p)
    p.set_defaults(func=cmd_offline)
    p = sub.add_parser(
        "sync", help=_("send and receive attachment files only (accountdesk sync does rows, then files)")
    )
    p.add_argument("--password-stdin", action="store_true", help=_("read the password from standard input"))
    add_json_flag(p)
    p.set_defaults(func=cmd_sync)
