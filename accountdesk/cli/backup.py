"""``accountdesk restore FILE``: restore a backup (``export backup``) into an empty profile.

An encrypted backup needs its passphrase (``--passphrase-stdin``, else asked on a terminal).
Refuses (exit 2) a profile that already holds client data, and a backup whose manifest or
checksums do not match; nothing changes then. ``--json`` prints the backup's manifest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..i18n import _
from ..io.backup import restore_backup
from ..paths import default_data_dir
from .common import Subparsers, emit_json


def register(sub: Subparsers) -> None:
    p = sub.add_parser("restore", help=_("restore a backup into an empty profile"))
    p.add_argument("file", type=Path, metavar=_("FILE"))
    p.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help=_("read the passphrase of an encrypted backup from standard input"),
    )
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or default_data_dir()
    from ..io.backup import read_manifest
    from .exports import read_passphrase

    passphrase = read_passphrase(args, confirm=False) if read_manifest(args.file).get("encryption") else None
    manifest = restore_backup(args.file, data_dir, passphrase=passphrase)
    if args.json:
        emit_json(manifest)
    else:
        sys.stdout.write(
            _("Restored the backup of {date} (AccountDesk {version}) into {dir}.").format(
                date=manifest.get("created_at", "?"), version=manifest.get("app_version", "?"), dir=data_dir
            )
            + "\n"
        )
    return 0
