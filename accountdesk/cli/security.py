"""``accountdesk security status|encrypt|start-fresh``: the profile's encryption at rest.

- ``status [--json]``: ``{"encrypted", "mode", "keyring", "folder_mode"}`` without opening the
  profile (no key or passphrase needed); ``mode`` is ``plain``, ``keyring`` or ``passphrase``.
- ``encrypt``: encrypt a plaintext profile now (its key in the keyring; where there is none, a
  passphrase: ``ACCOUNTDESK_PASSPHRASE`` or asked twice on a terminal).
- ``start-fresh``: the way back when the key of an encrypted profile is lost (the keyring was reset):
  the unreadable files are moved aside, never overwritten (``unreadable-<time>/`` in the profile
  folder, in case the key turns up), and the profile starts empty: sign in again with
  ``accountdesk sync --server URL --user NAME`` to take a fresh copy from the server.
Exit codes: 0 ok, 2 bad input (no passphrase), 4 the key is not in the keyring, 1 other.

Every command that opens a profile prints the progress of a one-time encryption in place on
standard error (:class:`TerminalProgress`, installed by ``cli.main``): standard output keeps only
the command's own output (``--json`` stays parseable).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

from ..i18n import _
from ..paths import default_data_dir
from .common import CLIError, Subparsers, emit_json


class TerminalProgress:
    """The progress of the one-time encryption of a plaintext profile, on standard error: one line
    redrawn on a terminal, else a line at every step and every tenth."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.last: tuple[str, int] | None = None

    def __call__(self, done: int, total: int, message: str) -> None:
        stream = self.stream or sys.stderr
        percent = 100 * done // max(1, total)
        tty = hasattr(stream, "isatty") and stream.isatty()
        key = (message, percent if tty else percent // 10)
        if key == self.last:
            return
        self.last = key
        line = _("{step}: {percent}%").format(step=message, percent=percent)
        if tty:
            stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            stream.write(line + "\n")
        stream.flush()


def register(sub: Subparsers) -> None:
    p = sub.add_parser("security", help=_("encryption at rest of this profile: status, encrypt, start fresh"))
    inner = p.add_subparsers(dest="security_command", metavar=_("ACTION"), required=True)
    s = inner.add_parser("status", help=_("whether the profile is encrypted, and where its key is kept"))
    s.add_argument("--json", action="store_true", help=_("machine-readable output"))
    s.set_defaults(func=cmd_status)
    e = inner.add_parser("encrypt", help=_("encrypt a plaintext profile now"))
    e.add_argument("--json", action="store_true", help=_("machine-readable output"))
    e.set_defaults(func=cmd_encrypt)
    f = inner.add_parser(
        "start-fresh",
        help=_(
            "the key of this profile is lost: move its unreadable data aside and "
            "start empty (then sign in and sync again)"
        ),
    )
    f.add_argument("--json", action="store_true", help=_("machine-readable output"))
    f.set_defaults(func=cmd_start_fresh)


def status(data_dir: Path) -> dict[str, Any]:
    from ..paths import database_path
    from ..store import crypto, crypto_keys

    info = crypto.describe(data_dir, database_path(data_dir))
    info["keyring"] = crypto_keys.keyring_usable()
    try:
        info["folder_mode"] = oct(stat.S_IMODE(os.stat(data_dir).st_mode))
    except OSError:
        info["folder_mode"] = None
    return info


def mode_text(mode: str) -> str:
    return {
        "plain": _("not encrypted"),
        "keyring": _("encrypted, key in the system keyring"),
        "passphrase": _("encrypted, with a passphrase"),
    }.get(mode, mode)


def cmd_status(args: argparse.Namespace) -> int:
    info = status(args.data_dir or default_data_dir())
    if args.json:
        emit_json(info)
    else:
        sys.stdout.write(_("This profile's data: {state}.").format(state=mode_text(info["mode"])) + "\n")
    return 0


def cmd_encrypt(args: argparse.Namespace) -> int:
    from ..store import Store, crypto_keys

    if crypto_keys.plain_forced():
        raise CLIError(_("ACCOUNTDESK_PLAIN_STORE=1 keeps profiles unencrypted here."), exit_code=2)
    store = Store(args.data_dir or default_data_dir())
    try:
        done = store.ensure_encrypted()
    finally:
        store.close()
    info = status(args.data_dir or default_data_dir())
    if args.json:
        emit_json({**info, "changed": done})
    else:
        sys.stdout.write(_("This profile's data: {state}.").format(state=mode_text(info["mode"])) + "\n")
    return 0


def cmd_start_fresh(args: argparse.Namespace) -> int:
    from ..services.security import start_fresh
    from ..store import crypto_keys

    data_dir = args.data_dir or default_data_dir()
    try:
        aside = start_fresh(data_dir)
    except crypto_keys.KeyLost:
        raise
    except crypto_keys.EncryptionError as exc:
        raise CLIError(exc.message, exit_code=2) from None
    if args.json:
        emit_json({"moved_to": str(aside), "files": sorted(p.name for p in aside.iterdir())})
    else:
        sys.stdout.write(
            _(
                "The unreadable data was moved to {dir}. Sign in again to take a fresh copy from the "
                "server: accountdesk sync --server URL --user NAME"
            ).format(dir=aside)
            + "\n"
        )
    return 0
