"""``accountdesk restore FILE``: restore a backup (``export backup``) into an empty profile.

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
from .common import emit_json


def register(sub) -> None:
    p = sub.add_parser("restore", help=_("restore a backup into an empty profile"))
    p.add_argument("file", type=Path, metavar=_("FILE"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = args.data_dir or default_data_dir()
    manifest = restore_backup(args.file, data_dir)
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
